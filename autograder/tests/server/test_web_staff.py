"""The staff's pages in-process: the dashboard, an assignment's histogram and students, a
submission's runs side by side, and the forms (regrades, extensions, the roster), each refused
without its CSRF token."""
import json
import re
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from autograder.server.db.models import Extension, GradingRun
from autograder.server.services import queue, workers
from conftest import student_files, tar_bytes, wait_until_final
from web_helpers import browser, post_form

PARTIAL = tar_bytes(student_files("hw1", handout=("apps/simple_ml.py",)))


def bins(page: str) -> dict[str, int]:
    """The histogram's bars: {low end of the range: students}."""
    return {low: int(count) for low, count in re.findall(r'class="bin" data-low="([^"]+)" data-count="(\d+)"', page)}


@pytest.fixture
def graded(api):
    submission = api.submit(PARTIAL).json()["submission"]
    return submission, wait_until_final(api, submission)["score"]


def test_the_dashboard_shows_the_queue_grader_errors_and_the_workers(make_api):
    quiet = make_api(workers=0)
    quiet.submit(PARTIAL)
    page = browser(quiet, quiet.staff_token).get("/staff")
    assert page.status_code == 200
    assert '<span class="big" id="queued">1</span>' in page.text
    on_postgres = quiet.service.uses_engine  # there the server's own workers are a queue worker, listed
    assert 'id="workers"' in page.text and ("0 in-process worker(s)" in page.text) != on_postgres
    assert "demo-student" in page.text  # the queued run's student
    assert 'href="/staff/assignments/hw1"' in page.text


def test_the_workers_card_shows_the_workers_overview(make_api):
    """Each registered worker with its host, GPUs, queues, runs and heartbeat; the queue per capability."""
    quiet = make_api(workers=0)
    first = quiet.submit(PARTIAL).json()["submission"]
    quiet.submit(tar_bytes(student_files("hw3")), "hw3")
    workers.register(quiet.service.factory, name="gpu-host:7:abc", host="gpu-host", pid=7, queues=["cpu", "gpu"],
                     gpus=[{"index": 0, "name": "Fake H100", "total_bytes": 2**36, "free_bytes": 2**36}],
                     concurrency=2, answers={})
    assert queue.claim_run(quiet.service.factory, first, "gpu-host:7:abc") is not None
    with quiet.service.factory() as db:
        shown = workers.overview(db, quiet.service.settings.worker_stale_seconds)
    card = browser(quiet, quiet.staff_token).get("/staff").text.split('id="workers"')[1].split("</section>")[0]
    assert "<strong>gpu-host</strong>" in card and "gpu-host:7:abc" in card
    assert "0: Fake H100" in card and "cpu, gpu" in card and "×2" in card
    assert f'href="/staff/submissions/{first}"' in card
    assert "s ago" in card and "alive" in card
    assert shown["queued_by_capability"] == {"gpu": 1}
    assert "1 for gpu (oldest" in card


def test_the_assignment_page_draws_the_histogram_part_means_and_students(api, graded):
    submission, score = graded
    page = browser(api, api.staff_token).get("/staff/assignments/hw1").text
    drawn = bins(page)
    assert len(drawn) == 10 and sum(drawn.values()) == 1
    assert drawn[f"{int(score // 10 * 10)}"] == 1
    assert "<svg" in page and "Scores of hw1" in page
    assert f'href="/staff/submissions/{submission}"' in page
    assert "forward" in page and "backward" in page


def test_a_submission_page_shows_every_run_and_a_regrade_adds_one(api, graded):
    submission, _ = graded
    client = browser(api, api.staff_token)
    answer = post_form(client, f"/staff/submissions/{submission}", f"/staff/submissions/{submission}/regrade")
    assert answer.status_code == 303 and answer.headers["location"].endswith("?note=regraded")
    wait_until_final(api, submission)
    page = client.get(f"/staff/submissions/{submission}?note=regraded").text
    assert "Regrade queued." in page
    assert page.count('class="card run ') == 2 and "regrade, attempt 1" in page


