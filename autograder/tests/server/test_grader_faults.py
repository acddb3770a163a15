"""What a student never suffers: a grader fault (here a sandbox that raises, injected through the
Service) is a grader error, retried up to max_attempts, never a score of 0, never counted
against the submission limits, and shown to staff in the queue; answers that are not ready
make a submission wait with that reason, never fail."""
import shutil
import time

import pytest

from conftest import FailingSandbox, student_files, tar_bytes, wait_until_final

HW1 = tar_bytes(student_files("hw1"))


def runs_of(api, submission: int) -> list[dict]:
    return api.client.get(f"/api/v1/submissions/{submission}/runs", headers=api.staff()).json()["runs"]


def test_a_sandbox_that_always_fails_is_a_grader_error_after_max_attempts_never_a_zero(make_api):
    api = make_api(grading_sandbox=FailingSandbox(), max_attempts=3)
    api.change("/assignments/hw1", daily_limit=1, total_limit=1)
    submission = api.submit(HW1).json()["submission"]
    final = wait_until_final(api, submission, timeout=60)
    assert final["state"] == "grader error", final
    assert "not scored" in final["message"] and "does not count against your limits" in final["message"]
    assert "score" not in final and final["result"] is None

    runs = runs_of(api, submission)
    assert [(r["attempt"], r["reason"], r["status"]) for r in runs] == [
        (1, "submission", "grader error"), (2, "retry", "grader error"), (3, "retry", "grader error")]
    assert all("simulated sandbox failure" in r["error"] and r["score"] is None for r in runs)

    student = api.client.get(f"/api/v1/submissions/{submission}", headers=api.student()).json()
    assert student["state"] == "grader error" and "score" not in student and "error" not in student
    assert api.client.get(f"/api/v1/submissions/{submission}/results.json", headers=api.student()).status_code == 404

    queue = api.client.get("/api/v1/queue", headers=api.staff()).json()
    assert [(e["submission"], e["attempt"]) for e in queue["grader_errors"]] == [(submission, 3), (submission, 2),
                                                                                  (submission, 1)]
    assert all(e["login"] == "demo-student" and "simulated" in e["error"] for e in queue["grader_errors"])

    # not counted: the daily and the total limit of one still let the student submit
    me = api.client.get("/api/v1/me", headers=api.student()).json()
    assert next(a for a in me["assignments"] if a["homework"] == "hw1")["submissions_left_today"] == 1
    again = api.submit(HW1)
    assert again.status_code == 201, again.text
    # and never a 0 in the grades: nothing to count yet
    wait_until_final(api, again.json()["submission"], timeout=60)
    row = [line for line in api.client.get("/api/v1/grades.csv", headers=api.staff()).text.splitlines()
           if "demo-student" in line][0]
    header = api.client.get("/api/v1/grades.csv", headers=api.staff()).text.splitlines()[0].split(",")
    assert row.split(",")[header.index("hw1")] == ""


def test_a_fault_that_passes_is_retried_and_the_retry_is_the_result(make_api, local_sandbox):
    api = make_api(grading_sandbox=FailingSandbox(local_sandbox, failures=1), max_attempts=3)
    submission = api.submit(HW1).json()["submission"]
    final = wait_until_final(api, submission)
    assert final["state"] == "done" and final["score"] == 100, final
    runs = runs_of(api, submission)
    assert [(r["attempt"], r["reason"], r["status"]) for r in runs] == [(1, "submission", "grader error"),
                                                                        (2, "retry", "done")]
    assert final["result"]["run"] == runs[1]["run"]


def test_a_fault_whose_message_the_database_cannot_store_still_ends_as_a_grader_error(make_api):
    """PostgreSQL refuses NUL characters in text: a fault (or a build log) holding one must not
    take the worker down and leave the run running forever."""
    class NulSandbox(FailingSandbox):
        def run(self, job, on_line=None):
            raise RuntimeError("the sandbox said \x00 and stopped")

    api = make_api(grading_sandbox=NulSandbox(), max_attempts=2)
    first = api.submit(HW1).json()["submission"]
    final = wait_until_final(api, first, timeout=60)
    assert final["state"] == "grader error"
    assert [r["status"] for r in runs_of(api, first)] == ["grader error", "grader error"]
    assert "the sandbox said" in runs_of(api, first)[0]["error"]
    second = api.submit(HW1).json()["submission"]  # the worker is still there
    assert wait_until_final(api, second, timeout=60)["state"] == "grader error"


def test_a_submission_waits_for_answers_that_are_not_ready_and_is_graded_once_they_are(make_api, tmp_path,
                                                                                       service_answers):
    answers = tmp_path / "answers-published-later"
    answers.mkdir()
    api = make_api(answers_dir=answers)
    submission = api.submit(HW1).json()["submission"]
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        view = api.client.get(f"/api/v1/submissions/{submission}", headers=api.student()).json()
        if view.get("waiting"):
            break
        time.sleep(0.2)
    assert view["state"] == "queued" and "reference answers for hw1 are not published" in view["waiting"], view
    queue = api.client.get("/api/v1/queue", headers=api.staff()).json()
    assert "hw1" in queue["waiting"] and queue["queued"] == 1 and queue["grader_errors"] == []

    # staff publish them with `dlsys publish hw1` (here: the files appear): grading starts by itself
    shutil.copytree(service_answers, answers, dirs_exist_ok=True)
    final = wait_until_final(api, submission, timeout=90)
    assert final["state"] == "done" and final["score"] == 100, final
    assert [r["status"] for r in runs_of(api, submission)] == ["done"]


@pytest.mark.parametrize("workers", [2])
def test_faults_on_several_workers_are_each_retried_once_per_attempt(make_api, workers):
    api = make_api(grading_sandbox=FailingSandbox(), max_attempts=2, workers=workers)
    api.change("/assignments/hw1", daily_limit=20)
    submissions = [api.submit(HW1).json()["submission"] for _ in range(4)]
    for submission in submissions:
        assert wait_until_final(api, submission, timeout=60)["state"] == "grader error"
    for submission in submissions:
        assert [(r["attempt"], r["status"]) for r in runs_of(api, submission)] == [(1, "grader error"),
                                                                                   (2, "grader error")]


def test_a_regrade_that_fails_leaves_the_result_and_the_count_as_they_were(make_api, local_sandbox):
    """A fault in a regrade is ours too: the submission keeps its score, and it still counts
    (a student does not win a submission back because our regrade broke)."""
    sandbox = FailingSandbox(local_sandbox, failures=0)
    api = make_api(grading_sandbox=sandbox, max_attempts=2)
    api.change("/assignments/hw1", daily_limit=1)
    submission = api.submit(HW1).json()["submission"]
    assert wait_until_final(api, submission)["score"] == 100
    sandbox.failures = None  # from now on every job fails
    assert api.client.post(f"/api/v1/submissions/{submission}/regrade", headers=api.staff()).status_code == 200
    deadline = time.monotonic() + 60
    while [r["status"] for r in runs_of(api, submission)] != ["done", "grader error", "grader error"]:
        assert time.monotonic() < deadline, runs_of(api, submission)
        time.sleep(0.3)
    view = api.client.get(f"/api/v1/submissions/{submission}", headers=api.student()).json()
    assert view["state"] == "done" and view["score"] == 100 and view["result"]["score"] == 100
    assert api.submit(HW1).status_code == 429
