"""The student's pages in-process: the assignments, a submission's status and feedback (never
an expected value), its live stream for a signed-in browser, and the 404 and 403 pages that
keep everything else out of reach."""
import json

import pytest

from conftest import student_files, tar_bytes, wait_until_final
from web_helpers import browser, post_form

PARTIAL = tar_bytes(student_files("hw1", handout=("apps/simple_ml.py",)))


def test_the_home_page_lists_the_assignments_late_days_and_submissions_left(api):
    page = browser(api, api.student_token).get("/")
    assert page.status_code == 200
    for homework in ("hw0", "hw1", "hw2", "hw3", "hw4"):
        assert f"<strong>{homework}</strong>" in page.text
    assert "Late days left <strong>5</strong>" in page.text
    assert page.text.count('data-label="Left today">10<') == 5
    assert "None yet." in page.text


def test_a_graded_submission_shows_its_parts_and_every_case_without_full_marks(api):
    submission = api.submit(PARTIAL).json()["submission"]
    result = wait_until_final(api, submission)["result"]
    client = browser(api, api.student_token)
    page = client.get(f"/submissions/{submission}").text
    assert 'data-state="done"' in page
    assert f'{result["score"]:.4g} / 100' in page
    for part in result["parts"]:
        assert f'data-label="Part">{part["name"]}<' in page
    for case in result["cases"]:
        assert f"<code>{case['run']}</code>" in page and "not implemented" in page
    assert "simple_ml.py:" in page  # where the unimplemented code is
    assert "expected" not in page.lower()
    home = client.get("/").text
    assert f'href="/submissions/{submission}"' in home and "Done" in home


def test_the_live_stream_follows_the_submission_for_the_signed_in_browser(api):
    submission = api.submit(PARTIAL).json()["submission"]
    client = browser(api, api.student_token)
    states = []
    with client.stream("GET", f"/submissions/{submission}/events") as stream:
        assert stream.status_code == 200
        for line in stream.iter_lines():
            if line.startswith("data: "):
                states.append(json.loads(line.removeprefix("data: "))["state"])
    assert states[-1] == "done"
    page = client.get(f"/submissions/{submission}").text
    assert 'data-final="yes"' in page and "/static/live.js" in page


def test_another_students_submission_is_a_404_page_that_shows_nothing_of_it(api):
    submission = api.submit(PARTIAL).json()["submission"]
    wait_until_final(api, submission)
    other = browser(api, api.add_student("ada"))
    for path in (f"/submissions/{submission}", f"/submissions/{submission}/events", "/submissions/99999"):
        page = other.get(path)
        assert page.status_code == 404, path
        assert "Not found" in page.text and "simple_ml" not in page.text and "/ 100" not in page.text


@pytest.mark.parametrize("path", ["/staff", "/staff/assignments/hw1", "/staff/submissions/1", "/staff/grades.csv"])
def test_staff_pages_are_a_403_page_for_a_student(api, path):
    api.submit(PARTIAL)
    page = browser(api, api.student_token).get(path)
    assert page.status_code == 403 and "for course staff" in page.text
    assert "demo-student" not in page.text.replace("(demo-student)", "")  # only the header's own name


def test_a_student_cannot_post_a_staff_form_even_with_a_valid_csrf_token(api):
    submission = api.submit(PARTIAL).json()["submission"]
    before = api.rows()
    client = browser(api, api.student_token)
    for action in ("/staff/assignments/hw1/regrade", f"/staff/submissions/{submission}/regrade"):
        assert post_form(client, "/", action).status_code == 403
    assert api.rows() == before
