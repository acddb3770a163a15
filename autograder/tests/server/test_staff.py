"""Staff flows: the roster CSV, extensions, assignment and course changes, regrades (one, and
every student's latest), publishing answers, the queue."""
import hashlib
import time
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from autograder.server.db.models import Extension, User
from conftest import student_files, tar_bytes, wait_until_final

HW1 = tar_bytes(student_files("hw1"))
HW1_PARTIAL = tar_bytes(student_files("hw1", handout=("apps/simple_ml.py",)))


@pytest.fixture
def quiet(make_api):
    return make_api(workers=0)


def post(api, path, **kw):
    return api.client.post(f"/api/v1{path}", headers=api.staff(), **kw)


def patch(api, path, body):
    return api.client.patch(f"/api/v1{path}", headers=api.staff(), json=body)


# ----------------------------------------------------------------------------- roster

ROSTER = "\ufefflogin, name ,email,sis_id,section\nada,Ada Lovelace,ada@example.edu,S001,A\n bob ,Bob,,S002,B\n\n"


def test_a_roster_import_creates_students_and_returns_each_token_once(quiet):
    answer = post(quiet, "/roster", content=ROSTER.encode())
    assert answer.status_code == 200, answer.text
    created = {row["login"]: row for row in answer.json()["created"]}
    assert sorted(created) == ["ada", "bob"] and answer.json()["existing"] == []
    assert created["ada"]["name"] == "Ada Lovelace" and created["bob"]["name"] == "Bob"
    for login, row in created.items():
        me = quiet.client.get("/api/v1/me", headers=quiet.headers(row["token"])).json()
        assert me["login"] == login and me["role"] == "student"
    with quiet.service.factory() as db:
        ada = db.scalar(select(User).where(User.login == "ada"))
        assert (ada.email, ada.sis_id, ada.section) == ("ada@example.edu", "S001", "A")
        assert ada.token_hash == hashlib.sha256(created["ada"]["token"].encode()).hexdigest()  # never in clear
        assert created["ada"]["token"] not in {ada.token_hash, ada.login, ada.name}
    # again, with one more: the existing are skipped (no token again), the new one gets its own
    again = post(quiet, "/roster", content=(ROSTER + "cy,Cy\nstaff,Someone\n").encode()).json()
    assert [row["login"] for row in again["created"]] == ["cy"]
    assert sorted(again["existing"]) == ["ada", "bob", "staff"]
    assert "token" not in str(again["existing"])


@pytest.mark.parametrize("body, words", [
    ("login,name\nada,Ada\nnot a login!,X\n", ["roster line 3", "'not a login!'"]),
    ("login,name\nada,Ada\n\n,Nobody\n", ["roster line 4"]),
    ("login,name\nada,Ada\nada,Ada again\n", ["ada more than once"]),
    ("name,email\nAda,ada@example.edu\n", ["header row with a login column"]),
    ("", ["header row"]),
    ("login,name,sis_id\nada,Lovelace, Ada,S001\n", ["roster line 2", "4 fields", "3"]),  # an unquoted comma
])
def test_a_bad_roster_is_refused_whole(quiet, body, words):
    before = quiet.stored()
    answer = post(quiet, "/roster", content=body.encode())
    assert answer.status_code == 400, answer.text
    assert all(word in answer.json()["detail"] for word in words), answer.json()
    assert quiet.stored() == before


# ----------------------------------------------------------------------------- assignments and the course

def test_assignment_times_need_a_zone_and_an_order(quiet):
    before = quiet.client.get("/api/v1/assignments", headers=quiet.staff()).json()
    naive = patch(quiet, "/assignments/hw1", {"due_at": "2026-12-14T23:59:00"})
    assert naive.status_code == 400 and "due_at needs a time zone" in naive.json()["detail"]
    backwards = patch(quiet, "/assignments/hw1", {"opens_at": "2026-12-20T00:00:00Z", "due_at": "2026-12-14T23:59:00Z"})
    assert backwards.status_code == 400 and "would open" in backwards.json()["detail"]
    for empty in ("title", "due_at", "max_late_days", "penalty_per_day"):
        answer = patch(quiet, "/assignments/hw1", {empty: None})
        assert answer.status_code == 400 and f"{empty} cannot be empty" in answer.json()["detail"], answer.text
    assert patch(quiet, "/assignments/hw1", {"max_late_days": -1}).status_code == 422
    assert patch(quiet, "/assignments/hw1", {"penalty_per_day": 1.5}).status_code == 422
    assert patch(quiet, "/assignments/hw9", {"title": "x"}).status_code == 404
    assert quiet.client.get("/api/v1/assignments", headers=quiet.staff()).json() == before


