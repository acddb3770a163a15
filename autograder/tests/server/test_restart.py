"""A live `dlsys serve` stopped with submissions queued (a student following one), or killed
while grading one, and started again on the same home and database: every submission is
graded exactly once more (none lost, none twice; a run interrupted mid-grading is a grader
error attempt, retried); a SIGTERM is not held up by a stream left open.
Both servers' logs hold no token, and no database password, outside the first start's banner."""
import signal
import threading
import time

import httpx
import pytest

from conftest import start_live_server, student_files, tar_bytes
from live_service import wait_for

HW0, HW1 = tar_bytes(student_files("hw0")), tar_bytes(student_files("hw1"))
FAST = {"DLSYS_RATE_LIMIT_PER_MINUTE": "100000"}  # the tests poll often
PASSWORD = "hunter2-never-logged"


def with_password(database_url: str) -> str:
    """The test cluster trusts loopback, so a password is accepted and ignored: it must not be shown."""
    return database_url.replace("://dlsys@", f"://dlsys:{PASSWORD}@")


def client(server, token: str) -> httpx.Client:
    return httpx.Client(base_url=f"{server.url}/api/v1", headers={"Authorization": f"Bearer {token}"}, timeout=30)


def submit(server, token: str, archive: bytes, homework: str) -> int:
    with client(server, token) as http:
        answer = http.post("/submissions", data={"homework": homework},
                           files={"archive": ("submission.tar.gz", archive, "application/gzip")})
    assert answer.status_code == 201, answer.text
    return answer.json()["submission"]


def runs(server, submission: int) -> list[dict]:
    with client(server, server.staff_token) as http:
        return http.get(f"/submissions/{submission}/runs").json()["runs"]


def stop(server, how: signal.Signals) -> None:
    server.process.send_signal(how)
    server.process.wait(30)


def follow(server, submission: int) -> threading.Thread:
    """A student following the submission's events in a thread (ended when the server goes)."""
    opened = threading.Event()

    def read():
        try:
            with client(server, server.student_token) as http, \
                    http.stream("GET", f"/submissions/{submission}/events", timeout=None) as stream:
                for _ in stream.iter_lines():
                    opened.set()
        except httpx.HTTPError:
            pass

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    assert opened.wait(10), "the events stream did not start"
    return thread


def all_graded(server, submissions: list[int]) -> bool:
    with client(server, server.staff_token) as http:
        queue = http.get("/queue").json()
    return queue["queued"] == 0 and queue["running"] == 0 and all(
        any(r["status"] == "done" for r in runs(server, s)) for s in submissions)


def assert_no_secret_logged(servers, secrets: list[str]) -> None:
    """The first start prints the two tokens (and a command holding the student's) once, on purpose;
    nothing else may hold a token or the database password."""
    for server in servers:
        lines = [line for line in server.output.read_text().splitlines()
                 if not line.startswith(("staff token: ", "student token: ")) and "submit.py --server" not in line]
        assert lines, "the server said nothing"
        for line in lines:
            for secret in secrets:
                assert secret not in line, f"a secret in the log of {server.url}: {line}"


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL], ids=["sigterm", "sigkill"])
def test_submissions_queued_before_a_restart_are_graded_once_after_it(tmp_path, database_url, service_answers, how):
    home, url = tmp_path / "home", with_password(database_url)
    first = start_live_server(home, url, service_answers, DLSYS_WORKERS="0", **FAST)  # accepts, cannot grade
    submissions = [submit(first, first.student_token, HW1, "hw1") for _ in range(3)]
    with client(first, first.staff_token) as http:
        roster = http.post("/roster", content=b"login\nada\n").json()["created"][0]["token"]
        assert http.get("/queue").json()["queued"] == 3
    with client(first, "dlsys_a-guess-that-is-no-token") as http:
        assert http.get("/me").status_code == 401
    following = follow(first, submissions[0])  # as `dlsys submit` does: it must not hold the stop
    stop(first, how)
    following.join(5)
    assert not following.is_alive()

    second = start_live_server(home, url, service_answers, tokens=(first.staff_token, first.student_token),
                               DLSYS_WORKERS="1", **FAST)
    try:
        wait_for(lambda: all_graded(second, submissions), 120, "every queued submission graded")
        for submission in submissions:
            assert [(r["reason"], r["status"]) for r in runs(second, submission)] == [("submission", "done")]
        with client(second, second.student_token) as http:
            assert [s["score"] for s in http.get("/submissions").json()] == [100, 100, 100]
    finally:
        second.stop()
    assert_no_secret_logged([first, second], [first.staff_token, first.student_token, roster, PASSWORD,
                                              "dlsys_a-guess-that-is-no-token"])


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL], ids=["sigterm", "sigkill"])
def test_a_run_interrupted_mid_grading_is_a_grader_error_attempt_and_retried(tmp_path, database_url,
                                                                            service_answers, how):
    """hw0 builds C++ for several seconds: longer than a SIGTERM waits for a running job (5 s)."""
    home, url = tmp_path / "home", with_password(database_url)
    first = start_live_server(home, url, service_answers, DLSYS_WORKERS="1", **FAST)
    slow = submit(first, first.student_token, HW0, "hw0")
    queued = [submit(first, first.student_token, HW1, "hw1") for _ in range(2)]
    with client(first, first.staff_token) as http:
        wait_for(lambda: http.get("/queue").json()["running"] == 1, 60, "hw0 being graded")
    time.sleep(1)
    stop(first, how)

    second = start_live_server(home, url, service_answers, tokens=(first.staff_token, first.student_token),
                               DLSYS_WORKERS="1", **FAST)
    try:
        wait_for(lambda: all_graded(second, [slow, *queued]), 180, "every submission graded")
        interrupted = runs(second, slow)
        assert [(r["attempt"], r["reason"], r["status"]) for r in interrupted] == [
            (1, "submission", "grader error"), (2, "retry", "done")]
        # SQLite: "the server stopped ..."; PostgreSQL: "the worker HOST:PID:.. stopped ..." (the server's own)
        assert "stopped while this attempt ran" in interrupted[0]["error"]
        assert interrupted[1]["score"] == 100
        for submission in queued:
            assert [(r["reason"], r["status"]) for r in runs(second, submission)] == [("submission", "done")]
        assert "1 grading run(s) were interrupted by the last stop" in second.output.read_text()
    finally:
        second.stop()
    assert_no_secret_logged([first, second], [first.staff_token, first.student_token, PASSWORD])
