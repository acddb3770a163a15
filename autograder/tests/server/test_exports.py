"""Grade exports, field by field: the Canvas gradebook CSV (header, Points Possible, one row per
student, the counted score per policy with the late penalty, late days used) and a
submission's Gradescope results.json.

Ada is late on both assignments; the budget of 2 days is spent in due order (hw1 is due first
here, though hw0 is the older assignment), so hw0's one late day is beyond it. Bob submits
hw1 twice on time: the reference, then a worse one.
"""
import csv
import io
from datetime import datetime, timezone

import pytest

from conftest import student_files, tar_bytes, wait_until_final

UTC = timezone.utc


def at(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def course(make_api):
    """The course above, before anyone submits: (api, tokens by login)."""
    api = make_api()
    api.change("/course", late_day_budget=2, grade_policy="latest")
    api.change("/assignments/hw1", opens_at=at(2026, 1, 1), due_at=at(2026, 2, 1, 23, 59), max_late_days=3,
               penalty_per_day=0.1)
    api.change("/assignments/hw0", opens_at=at(2026, 1, 1), due_at=at(2026, 3, 1, 23, 59), max_late_days=3,
               penalty_per_day=0.25)
    created = api.client.post("/api/v1/roster", headers=api.staff(), content=(
        "login,name,sis_id,section\n"
        "ada,\"Lovelace, Ada\",S001,Tue\n"
        "bob,Bob Babbage,S002,Wed\n"
        "cy,Cy Young,,\n").encode()).json()["created"]
    return api, {row["login"]: row["token"] for row in created}


def submit_all(api, token, names=None) -> dict[str, int]:
    """Make the submissions above (those in `names`, or all) at their moments; wait until graded."""
    plan = [("ada_hw1", "ada", "hw1", tar_bytes(student_files("hw1")), at(2026, 2, 3, 12, 0)),  # 2 days late
            ("ada_hw0", "ada", "hw0", tar_bytes(student_files("hw0")), at(2026, 3, 2, 12, 0)),  # 1 day late
            ("bob_best", "bob", "hw1", tar_bytes(student_files("hw1")), at(2026, 1, 15, 12, 0)),
            ("bob_latest", "bob", "hw1", tar_bytes(student_files("hw1", handout=("apps/simple_ml.py",))),
             at(2026, 1, 20, 12, 0))]
    ids = {}
    for name, login, homework, archive, moment in plan:
        if names is not None and name not in names:
            continue
        api.at(moment)
        answer = api.submit(archive, homework=homework, headers=api.headers(token[login]))
        assert answer.status_code == 201, answer.text
        ids[name] = answer.json()["submission"]
    for submission in ids.values():
        assert wait_until_final(api, submission)["state"] == "done"
    return ids


def canvas(api) -> list[list[str]]:
    answer = api.client.get("/api/v1/grades.csv", headers=api.staff())
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert 'filename="grades.csv"' in answer.headers["content-disposition"]
    return list(csv.reader(io.StringIO(answer.text)))


def test_the_canvas_csv_field_by_field(course):
    api, token = course
    ids = submit_all(api, token)
    score = {name: api.client.get(f"/api/v1/submissions/{i}", headers=api.staff()).json()["score"]
             for name, i in ids.items()}
    assert score["ada_hw1"] == score["ada_hw0"] == score["bob_best"] == 100 and 0 < score["bob_latest"] < 100
    maximum = {a["homework"]: a["max_score"] for a in api.client.get("/api/v1/assignments", headers=api.staff()).json()}

    rows = canvas(api)
    header, points, students = rows[0], rows[1], rows[2:]
    assert header == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section",
                      "hw1", "hw0", "hw2", "hw3", "hw4", "Late days used"]  # assignments in due order
    assert points == ["Points Possible", "", "", "", ""] + [f"{maximum[h]:g}" for h in header[5:10]] + [""]
    by_login = {row[3]: dict(zip(header, row)) for row in students}
    assert sorted(by_login) == ["ada", "bob", "cy", "demo-student"]  # students only, one row each, no staff
    assert len(students) == 4

    ada = by_login["ada"]
    assert (ada["Student"], ada["SIS User ID"], ada["Section"]) == ("Lovelace, Ada", "S001", "Tue")
    assert ada["ID"] == ""  # Canvas's own user id, which the service does not know: Canvas matches SIS ids
    assert ada["hw1"] == "100"  # 2 days late, both within the budget of 2
    assert ada["hw0"] == "75"  # 1 day late beyond the budget: 25% off
    assert ada["hw2"] == ada["hw3"] == ada["hw4"] == ""  # nothing submitted: empty, never 0
    assert ada["Late days used"] == "3"

    bob = by_login["bob"]
    assert bob["hw1"] == f"{score['bob_latest']:g}" and bob["Late days used"] == "0"  # the latest counts
    assert by_login["cy"]["hw1"] == "" and by_login["cy"]["Late days used"] == "0"

    me = api.client.get("/api/v1/me", headers=api.headers(token["ada"])).json()
    assert (me["late_days_used"], me["late_days_left"]) == (3, 0)

    # the best submission instead: Bob's first
    api.change("/course", grade_policy="best")
    by_login = {row[3]: dict(zip(header, row)) for row in canvas(api)[2:]}
    assert by_login["bob"]["hw1"] == "100" and by_login["ada"]["hw0"] == "75"

    # staff move hw0's due date past Ada's submission: it is on time now, and costs nothing
    api.change("/assignments/hw0", due_at=at(2026, 3, 3, 23, 59))
    by_login = {row[3]: dict(zip(header, row)) for row in canvas(api)[2:]}
    assert (by_login["ada"]["hw1"], by_login["ada"]["hw0"], by_login["ada"]["Late days used"]) == ("100", "100", "2")


