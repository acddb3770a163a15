"""Where a submission is now, for the student's live status: queued (with its place in the
queue, an estimated start from the recent throughput, and why it waits), building, running case
k of n, done, or a grader error."""
from __future__ import annotations

from sqlalchemy.orm import Session

from autograder.server.db.models import DONE, GRADER_ERROR, QUEUED, GradingRun, Submission
from autograder.server.services import dispatch, workers
from autograder.server.services.queue import position

GRADER_ERROR_NOTE = ("the grader failed on this submission (a fault of ours, not of your code): it is not scored "
                     "and does not count against your limits; course staff can see it and regrade it")


def latest_run(submission: Submission) -> GradingRun | None:
    return submission.runs[-1] if submission.runs else None


def current_result(submission: Submission) -> GradingRun | None:
    """The latest finished run: the submission's result (a regrade's, once it finished)."""
    done = [run for run in submission.runs if run.status == DONE]
    return done[-1] if done else None


def status(session: Session, submission: Submission, stale_seconds: float) -> dict:
    """The state the student sees. A regrade that ended in a grader error leaves a graded
    submission "done" with its result (staff see the error in the queue and the runs).
    `stale_seconds`: the settings' `worker_stale_seconds`, so "no GPU worker" means what the
    retry of stalled runs means by a dead worker."""
    run = latest_run(submission)
    result = current_result(submission)
    view = {"submission": submission.id, "homework": submission.assignment.homework,
            "created_at": submission.created_at.isoformat(), "late_days": submission.late_days}
    if run is None:
        return view | {"state": "done"}
    if run.status == GRADER_ERROR and result is not None:
        run = result
    if run.status == QUEUED:
        ahead = position(session, run)
        start = workers.estimated_start(session, ahead)
        waiting = run.waiting_reason
        if dispatch.uses_engine(session):  # SQLite's in-process workers grade CUDA runs as "not graded"
            waiting = workers.gpu_waiting_reason(session, run, stale_seconds) or waiting
        view |= {"state": "queued", "position": ahead, "waiting": waiting,
                 "estimated_start": start.isoformat() if start else None}
    elif run.status == DONE:
        view |= {"state": "done"}
    elif run.status == GRADER_ERROR:
        view |= {"state": "grader error", "message": GRADER_ERROR_NOTE}
    else:
        view |= {"state": run.phase or "running", "cases_done": run.cases_done, "cases_total": run.cases_total}
    if result is not None:
        view |= {"score": result.score, "max_score": result.max_score}
    return view


def result_view(submission: Submission) -> dict | None:
    """The per-part table and the cases without full marks, with their reasons (never an
    expected value: the grading core's feedback holds none); None before a first result."""
    run = current_result(submission)
    if run is None:
        return None
    report = run.result
    return {"submission": submission.id, "homework": report["homework"], "score": report["score"],
            "max_score": report["max_score"], "parts": report["parts"],
            "cases": [case for case in report["cases"] if case["score"] < case["points"]],
            "notices": report.get("notices", []), "graded_at": run.finished_at.isoformat(), "run": run.id}