def test_an_assignment_change_is_kept_in_utc(quiet):
    changed = patch(quiet, "/assignments/hw1", {
        "title": "hw1, renamed", "opens_at": "2026-09-01T09:00:00-04:00", "due_at": "2026-09-15T23:59:00-04:00",
        "max_late_days": 2, "penalty_per_day": 0.25, "daily_limit": None, "total_limit": 30})
    assert changed.status_code == 200, changed.text
    view = changed.json()
    assert view["due_at"] == "2026-09-16T03:59:00+00:00" and view["opens_at"] == "2026-09-01T13:00:00+00:00"
    assert (view["title"], view["max_late_days"], view["penalty_per_day"], view["daily_limit"], view["total_limit"]) \
        == ("hw1, renamed", 2, 0.25, None, 30)
    listed = {a["homework"]: a for a in quiet.client.get("/api/v1/assignments", headers=quiet.staff()).json()}
    assert listed["hw1"] == view and set(listed) >= {"hw0", "hw1", "hw2", "hw3", "hw4"}


def test_course_changes(quiet):
    assert patch(quiet, "/course", {"timezone": "Mars/Olympus_Mons"}).status_code == 400
    assert patch(quiet, "/course", {"timezone": "../../etc/passwd"}).status_code == 400
    assert patch(quiet, "/course", {"grade_policy": "worst"}).status_code == 422
    assert patch(quiet, "/course", {"late_day_budget": None}).status_code == 400
    changed = patch(quiet, "/course", {"timezone": "America/Los_Angeles", "grade_policy": "best", "late_day_budget": 2})
    assert changed.json() == {"late_day_budget": 2, "grade_policy": "best", "timezone": "America/Los_Angeles"}


def test_extensions(quiet):
    due = "2026-12-20T23:59:00-05:00"
    assert post(quiet, "/assignments/hw1/extensions", json={"login": "nobody", "due_at": due}).status_code == 404
    assert post(quiet, "/assignments/hw9/extensions", json={"login": "demo-student", "due_at": due}).status_code == 404
    naive = post(quiet, "/assignments/hw1/extensions", json={"login": "demo-student", "due_at": "2026-12-20T23:59"})
    assert naive.status_code == 400 and "time zone" in naive.json()["detail"]
    assert quiet.rows()["extensions"] == 0
    granted = post(quiet, "/assignments/hw1/extensions", json={"login": "demo-student", "due_at": due})
    assert granted.json() == {"homework": "hw1", "login": "demo-student", "due_at": "2026-12-21T04:59:00+00:00"}
    later = post(quiet, "/assignments/hw1/extensions", json={"login": "demo-student", "due_at": "2026-12-22T23:59:00Z"})
    assert later.status_code == 200 and quiet.rows()["extensions"] == 1  # replaced, not added
    with quiet.service.factory() as db:
        assert db.scalar(select(Extension)).due_at == datetime(2026, 12, 22, 23, 59, tzinfo=timezone.utc)
    me = quiet.client.get("/api/v1/me", headers=quiet.student()).json()
    assert next(a for a in me["assignments"] if a["homework"] == "hw1")["due_at"] == "2026-12-22T23:59:00+00:00"


# ----------------------------------------------------------------------------- regrades and the queue

def test_regrades_queue_behind_new_submissions(quiet):
    other = quiet.add_student("other")
    first = quiet.submit(HW1).json()["submission"]
    second = quiet.submit(HW1, headers=quiet.headers(other)).json()["submission"]
    everyone = post(quiet, "/assignments/hw1/regrade").json()
    assert everyone["queued"] == 2 and len(everyone["runs"]) == 2
    newest = quiet.submit(HW1).json()
    assert newest["position"] == 2  # before both regrades
    queue = post(quiet, "/assignments/hw0/regrade").json()
    assert queue == {"homework": "hw0", "queued": 0, "runs": []}
    queue = quiet.client.get("/api/v1/queue", headers=quiet.staff()).json()
    assert queue["queued"] == 5 and queue["running"] == 0 and queue["oldest_queued_seconds"] >= 0
    assert [(r["submission"], r["reason"]) for r in queue["queued_runs"]] == [
        (first, "submission"), (second, "submission"), (newest["submission"], "submission"),
        (first, "regrade"), (second, "regrade")]
    assert {r["login"] for r in queue["queued_runs"]} == {"demo-student", "other"}


