"""Published answers: written whole, read back as written, refused when missing, broken or stale."""
import json
from dataclasses import replace

import pytest

from autograder.errors import DlsysError
from autograder.grading import answers as answers_module
from autograder.grading.answers import Answers, CaseAnswer, answers_path, load_answers, save_answers


def published(suite_hash="abc123"):
    case = CaseAnswer(id="cases_ops.add", part="forward", points=2.0, rtol=1e-5, atol=1e-6, devices=("cpu", "cuda"),
                      timeout=10.0, values={"out": {"dtype": "f4", "shape": [1], "data": "AACAPw=="}})
    return Answers(homework="hw1", suite_hash=suite_hash, published_at="2026-01-01T00:00:00+00:00",
                   reference_seconds=1.5, cases=(case,))


def test_saved_answers_load_back_equal(tmp_path):
    path = save_answers(published(), tmp_path)
    assert path == answers_path("hw1", tmp_path) == tmp_path / "hw1.json"
    assert load_answers("hw1", "abc123", tmp_path) == published()
    assert not list(tmp_path.glob("*.tmp"))  # written through a temporary file, then renamed


def test_the_answers_dir_is_the_environments_or_the_repositorys(monkeypatch, tmp_path):
    monkeypatch.setenv("DLSYS_ANSWERS_DIR", str(tmp_path))
    assert answers_module.answers_dir() == tmp_path
    monkeypatch.delenv("DLSYS_ANSWERS_DIR")
    assert answers_module.answers_dir().parts[-2:] == (".dlsys", "answers")


def test_stale_missing_and_broken_answers_are_refused_with_the_command_that_renews_them(tmp_path):
    save_answers(published("old"), tmp_path)
    with pytest.raises(DlsysError, match="stale. Run `dlsys publish hw1` again"):
        load_answers("hw1", "new", tmp_path)
    with pytest.raises(DlsysError, match="No published answers for hw2 .*`dlsys publish hw2`"):
        load_answers("hw2", "new", tmp_path)
    raw = json.loads((tmp_path / "hw1.json").read_text())
    del raw["cases"][0]["values"]
    (tmp_path / "hw1.json").write_text(json.dumps(raw))
    with pytest.raises(DlsysError, match="not a valid answers file"):
        load_answers("hw1", "old", tmp_path)


def test_a_cpu_run_gets_the_derived_limit_and_a_run_publish_did_not_time_its_declared_one(tmp_path):
    case = replace(published().cases[0], timeout=2.0, declared_timeout=30.0, reference_seconds=0.12)
    assert (case.time_limit("cpu"), case.time_limit("cuda")) == (2.0, 30.0)
    assert replace(case, declared_timeout=None).time_limit("cuda") == 2.0


def test_answers_published_before_limits_were_derived_read_back_and_are_stale(tmp_path):
    save_answers(published("before"), tmp_path)
    raw = json.loads((tmp_path / "hw1.json").read_text())
    for case in raw["cases"]:  # what answers files held before: no declared_timeout, no reference_seconds
        del case["declared_timeout"], case["reference_seconds"]
    (tmp_path / "hw1.json").write_text(json.dumps(raw))
    assert load_answers("hw1", "before", tmp_path).cases[0].declared_timeout is None
    with pytest.raises(DlsysError, match="stale. Run `dlsys publish hw1` again"):
        load_answers("hw1", "after", tmp_path)  # the harness that times the cases changed the suite's hash
