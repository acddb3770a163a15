"""The submit client (autograder/client/submit.py, a handout's submit.py): its config file, and
a released handout's own submit.py against a live `dlsys serve` on loopback, through a proxy
that loses answers where a retry is the point."""
import io
import os
import re
import socket
import stat
import subprocess
import sys
import threading
import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from autograder.cli import app
from autograder.client import submit
from live_service import free_port, reference_archive, start_live_server


def run_submit(handout: Path, *args: str, config_home: Path) -> subprocess.CompletedProcess:
    """`python submit.py ARGS` in the handout, as a student runs it (no dlsys installed is needed)."""
    return subprocess.run([sys.executable, "submit.py", *args], cwd=handout, capture_output=True, text=True,
                          timeout=300, env=os.environ | {"XDG_CONFIG_HOME": str(config_home)})


@pytest.fixture
def handout(tmp_path) -> Path:
    """A fresh hw1 handout, released as staff release it."""
    released = CliRunner().invoke(app, ["release", "hw1", "--out", str(tmp_path / "hw1-handout")])
    assert released.exit_code == 0, released.output
    return tmp_path / "hw1-handout"


def submissions(server, homework: str) -> list[dict]:
    return submit.Client(server.url, server.student_token).get(f"/submissions?homework={homework}")


# ----------------------------------------------------------------------------- the config file

def test_the_config_is_created_owner_only_and_holds_the_server_and_token_only(tmp_path, monkeypatch):
    path = tmp_path / "dlsys" / "config.toml"
    path.parent.mkdir()
    path.write_text('server = "http://old"\ntoken = "old"\nother = 1\n')
    path.chmod(0o644)  # an older file anyone may read is replaced, never reused

    def no_chmod(*args, **kwargs):
        raise AssertionError("the config must be created 0600, not chmod'ed after")

    monkeypatch.setattr(os, "chmod", no_chmod)
    monkeypatch.setattr(Path, "chmod", no_chmod)
    server, token = 'http://127.0.0.1:8000/a "quoted" \\ path', 'tok"en\\with\ttab\x01and é'
    umask = os.umask(0)  # the mode comes from the creation itself, whatever the umask allows
    try:
        assert submit.save_config(server, token, path) == path
    finally:
        os.umask(umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert tomllib.loads(path.read_text()) == {"server": server, "token": token}
    assert submit.load_config(path) == {"server": server, "token": token}


def test_the_config_lives_under_xdg_config_home_else_dot_config(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert submit.config_path() == tmp_path / "xdg" / "dlsys" / "config.toml"
    monkeypatch.delenv("XDG_CONFIG_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert submit.config_path() == tmp_path / "home" / ".config" / "dlsys" / "config.toml"
    with pytest.raises(submit.SubmitError, match=r"no server given and none saved in .*dlsys login"):
        submit.connect()


# ----------------------------------------------------------------------------- a handout against a live server

def test_a_fresh_handout_submitted_with_its_own_submit_py_scores_0_not_implemented_per_case(
        module_live_server, handout, tmp_path):
    server = module_live_server
    result = run_submit(handout, "--server", server.url, "--token", server.student_token, config_home=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "uploading hw1-submission.tar.gz" in out and re.search(r"uploaded hw1-submission.tar.gz: submission \d+", out)
    assert re.search(r"submission \d+: queued", out) and re.search(r"submission \d+: done: 0 / 100", out)
    assert re.search(r"^total\s+0\s+100$", out, re.M), out
    number = int(re.search(r"submission (\d+)", out).group(1))
    graded = submit.Client(server.url, server.student_token).get(f"/submissions/{number}")["result"]
    assert graded["score"] == 0 and graded["cases"]
    listed = out.split(f"{len(graded['cases'])} case(s) without full marks:\n")[1].splitlines()[:len(graded["cases"])]
    for case, line in zip(graded["cases"], listed):
        assert line.startswith(f"  {case['run']} ({case['part']}) 0/") and "not implemented" in line, line
    assert server.student_token not in out + result.stderr


def test_save_keeps_the_server_and_token_for_the_next_runs(module_live_server, handout, tmp_path):
    server = module_live_server
    before = len(submissions(server, "hw1"))
    saved = run_submit(handout, "--server", server.url, "--token", server.student_token, "--save", "--pack-only",
                       config_home=tmp_path)
    config = tmp_path / "dlsys" / "config.toml"
    assert saved.returncode == 0 and f"token of demo-student in {config}" in saved.stdout, saved.stderr
    assert stat.S_IMODE(config.stat().st_mode) == 0o600 and len(submissions(server, "hw1")) == before
    uploaded = run_submit(handout, "--no-wait", config_home=tmp_path)  # neither --server nor --token
    assert uploaded.returncode == 0, uploaded.stderr
    number = int(re.search(r"uploaded hw1-submission.tar.gz: submission (\d+)", uploaded.stdout).group(1))
    assert f"--results {number}" in uploaded.stdout and len(submissions(server, "hw1")) == before + 1
    assert server.student_token not in saved.stdout + uploaded.stdout + saved.stderr + uploaded.stderr


def test_without_a_server_or_config_it_packs_and_says_how_to_upload(handout, tmp_path):
    result = run_submit(handout, config_home=tmp_path)
    assert result.returncode == 0 and (handout / "hw1-submission.tar.gz").is_file()
    assert "To upload it: python submit.py --server URL --token TOKEN" in result.stdout


def test_a_bad_token_is_one_line_and_exit_1(module_live_server, handout, tmp_path):
    result = run_submit(handout, "--server", module_live_server.url, "--token", "not-a-token", config_home=tmp_path)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "error: the grading service refused (401): this token is not valid: ask course staff for yours, "
        "then run dlsys login again"]


def test_an_unreachable_server_is_one_error_line_after_the_retries_and_exit_1(handout, tmp_path):
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    result = run_submit(handout, "--server", url, "--token", "secret-token", config_home=tmp_path)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    *retries, error = result.stderr.splitlines()
    assert error.startswith(f"error: cannot reach the grading service at {url} (Connection refused)"), error
    assert len(retries) == 3 and all("trying again in" in line for line in retries), retries
    assert "secret-token" not in result.stdout + result.stderr


# ----------------------------------------------------------------------------- retries keep one submission

class LosingProxy:
    """A proxy on loopback in front of the service: it forwards every request whole and loses the
    answer to the first one, hanging up without a word (`drop`) or answering 502 instead (`502`).
    It keeps every request's Idempotency-Key."""

    def __init__(self, upstream: str, fault: str):
        self.upstream, self.fault, self.keys = upstream, fault, []
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.1)
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.stopped.is_set():
            try:
                connection, _ = self.listener.accept()
            except TimeoutError:
                continue
            with connection:
                connection.settimeout(30)
                request = read_request(connection)
                key = re.search(rb"(?im)^idempotency-key: *(\S+)", request)
                self.keys.append(key.group(1).decode() if key else None)
                host, port = self.upstream.removeprefix("http://").split(":")
                with socket.create_connection((host, int(port)), timeout=60) as upstream:
                    upstream.sendall(request)
                    answer = b"".join(iter(lambda: upstream.recv(65536), b""))  # the client asked Connection: close
                if len(self.keys) > 1:
                    connection.sendall(answer)
                elif self.fault == "502":
                    body = b'{"detail": "bad gateway"}'
                    connection.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Type: application/json\r\n"
                                       b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(body), body))

    def close(self) -> None:
        self.stopped.set()
        self.thread.join()
        self.listener.close()