def test_gradescope_results_json_field_by_field(course):
    api, token = course
    ids = submit_all(api, token, names={"bob_latest"})
    submission = ids["bob_latest"]
    stored = api.client.get(f"/api/v1/submissions/{submission}/runs", headers=api.staff()).json()["runs"][-1]["result"]
    answer = api.client.get(f"/api/v1/submissions/{submission}/results.json", headers=api.headers(token["bob"]))
    assert answer.status_code == 200
    gradescope = answer.json()
    assert set(gradescope) == {"score", "execution_time", "output", "output_format", "tests"}
    assert gradescope["score"] == stored["score"] and 0 < gradescope["score"] < 100
    assert isinstance(gradescope["execution_time"], float) and gradescope["execution_time"] > 0
    assert gradescope["output_format"] == "text"
    assert len(gradescope["tests"]) == len(stored["cases"])
    for test, case in zip(gradescope["tests"], stored["cases"]):
        assert set(test) == {"name", "score", "max_score", "status", "output", "visibility"}
        assert test["name"] == f"{case['part']}: {case['run']}"
        assert test["score"] == case["score"] and test["max_score"] == case["points"]
        assert test["status"] == ("passed" if case["status"] == "passed" else "failed")
        assert test["output"].startswith(case["status"])
        assert test["visibility"] == "visible"
    failed = [t for t in gradescope["tests"] if t["status"] == "failed"]
    assert failed and all("not implemented" in t["output"] and t["score"] == 0 for t in failed)
    assert sum(t["score"] for t in gradescope["tests"]) == pytest.approx(gradescope["score"])
    assert sum(t["max_score"] for t in gradescope["tests"]) == pytest.approx(100)
    # another student may not read it; staff may
    assert api.client.get(f"/api/v1/submissions/{submission}/results.json",
                          headers=api.headers(token["ada"])).status_code == 404
    assert api.client.get(f"/api/v1/submissions/{submission}/results.json", headers=api.staff()).json() == gradescope
