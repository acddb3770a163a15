"""Who may do what: 401 without a valid token (with a sentence), a student sees only their own
submissions (another's is a 404, as if it did not exist), every staff route is a 403 to a
student, staff read anyone's; rate limits per user and, for bad tokens, per address."""
import re

import pytest

from conftest import student_files, tar_bytes

HW1 = tar_bytes(student_files("hw1"))


@pytest.fixture
def quiet(make_api):
    return make_api(workers=0)


def staff_routes(app) -> list[tuple[str, str]]:
    """(method, path) of every operation the OpenAPI document tags staff, path parameters filled in."""
    found = []
    for path, operations in app.openapi()["paths"].items():
        for method, operation in operations.items():
            if "staff" in operation.get("tags", []):
                filled = path.replace("{homework}", "hw1").replace("{submission_id}", "1")
                assert "{" not in filled, f"fill in the parameters of {path}"
                found.append((method.upper(), filled))
    return found


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer not-a-token", "Basic c3RhZmY6c3RhZmY=", "dlsys_abc"])
def test_no_or_a_wrong_token_is_a_401_with_a_sentence(quiet, header):
    headers = {"Authorization": header} if header is not None else {}
    before = quiet.stored()
    for method, path in [("GET", "/api/v1/me"), ("GET", "/api/v1/submissions"), ("GET", "/api/v1/submissions/1"),
                         ("GET", "/api/v1/queue"), ("GET", "/api/v1/grades.csv")]:
        answer = quiet.client.request(method, path, headers=headers)
        assert answer.status_code == 401, (path, answer.text)
        assert re.fullmatch(r"[a-z].+ \S.+", answer.json()["detail"]), answer.json()
    answer = quiet.submit(HW1, headers=headers)
    assert answer.status_code == 401 and "token" in answer.json()["detail"]
    assert quiet.stored() == before


def test_a_student_sees_only_their_own_submissions(quiet):
    other = quiet.add_student("other")
    mine = quiet.submit(HW1).json()["submission"]
    theirs = quiet.submit(HW1, headers=quiet.headers(other)).json()["submission"]
    for path in ("", "/events", "/results.json"):
        answer = quiet.client.get(f"/api/v1/submissions/{theirs}{path}", headers=quiet.student())
        assert answer.status_code == 404, (path, answer.text)
        missing = quiet.client.get(f"/api/v1/submissions/999{path}", headers=quiet.student())
        assert missing.status_code == 404
        # the answer for another's is the answer for none: nothing tells that it exists
        assert answer.json()["detail"].replace(str(theirs), "N") == missing.json()["detail"].replace("999", "N")
    assert [s["submission"] for s in quiet.client.get("/api/v1/submissions", headers=quiet.student()).json()] == [mine]
    assert [s["submission"] for s in quiet.client.get("/api/v1/submissions", headers=quiet.headers(other)).json()] \
        == [theirs]
    assert quiet.client.get(f"/api/v1/submissions/{mine}", headers=quiet.student()).status_code == 200


def test_staff_read_anyones_submission(quiet):
    theirs = quiet.submit(HW1).json()["submission"]
    assert quiet.client.get(f"/api/v1/submissions/{theirs}", headers=quiet.staff()).json()["submission"] == theirs
    assert quiet.client.get(f"/api/v1/submissions/{theirs}/runs", headers=quiet.staff()).json()["login"] \
        == "demo-student"
    not_yet = quiet.client.get(f"/api/v1/submissions/{theirs}/results.json", headers=quiet.staff())
    assert not_yet.status_code == 404 and "no result yet" in not_yet.json()["detail"]
    with quiet.client.stream("GET", f"/api/v1/submissions/{theirs}/events", headers=quiet.staff()) as events:
        assert events.status_code == 200 and events.headers["content-type"].startswith("text/event-stream")
        first = next(events.iter_lines())
        assert first == "event: status"


def test_every_staff_route_is_a_403_for_a_student(quiet):
    routes = staff_routes(quiet.client.app)
    assert len(routes) >= 11, routes  # roster, assignments (list, change), course, extensions, publish, regrades, ...
    quiet.submit(HW1)
    before = quiet.stored()
    for method, path in routes:
        answer = quiet.client.request(method, path, headers=quiet.student())
        assert answer.status_code == 403, (method, path, answer.text)
        assert "staff route" in answer.json()["detail"]
    assert quiet.stored() == before


def test_the_rate_limit_is_per_user_on_every_route(make_api):
    api = make_api(workers=0, rate_limit_per_minute=6)
    other = api.add_student("other")  # one of the staff's six
    for path in ("/api/v1/me", "/api/v1/submissions", "/api/v1/me", "/api/v1/submissions/999", "/api/v1/me",
                 "/api/v1/submissions"):
        assert api.client.get(path, headers=api.student()).status_code in (200, 404)
    before = api.stored()
    for path in ("/api/v1/me", "/api/v1/queue"):
        limited = api.client.get(path, headers=api.student())
        assert limited.status_code == 429, limited.text
        assert "at most 6 a minute" in limited.json()["detail"]
        assert 1 <= int(limited.headers["Retry-After"]) <= 61
    assert api.submit(HW1).status_code == 429
    assert api.stored() == before
    # another student, and staff, are not slowed down by it
    assert api.client.get("/api/v1/me", headers=api.headers(other)).status_code == 200
    assert api.client.get("/api/v1/queue", headers=api.staff()).status_code == 200


def test_bad_tokens_are_limited_per_address_without_slowing_anyone_else(make_api):
    api = make_api(workers=0, rate_limit_per_minute=5)
    for number in range(5):
        assert api.client.get("/api/v1/me", headers=api.headers(f"guess-{number}")).status_code == 401
    limited = api.client.get("/api/v1/me", headers=api.headers("guess-5"))
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1
    assert api.client.get("/api/v1/me").status_code == 429  # no token at all, same address
    assert api.client.get("/api/v1/me", headers=api.student()).status_code == 200  # a real token still works


def test_health_and_the_api_docs_need_no_token(quiet):
    assert quiet.client.get("/api/v1/health").json() == {"ok": True, "grading": True}
    assert quiet.client.get("/docs").status_code == 200
    paths = quiet.client.get("/openapi.json").json()["paths"]
    assert {"/api/v1/submissions", "/api/v1/me", "/api/v1/grades.csv", "/api/v1/roster"} <= set(paths)