def read_request(connection: socket.socket) -> bytes:
    """One whole HTTP request: the head, then Content-Length bytes of body."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += connection.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    declared = re.search(rb"(?im)^content-length: *(\d+)", head)
    length = int(declared.group(1)) if declared else 0
    while len(body) < length:
        body += connection.recv(65536)
    return head + b"\r\n\r\n" + body


@pytest.mark.parametrize("fault", ["drop", "502"])
def test_an_upload_whose_answer_is_lost_is_retried_with_the_same_key_into_one_submission(
        module_live_server, fault, tmp_path):
    server = module_live_server
    archive = reference_archive("hw1", tmp_path)
    before = submissions(server, "hw1")
    proxy = LosingProxy(server.url, fault)
    sent = []
    try:
        view, created = submit.Client(proxy.url, server.student_token, backoff=0.01).upload(
            "hw1", archive, on_sent=sent.append)
    finally:
        proxy.close()
    assert len(proxy.keys) == 2 and proxy.keys[0] == proxy.keys[1] is not None, proxy.keys
    assert not created  # the service had the first try: the retry got that submission back (200)
    after = submissions(server, "hw1")
    assert [v["submission"] for v in after] == [v["submission"] for v in before] + [view["submission"]]
    assert sent[-1] >= archive.stat().st_size  # the progress bar saw every byte go out


def test_following_reconnects_when_the_status_stream_is_lost(module_live_server, tmp_path):
    server = module_live_server
    view, _ = submit.Client(server.url, server.student_token).upload("hw1", reference_archive("hw1", tmp_path))
    proxy = LosingProxy(server.url, "drop")  # the first stream is lost whole: the client connects again
    out = io.StringIO()
    try:
        final = submit.follow(submit.Client(proxy.url, server.student_token, backoff=0.01), view, out)
    finally:
        proxy.close()
    assert len(proxy.keys) == 2 and final["state"] == "done" and final["score"] == 100, out.getvalue()
    assert out.getvalue().splitlines()[-1] == f"submission {view['submission']}: done: 100 / 100"


def test_without_a_sandbox_a_submission_waits_queued_and_the_student_sees_why(tmp_path, service_answers):
    home = tmp_path / "home"
    server = start_live_server(home, f"sqlite:///{home / 'dlsys.db'}", service_answers, DLSYS_SANDBOX="plain")
    try:  # sandbox plain without DLSYS_ALLOW_UNSANDBOXED: no workers, so nothing is graded
        client = submit.Client(server.url, server.student_token)
        view = submit.upload(client, "hw1", reference_archive("hw1", tmp_path), io.StringIO())
        streamed = next(client.events(view["submission"]))
    finally:
        server.stop()
    for seen in (view, streamed):
        assert seen["state"] == "queued" and "DLSYS_ALLOW_UNSANDBOXED=1" in seen["waiting"], seen
    assert submit.describe(streamed).startswith("queued, next (waiting: sandbox 'plain' runs student code without")