def test_regrading_an_assignment_queues_every_students_latest(api, graded):
    client = browser(api, api.staff_token)
    answer = post_form(client, "/staff/assignments/hw1", "/staff/assignments/hw1/regrade")
    assert answer.status_code == 303
    with api.service.factory() as db:
        assert [r.reason for r in db.scalars(select(GradingRun).order_by(GradingRun.id))] == ["submission", "regrade"]


def test_an_extension_from_the_form_counts_in_the_course_time_zone(api):
    api.change("/course", timezone="America/New_York")
    api.add_student("ada")
    client = browser(api, api.staff_token)
    answer = post_form(client, "/staff/assignments/hw1", "/staff/assignments/hw1/extensions",
                       login="ada", due_at="2026-12-20T23:59")
    assert answer.status_code == 303
    with api.service.factory() as db:
        extension = db.scalar(select(Extension))
        assert extension.due_at == datetime(2026, 12, 20, 23, 59, tzinfo=ZoneInfo("America/New_York"))
    bad = post_form(client, "/staff/assignments/hw1", "/staff/assignments/hw1/extensions", login="ada", due_at="soon")
    assert bad.status_code == 400 and "is not a date and time" in bad.text
    nobody = post_form(client, "/staff/assignments/hw1", "/staff/assignments/hw1/extensions",
                       login="nobody", due_at="2026-12-20T23:59")
    assert nobody.status_code == 404 and "No user" in nobody.text


def test_the_roster_form_shows_each_new_token_once_and_refuses_a_bad_file_whole(api):
    client = browser(api, api.staff_token)
    page = post_form(client, "/staff", "/staff/roster", csv="login,name\nada,Ada Lovelace\n")
    assert page.status_code == 200
    token = re.search(r"<code>(dlsys_[^<]+)</code>", page.text).group(1)
    assert browser(api, token).get("/").status_code == 200
    before = api.rows()
    bad = post_form(client, "/staff", "/staff/roster", csv="login,name\nbo b,Bob\n")
    assert bad.status_code == 400 and "Roster line 2" in bad.text
    assert api.rows() == before


def test_the_grade_export_downloads(api, graded):
    answer = browser(api, api.staff_token).get("/staff/grades.csv")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    assert answer.text.startswith("Student,ID,SIS User ID")


@pytest.mark.parametrize("action", ["/staff/assignments/hw1/regrade", "/staff/submissions/1/regrade",
                                    "/staff/assignments/hw1/extensions", "/staff/answers/hw1/publish",
                                    "/staff/roster", "/signout"])
def test_every_form_is_refused_without_its_csrf_token(make_api, action):
    quiet = make_api(workers=0)
    quiet.submit(PARTIAL)
    client = browser(quiet, quiet.staff_token)
    before = quiet.rows()
    for data in ({}, {"csrf": "forged"}):
        answer = client.post(action, data=data | {"login": "demo-student", "due_at": "2026-12-20T23:59",
                                                  "csv": "login\nzed\n"})
        assert answer.status_code == 403 and "CSRF" in answer.text, action
    assert quiet.rows() == before
    assert client.get("/staff").status_code == 200  # still signed in: /signout was refused too


def test_the_publish_button_publishes_the_answers_again_in_the_background(api):
    published = api.service.settings.answers / "hw0.json"
    before = json.loads(published.read_text())["published_at"]
    client = browser(api, api.staff_token)
    answer = post_form(client, "/staff/assignments/hw0", "/staff/answers/hw0/publish")
    assert answer.status_code == 303 and answer.headers["location"] == "/staff/assignments/hw0?note=publishing"
    assert "Publishing the answers in the background" in client.get(answer.headers["location"]).text
    deadline = time.monotonic() + 300
    while json.loads(published.read_text())["published_at"] == before:
        assert time.monotonic() < deadline, "hw0's answers were not published again within 300 s"
        time.sleep(0.5)
    while "hw0" in api.service.readiness._publishing:  # the publishing thread is done with it
        assert time.monotonic() < deadline
        time.sleep(0.2)
