"""The student's verbs (login, submit, status, results) through typer's CliRunner, against a
live `dlsys serve` on loopback."""
import re
import stat
import tomllib

import pytest
from typer.testing import CliRunner

from autograder.cli import app
from autograder.client import submit
from autograder.course.manifest import load_manifest
from autograder.course.release import release
from live_service import free_port

runner = CliRunner()


@pytest.fixture
def config(tmp_path, monkeypatch):
    """This test's own config file (not there yet)."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    return tmp_path / "xdg" / "dlsys" / "config.toml"


def dlsys(*args: str):
    return runner.invoke(app, list(args))


def test_login_then_submit_hw1_from_the_repository_prints_100_of_100(module_live_server, config, tmp_path):
    server = module_live_server
    login = dlsys("login", "--server", server.url, "--token", server.student_token)
    assert login.exit_code == 0, login.output
    assert f"Logged in to {server.url} as demo-student (Demo student); saved in {config}" in login.output
    assert re.search(r"hw1: due \d{4}-\d\d-\d\d \d\d:\d\d UTC, \d+ submission\(s\) left today", login.output)
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    assert tomllib.loads(config.read_text()) == {"server": server.url, "token": server.student_token}

    archive = tmp_path / "hw1.tar.gz"
    submitted = dlsys("submit", "hw1", "--output", str(archive))
    assert submitted.exit_code == 0, submitted.output
    out = submitted.output
    assert f"Packed 3 file(s) into {archive}: {', '.join(load_manifest('hw1').student_files)}" in out
    number = int(re.search(r"uploaded hw1.tar.gz: submission (\d+)", out).group(1))
    assert f"submission {number}: done: 100 / 100" in out
    assert re.search(r"^total\s+100\s+100$", out, re.M) and "without full marks" not in out, out
    for part in load_manifest("hw1").parts:
        assert re.search(rf"^{part.name}\s+{part.points:g}\s+{part.points:g}$", out, re.M), part.name

    status = dlsys("status", "hw1")
    assert status.exit_code == 0 and re.search(rf"^#{number}\s+hw1 .* done: 100 / 100$", status.output, re.M)
    assert "late days: 0 used, 5 left" in status.output
    results = dlsys("results", str(number))
    assert results.exit_code == 0 and re.search(r"^total\s+100\s+100$", results.output, re.M)
    assert server.student_token not in login.output + out + status.output + results.output


def test_submit_a_handout_with_dir_and_without_waiting(module_live_server, config, tmp_path):
    server = module_live_server
    handout = release(load_manifest("hw0"), tmp_path / "hw0-handout")
    wrong = dlsys("submit", "hw1", "--dir", str(handout), "--server", server.url, "--token", server.student_token)
    assert wrong.exit_code == 1 and wrong.stderr.strip() == f"error: {handout} is a handout of hw0, not hw1"
    sent = dlsys("submit", "hw0", "--dir", str(handout), "--no-wait", "--server", server.url,
                 "--token", server.student_token)
    assert sent.exit_code == 0, sent.output
    assert (handout / "hw0-submission.tar.gz").is_file() and "see it later with" in sent.output
    assert not config.exists()  # --server and --token are used, never saved


def test_login_with_a_bad_token_is_one_line_exit_1_and_saves_nothing(module_live_server, config):
    result = runner.invoke(app, ["login", "--server", module_live_server.url], input="not-a-token\n")  # asked for
    assert result.exit_code == 1 and not config.exists() and "not-a-token" not in result.output
    assert result.stderr.splitlines() == ["error: the grading service refused (401): this token is not valid: "
                                          "ask course staff for yours, then run dlsys login again"]


def test_without_login_the_verbs_say_how_in_one_line(config):
    for args in (["status"], ["results", "1"], ["submit", "hw0"]):
        result = dlsys(*args)
        assert result.exit_code == 1, args
        assert len(result.stderr.splitlines()) == 1 and "none saved in" in result.stderr, result.stderr
        assert "dlsys login" in result.stderr


def test_an_unreachable_server_is_one_error_line_after_the_retries(config, monkeypatch):
    monkeypatch.setattr(submit.time, "sleep", lambda seconds: None)
    url = f"http://127.0.0.1:{free_port()}"
    result = dlsys("status", "--server", url, "--token", "secret-token")
    assert result.exit_code == 1
    *retries, error = result.stderr.splitlines()
    assert error.startswith(f"error: cannot reach the grading service at {url} (Connection refused)"), error
    assert all("trying again in" in line for line in retries) and "Traceback" not in result.output
    assert "secret-token" not in result.output