def test_regrade_one_and_all_add_runs_and_the_latest_finished_is_the_result(make_api):
    api = make_api()
    other = api.add_student("other")
    early = api.submit(HW1).json()["submission"]
    latest = api.submit(HW1_PARTIAL).json()["submission"]
    theirs = api.submit(HW1, headers=api.headers(other)).json()["submission"]
    scores = {s: wait_until_final(api, s)["score"] for s in (early, latest, theirs)}
    assert scores[early] == scores[theirs] == 100 and 0 < scores[latest] < 100
    runs_before = api.rows()["grading_runs"]

    everyone = post(api, "/assignments/hw1/regrade").json()
    assert everyone["queued"] == 2  # each student's latest: not `early`
    one = post(api, f"/submissions/{early}/regrade").json()
    assert post(api, "/submissions/999/regrade").status_code == 404
    deadline = time.monotonic() + 120
    while api.client.get("/api/v1/queue", headers=api.staff()).json()["queued"] + \
            api.client.get("/api/v1/queue", headers=api.staff()).json()["running"]:
        assert time.monotonic() < deadline
        time.sleep(0.3)
    assert api.rows()["grading_runs"] == runs_before + 3  # added, none replaced
    progress = api.client.get("/api/v1/assignments/hw1/regrade", headers=api.staff()).json()
    assert progress == {"homework": "hw1", "total": 3, "queued": 0, "running": 0, "done": 3, "grader_error": 0,
                        "finished": True}
    for submission, regrade_run in [(latest, everyone["runs"][0]), (theirs, everyone["runs"][1]), (early, one["run"])]:
        runs = api.client.get(f"/api/v1/submissions/{submission}/runs", headers=api.staff()).json()["runs"]
        assert [(r["reason"], r["status"]) for r in runs] == [("submission", "done"), ("regrade", "done")]
        assert runs[1]["run"] == regrade_run
        view = api.client.get(f"/api/v1/submissions/{submission}", headers=api.staff()).json()
        assert view["result"]["run"] == regrade_run and view["score"] == scores[submission]


def test_publishing_answers_from_the_route_lets_waiting_runs_start(make_api, tmp_path):
    api = make_api(answers_dir=tmp_path / "no-answers-yet")
    submission = api.submit(HW1).json()["submission"]
    assert post(api, "/answers/hw9/publish").status_code == 404
    answer = post(api, "/answers/hw1/publish")
    assert answer.status_code == 202 and answer.json() == {"homework": "hw1", "publishing": True}
    final = wait_until_final(api, submission, timeout=120)
    assert final["state"] == "done" and final["score"] == 100
    assert (tmp_path / "no-answers-yet" / "hw1.json").is_file()


def test_publishing_without_a_sandbox_says_why(make_api):
    api = make_api(sandbox="plain")  # refused without allow_unsandboxed: no sandbox at all
    answer = post(api, "/answers/hw1/publish")
    assert answer.status_code == 400 and "DLSYS_ALLOW_UNSANDBOXED" in answer.json()["detail"]
    submission = api.submit(HW1).json()
    assert submission["state"] == "queued"
    queue = api.client.get("/api/v1/queue", headers=api.staff()).json()
    assert "DLSYS_ALLOW_UNSANDBOXED" in queue["waiting"]["hw1"]


def test_an_assignment_is_created_for_a_homework_that_has_none(quiet):
    assert post(quiet, "/assignments/hw1", json={"opens_at": "2026-12-01T00:00:00Z",
                                                 "due_at": "2026-12-08T00:00:00Z"}).status_code == 400  # it has one
    assert post(quiet, "/assignments/hw9", json={"opens_at": "2026-12-01T00:00:00Z",
                                                 "due_at": "2026-12-08T00:00:00Z"}).status_code == 404
    with quiet.service.factory() as db, db.begin():  # as if hw1 had been released after the course began
        from autograder.server.db.models import Assignment
        db.delete(db.scalar(select(Assignment).where(Assignment.homework == "hw1")))
    rows = quiet.rows()
    refused = post(quiet, "/assignments/hw1", json={"due_at": "2026-12-08T00:00:00Z"})
    assert refused.status_code == 400 and "opens_at" in refused.json()["detail"] and quiet.rows() == rows
    made = post(quiet, "/assignments/hw1", json={"opens_at": "2026-12-01T00:00:00-05:00",
                                                 "due_at": "2026-12-08T23:59:00-05:00", "daily_limit": 3})
    assert made.status_code == 201, made.text
    assert made.json() | {"title": None} == {
        "homework": "hw1", "title": None, "opens_at": "2026-12-01T05:00:00+00:00", "due_at": "2026-12-09T04:59:00+00:00",
        "max_late_days": 3, "penalty_per_day": 0.1, "daily_limit": 3, "total_limit": None, "max_score": 100.0}
    assert quiet.client.post("/api/v1/assignments/hw1", json={}, headers=quiet.student()).status_code == 403
