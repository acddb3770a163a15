"""Comparing what a job reported with the published answers, outside the sandbox.

A run earns its case's points only when it ended normally and every published value
came back exactly once, with the same shape and dtype, within the case's tolerance.
Nothing else on the stream counts, so student code can only earn points by computing
the right values.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from autograder.dlsys_harness import values
from autograder.dlsys_harness.protocol import ENDING_WORDS, Ending, run_id
from autograder.grading.answers import Answers, CaseAnswer
from autograder.grading.stream import JobRecords, RunRecord

PASSED, FAILED, NOT_GRADED = "passed", "failed", "not graded"


@dataclass
class CaseResult:
    """One case on one device."""

    case: str
    device: str
    part: str
    points: float
    score: float
    status: str  # passed, failed, not implemented, error, time limit, crashed, not run, not graded
    feedback: str = ""
    seconds: float = 0.0

    @property
    def run(self) -> str:
        return run_id(self.case, self.device)


@dataclass
class PartScore:
    name: str
    score: float
    max_score: float


@dataclass
class GradeResult:
    """A graded submission: every case's result, with what the build and the job said."""

    homework: str
    cases: list[CaseResult]
    sandbox: str
    seconds: float = 0.0
    build: dict | None = None
    job_stopped: str | None = None
    notices: list[str] = field(default_factory=list)

    @property
    def graded(self) -> list[CaseResult]:
        return [c for c in self.cases if c.status != NOT_GRADED]

    @property
    def score(self) -> float:
        return sum(c.score for c in self.graded)

    @property
    def max_score(self) -> float:
        return sum(c.points for c in self.graded)

    @property
    def case_seconds(self) -> float:
        return sum(c.seconds for c in self.cases)

    @property
    def overhead_seconds(self) -> float:
        """Grading time not spent inside cases: unpacking, releasing, building, starting, comparing."""
        return max(self.seconds - self.case_seconds, 0.0)

    def parts(self, part_names: list[str]) -> list[PartScore]:
        return [PartScore(name, sum(c.score for c in self.graded if c.part == name),
                          sum(c.points for c in self.graded if c.part == name)) for name in part_names]


def planned_runs(answers: Answers, devices: tuple[str, ...], gpu: bool) -> tuple[list[tuple[str, str]], list[CaseResult]]:
    """The (case, device) runs to make, and the results of those that cannot be graded here."""
    runs, not_graded = [], []
    for case in answers.cases:
        for device in (d for d in case.devices if d in devices):
            if device == "cuda" and not gpu:
                not_graded.append(CaseResult(case.id, device, case.part, case.points, 0.0, NOT_GRADED,
                                             "not graded: no GPU on this grader"))
            else:
                runs.append((case.id, device))
    return runs, not_graded


def score_runs(answers: Answers, runs: list[tuple[str, str]], found: JobRecords,
               job_stopped: str | None) -> list[CaseResult]:
    """A result for every planned run, from what the job reported."""
    by_id = {case.id: case for case in answers.cases}
    return [score_run(by_id[case_id], device, found.runs.get(run_id(case_id, device)), job_stopped)
            for case_id, device in runs]


def score_run(case: CaseAnswer, device: str, run: RunRecord | None, job_stopped: str | None) -> CaseResult:
    result = CaseResult(case.id, device, case.part, case.points, 0.0, FAILED)
    if run is None or run.status is None:
        result.status = "not run"
        result.feedback = f"the job stopped before this case finished ({job_stopped})" if job_stopped else \
            "the case never finished"
        return result
    result.seconds = run.seconds
    if run.status != Ending.OK:
        result.status = ENDING_WORDS.get(run.status, ENDING_WORDS[Ending.ERROR])
        result.feedback = run.message or result.status
        return result
    problems = [problem for name, expected in case.values.items()
                if (problem := compare(name, expected, run.values.get(name, []), case.rtol, case.atol))]
    if problems:
        result.feedback = "; ".join(problems)
        return result
    result.status, result.score = PASSED, case.points
    return result


def compare(name: str, expected: dict, reported: list, rtol: float, atol: float) -> str | None:
    """Why a reported value is wrong, or None when it matches."""
    if not reported:
        return f"{name}: no value was reported"
    if len(reported) > 1:
        return f"{name}: reported {len(reported)} times (a case reports each value once)"
    want = values.decode(expected)
    try:
        got = values.decode(reported[0])
    except ValueError as error:
        return f"{name}: {error}"
    if got.shape != want.shape:
        return f"{name}: shape {got.shape}, expected {want.shape}"
    if got.dtype != want.dtype:
        return f"{name}: dtype {got.dtype}, expected {want.dtype}"
    close = np.isclose(got, want, rtol=rtol, atol=atol)
    if close.all():
        return None
    index = np.unravel_index(np.argmax(~close), close.shape) if close.ndim else ()
    worst = np.max(np.abs(got.astype(np.float64) - want.astype(np.float64))) if got.size else 0.0
    at = f", the first at index {tuple(int(i) for i in index)}" if index else ""
    # Expected values are never shown: they are hidden answers.
    return f"{name}: {int((~close).sum())} of {close.size} values differ (max abs error {worst:.3g}{at})"
