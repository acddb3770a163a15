"""The `dlsys` command end to end through typer's CliRunner."""
import json
import re

import pytest
from typer.testing import CliRunner

from autograder.cli import app
from autograder.course.manifest import load_manifest

runner = CliRunner()


def test_help_lists_the_commands():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("demo", "test", "data", "doctor", "snapshots", "release", "grader-image", "publish", "grade",
                    "serve", "db", "login", "submit", "status", "results"):
        assert command in result.output


def test_help_lists_the_verbs_by_audience():
    result = runner.invoke(app, ["--help"], terminal_width=100)
    panels = {}
    for section in result.output.split("╭─ ")[1:]:
        title, _, body = section.partition("\n")
        panels[title.strip(" ─╮")] = [line.strip("│ ").split()[0] for line in body.splitlines()
                                      if line.startswith("│ ") and line.strip("│ ")[:1].isalpha()
                                      and not line.startswith("│    ")]
    assert {panel: set(verbs) for panel, verbs in panels.items() if panel != "Options"} == {
        "Develop and check": {"demo", "test", "doctor", "data"},
        "Author the course": {"snapshots", "release"},
        "Grade": {"grader-image", "publish", "grade"},
        "Service": {"serve", "worker", "db", "server-image"},
        "Student": {"login", "submit", "status", "results"},
    }


def test_demo_on_generated_data(tmp_path):
    result = runner.invoke(app, ["demo", "--epochs", "2", "--data-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "generated digit-like data" in result.output
    assert len(re.findall(r"^\|\s+\d+ \|", result.output, re.M)) == 2
    assert "Final test error" in result.output


def test_demo_two_layer_network(tmp_path):
    result = runner.invoke(app, ["demo", "--model", "nn", "--epochs", "1", "--hidden-dim", "32", "--data-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "Two-layer network, hidden 32" in result.output


def test_user_errors_are_one_line_and_exit_1(tmp_path):
    result = runner.invoke(app, ["demo", "--model", "svm", "--data-dir", str(tmp_path)])
    assert result.exit_code == 1 and "error:" in result.output and "Traceback" not in result.output


def test_data_fetch_unknown_name():
    result = runner.invoke(app, ["data", "fetch", "imagenet"])
    assert result.exit_code == 1 and "mnist, cifar10, ptb" in result.output


def test_data_list():
    result = runner.invoke(app, ["data", "list"])
    assert result.exit_code == 0 and all(name in result.output for name in ("mnist", "cifar10", "ptb"))


def test_doctor_table():
    result = runner.invoke(app, ["doctor"])
    assert "Python" in result.output and "native hw0/src/simple_ml_ext" in result.output
    assert result.exit_code == (1 if "FAIL" in result.output else 0)


def test_test_command_runs_hw0_and_summarises():
    result = runner.invoke(app, ["test", "hw0", "-m", "hw0_add"])
    assert result.exit_code == 0, result.output
    assert re.search(r"^total: [1-9]\d* passed, 0 failed, 0 skipped$", result.output, re.M)


def test_test_command_fails_when_nothing_is_collected():
    result = runner.invoke(app, ["test", "hw0", "-k", "no_test_has_this_name"])
    assert result.exit_code == 1 and "no tests collected" in result.output


def test_test_command_unknown_target():
    result = runner.invoke(app, ["test", "hw99"])
    assert result.exit_code == 1 and "No tests for hw99" in result.output


def test_snapshots_check_diff_and_carry_commands():
    checked = runner.invoke(app, ["snapshots", "check"])
    assert checked.exit_code == 0 and "in step" in checked.output
    diff = runner.invoke(app, ["snapshots", "diff", "hw0", "hw1"])
    assert diff.exit_code == 0 and "Only in hw1/" in diff.output
    carried = runner.invoke(app, ["snapshots", "carry", "no/such/file.py", "--from", "hw1"])
    assert carried.exit_code == 1 and "no/such/file.py" in carried.output


def test_release_command_writes_a_handout_and_refuses_to_overwrite(tmp_path):
    out = tmp_path / "handout"
    first = runner.invoke(app, ["release", "hw1", "--out", str(out)])
    assert first.exit_code == 0, first.output
    assert (out / "submit.py").is_file() and "raise NotImplementedError()" in (out / "apps/simple_ml.py").read_text()
    again = runner.invoke(app, ["release", "hw1", "--out", str(out)])
    assert again.exit_code == 1 and "--overwrite" in again.output


def test_the_command_prints_parts_and_writes_json_and_gradescope(tmp_path, published_answers):
    out, gradescope = tmp_path / "result.json", tmp_path / "results.json"
    reference = load_manifest("hw1").root
    result = CliRunner().invoke(app, ["grade", "hw1", str(reference), "--sandbox", "local", "--answers-dir",
                                      str(published_answers), "--json", str(out), "--gradescope", str(gradescope)])
    assert result.exit_code == 0, result.output
    assert "100 / 100" in result.output and "compute_gradient" in result.output
    ours = json.loads(out.read_text())
    assert ours["score"] == ours["max_score"] == 100
    assert sum(p["max_score"] for p in ours["parts"]) == 100 and ours["seconds"]["overhead"] >= 0
    theirs = json.loads(gradescope.read_text())
    assert theirs["score"] == 100 and len(theirs["tests"]) == len(ours["cases"])
    assert {t["status"] for t in theirs["tests"]} == {"passed"}
    assert sum(t["max_score"] for t in theirs["tests"]) == pytest.approx(100)


def test_the_command_refuses_a_bad_submission_clearly(tmp_path, published_answers):
    (tmp_path / "s.zip").write_bytes(b"PK")
    result = CliRunner().invoke(app, ["grade", "hw1", str(tmp_path / "s.zip"), "--sandbox", "local",
                                      "--answers-dir", str(published_answers)])
    assert result.exit_code == 1 and "expected a folder or a .tar.gz" in result.output
