"""The web pages in a real browser: Debian's chromium driven by Playwright (never a downloaded
browser), against a live `dlsys serve` on loopback. A student signs in, sees the assignments,
uploads through the CLI and watches the page go from queued to done without reloading, then
reads the feedback; staff import a student, regrade the assignment and see the histogram move;
another student gets a 404 page, and a form posted without its CSRF token is refused.

Every page is saved as a screenshot at a laptop's and a phone's width, in
$DLSYS_SCREENSHOTS (default test-artifacts/screenshots/, git-ignored). Where chromium or
Playwright is missing the test skips saying so, unless DLSYS_REQUIRE_BROWSER=1 (CI), which
makes that a failure."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO, start_live_server, student_files

SCREENSHOTS = Path(os.environ.get("DLSYS_SCREENSHOTS") or REPO / "test-artifacts" / "screenshots")
WIDTHS = {"laptop": (1366, 768), "phone": (390, 844)}
WRONG_PART = "backward"  # its answers are wrong at first, as if published from a broken reference


def chromium() -> str:
    """The system's Chromium, or a skip (a failure under DLSYS_REQUIRE_BROWSER=1) saying what is missing."""
    found = os.environ.get("DLSYS_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        found, missing = None, "Playwright is not installed (pip install -e '.[test]')"
    else:
        missing = "Debian's chromium is not installed (apt-get install chromium)"
    if not found:
        if os.environ.get("DLSYS_REQUIRE_BROWSER") == "1":
            pytest.fail(f"DLSYS_REQUIRE_BROWSER=1, but {missing}")
        pytest.skip(f"{missing} (DLSYS_REQUIRE_BROWSER=1 makes this a failure)")
    return found


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    executable = chromium()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def server(tmp_path, service_answers):
    """A live server whose hw1 answers are not published yet (runs wait for them)."""
    home = tmp_path / "home"
    live = start_live_server(home, f"sqlite:///{home / 'dlsys.db'}", service_answers)
    published = home / "answers" / "hw1.json"
    live.right_answers = published.read_text()
    published.unlink()
    yield live
    live.stop()


def publish(server, answers: str) -> None:
    """Put hw1's answers in place, as `dlsys publish` run beside the service does (written, then renamed)."""
    partial = server.home / "answers" / ".hw1.json.part"
    partial.write_text(answers)
    partial.replace(server.home / "answers" / "hw1.json")


def wrong_answers(right: str, part: str) -> str:
    """hw1's answers with every number of `part`'s cases moved: the reference loses that part."""
    from autograder.dlsys_harness import values

    answers = json.loads(right)
    for case in answers["cases"]:
        if case["part"] == part:
            for name, encoded in case["values"].items():
                value = values.decode(encoded)
                if value.dtype.kind in "fiu":
                    shift = value.dtype.type(1000 if value.dtype.kind == "f" else 1)
                    case["values"][name] = values.encode(value + shift)
    return json.dumps(answers)


def shoot(page, name: str) -> None:
    """The page as it is, at a laptop's width and at a phone's (then back to the laptop's)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for width_name, (width, height) in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{width_name}.png"), full_page=True)
    page.set_viewport_size({"width": WIDTHS["laptop"][0], "height": WIDTHS["laptop"][1]})


def sign_in(page, url: str, token: str) -> None:
    page.goto(f"{url}/signin")
    page.fill("#token", token)
    page.click("button[type=submit]")


def cli(*args: str, config: Path) -> str:
    done = subprocess.run([sys.executable, "-m", "autograder", *args], capture_output=True, text=True, cwd=REPO,
                          env=os.environ | {"XDG_CONFIG_HOME": str(config)}, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def histogram(page) -> dict[str, int]:
    return {bar.get_attribute("data-low"): int(bar.get_attribute("data-count"))
            for bar in page.locator("#histogram .bin").all()}


def test_students_and_staff_in_a_real_browser(browser, server, tmp_path):
    laptop = {"viewport": {"width": 1366, "height": 768}}
    student = browser.new_page(**laptop)

    # sign in; the seeded assignments
    student.goto(server.url)
    assert student.url.endswith("/signin?next=/")
    shoot(student, "01-sign-in")
    sign_in(student, server.url, "dlsys_wrong")
    assert "This token is not valid" in student.locator("[role=alert]").inner_text()
    shoot(student, "02-sign-in-refused")
    sign_in(student, server.url, server.student_token)
    student.wait_for_url(f"{server.url}/")
    for homework in ("hw0", "hw1", "hw2", "hw3", "hw4"):
        assert student.locator("table.assignments").get_by_text(homework, exact=True).count() == 1
    shoot(student, "03-student-assignments")

    # upload through the CLI (a handout with simple_ml.py not done yet); hw1's answers are not out
    handout = tmp_path / "hw1-handout"
    for name, data in student_files("hw1", handout=("apps/simple_ml.py",)).items():
        (handout / name).parent.mkdir(parents=True, exist_ok=True)
        (handout / name).write_bytes(data)
    shutil.copy(REPO / "hw1" / "homework.toml", handout / "homework.toml")  # what submit reads, as in a handout
    (handout / "pyproject.toml").write_text('[tool.dlsys]\nhomework = "hw1"\n')
    config = tmp_path / "xdg"
    cli("login", "--server", server.url, "--token", server.student_token, config=config)
    said = cli("submit", "hw1", "--dir", str(handout), "--no-wait", config=config)
    number = int(re.search(r"submission (\d+)", said).group(1))

    student.reload()
    student.click(f"a[href='/submissions/{number}']")
    state = student.locator("#state")
    assert state.get_attribute("data-state") == "queued"
    assert "waiting" in state.inner_text()
    shoot(student, "04-submission-queued")
    student.evaluate("window.stillTheSamePage = true")

    # staff see it waiting in the queue, and why
    staff = browser.new_page(**laptop)
    sign_in(staff, server.url, server.staff_token)
    staff.wait_for_url(f"{server.url}/staff")
    assert staff.locator("#queued").inner_text() == "1"
    assert "hw1 are not published yet" in staff.locator("#queue").inner_text()
    shoot(staff, "05-staff-dashboard-queue-waiting")

    publish(server, wrong_answers(server.right_answers, WRONG_PART))  # the runs may start
    student.locator("#state[data-state='done']").wait_for(timeout=180_000)
    assert student.evaluate("window.stillTheSamePage") is True  # no reload: the page followed the stream
    feedback = student.locator("#feedback").inner_text()
    assert "not implemented" in feedback and "simple_ml.py:" in feedback
    assert "values differ (max abs error" in feedback  # the largest error, never the answer
    assert "expected" not in feedback.lower()
    first_score = float(re.search(r"Result: ([\d.]+) / 100", feedback).group(1))
    shoot(student, "06-submission-feedback")
    student.goto(server.url)
    shoot(student, "07-student-history")

    # staff: the dashboard, a new student from the roster form
    staff.goto(f"{server.url}/staff")
    assert staff.locator("#queued").inner_text() == "0"
    shoot(staff, "08-staff-dashboard")
    staff.fill("#roster-csv", "login,name\nada,Ada Lovelace\n")
    staff.click("form[action='/staff/roster'] button")
    ada_token = staff.locator("td[data-label=Token] code").inner_text()
    shoot(staff, "09-staff-roster-imported")

    # another student: a 404 page for the submission, a 403 page for staff pages, never data
    ada = browser.new_page(**laptop)
    sign_in(ada, server.url, ada_token)
    shown = ada.goto(f"{server.url}/submissions/{number}")
    assert shown.status == 404 and "Not found" in ada.content()
    assert "simple_ml" not in ada.content() and "/ 100" not in ada.content()
    shoot(ada, "10-other-students-submission-404")
    assert ada.goto(f"{server.url}/staff/assignments/hw1").status == 403
    assert "histogram" not in ada.content()
    shoot(ada, "11-staff-page-for-a-student-403")

    # the assignment's histogram; answers fixed, a regrade of everyone moves it
    staff.goto(f"{server.url}/staff/assignments/hw1")
    before = histogram(staff)
    assert sum(before.values()) == 1 and before[f"{int(first_score // 10 * 10)}"] == 1
    shoot(staff, "12-staff-assignment-before-regrade")
    publish(server, server.right_answers)
    staff.click("form[action='/staff/assignments/hw1/regrade'] button")
    assert "Regrades queued" in staff.locator(".note").inner_text()
    for _ in range(180):
        if "1 of 1 done" in staff.locator("#regrade-progress").inner_text():
            break
        staff.wait_for_timeout(1000)
        staff.reload()
    after = histogram(staff)
    assert after != before and sum(after.values()) == 1
    shoot(staff, "13-staff-assignment-after-regrade")
    staff.goto(f"{server.url}/staff/submissions/{number}")
    assert staff.locator(".run").count() == 2
    shoot(staff, "14-staff-submission-runs")

    # a form posted without its CSRF token is refused, with the staff's own cookie
    refused = staff.request.post(f"{server.url}/staff/assignments/hw1/regrade", form={"other": "x"})
    assert refused.status == 403 and "CSRF" in refused.text()
    forged = staff.request.post(f"{server.url}/staff/assignments/hw1/regrade", form={"csrf": "forged"})
    assert forged.status == 403
