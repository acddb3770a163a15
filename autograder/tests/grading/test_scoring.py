"""Scoring: a run earns points only by reporting every published value, once, within tolerance."""
import numpy as np
import pytest

from autograder.dlsys_harness import values
from autograder.grading.answers import Answers, CaseAnswer
from autograder.grading.scoring import planned_runs, score_run
from autograder.grading.stream import RunRecord

EXPECTED = np.array([[1.0, 2.0], [3.0, 4.0]], dtype=np.float32)


def case(**overrides):
    fields = dict(id="cases_ops.add", part="forward", points=2.0, rtol=1e-5, atol=1e-6, devices=("cpu",),
                  timeout=10.0, values={"out": values.encode(EXPECTED)})
    return CaseAnswer(**(fields | overrides))


def run_with(*reported, status="ok"):
    return RunRecord("cases_ops.add[cpu]", started=True, status=status,
                     values={"out": [values.encode(v) for v in reported]} if reported else {})


def test_matching_values_pass_within_tolerance():
    result = score_run(case(), "cpu", run_with(EXPECTED * (1 + 1e-7)), None)
    assert (result.status, result.score) == ("passed", 2.0)


@pytest.mark.parametrize("reported, message", [
    ((EXPECTED + 0.1,), "4 of 4 values differ"),
    ((EXPECTED.astype(np.float64),), "dtype float64, expected float32"),
    ((EXPECTED.T.copy().reshape(4),), r"shape \(4,\), expected \(2, 2\)"),
    ((), "no value was reported"),
    ((EXPECTED, EXPECTED), "reported 2 times"),
    ((np.full((2, 2), np.nan, dtype=np.float32),), "values differ"),
])
def test_wrong_values_fail_and_say_why_without_showing_the_answer(reported, message):
    result = score_run(case(), "cpu", run_with(*reported), None)
    assert result.status == "failed" and result.score == 0
    assert __import__("re").search(message, result.feedback)
    assert "3.0" not in result.feedback and "4.0" not in result.feedback


@pytest.mark.parametrize("status, shown", [("not_implemented", "not implemented"), ("timeout", "time limit"),
                                           ("crashed", "crashed"), ("error", "error"), ("forged", "error")])
def test_a_run_that_did_not_end_ok_scores_nothing_even_with_right_values(status, shown):
    result = score_run(case(), "cpu", run_with(EXPECTED, status=status), None)
    assert (result.status, result.score) == (shown, 0)


def test_runs_the_job_never_finished_say_why():
    result = score_run(case(), "cpu", RunRecord("cases_ops.add[cpu]"), "time limit")
    assert result.status == "not run" and "time limit" in result.feedback


def test_cuda_runs_without_a_gpu_are_not_graded_never_failed():
    answers = Answers("hw9", "h", "now", 0.0, (case(devices=("cpu", "cuda")),))
    runs, not_graded = planned_runs(answers, ("cpu", "cuda"), gpu=False)
    assert runs == [("cases_ops.add", "cpu")]
    assert [(r.device, r.status) for r in not_graded] == [("cuda", "not graded")]
    runs, not_graded = planned_runs(answers, ("cpu", "cuda"), gpu=True)
    assert runs == [("cases_ops.add", "cpu"), ("cases_ops.add", "cuda")] and not not_graded
    runs, _ = planned_runs(answers, ("cpu",), gpu=True)  # the homework itself is CPU-only
    assert runs == [("cases_ops.add", "cpu")]
