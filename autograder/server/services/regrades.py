"""Regrades and the staff's view of the queue: a regrade adds a run (behind new submissions)
and never replaces one; the queue view says what waits, why, and what failed."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from autograder.server.db.models import DONE, GRADER_ERROR, QUEUED, RUNNING, Assignment, GradingRun, Submission
from autograder.server.services.queue import enqueue


def regrade_submission(session: Session, submission: Submission) -> GradingRun:
    return enqueue(session, submission, "regrade")


def regrade_latest(session: Session, assignment: Assignment) -> list[GradingRun]:
    """A regrade of each student's latest submission of `assignment`."""
    latest = (select(func.max(Submission.id)).where(Submission.assignment_id == assignment.id)
              .group_by(Submission.user_id))
    chosen = session.scalars(select(Submission).where(Submission.id.in_(latest)).order_by(Submission.id))
    return [regrade_submission(session, submission) for submission in chosen]


def progress(session: Session, assignment: Assignment) -> dict:
    """The regrade runs of `assignment` by state, since its latest regrade request."""
    latest = session.scalar(select(func.max(GradingRun.created_at)).join(Submission).where(
        Submission.assignment_id == assignment.id, GradingRun.reason == "regrade"))
    counts = {QUEUED: 0, RUNNING: 0, DONE: 0, GRADER_ERROR: 0}
    if latest is not None:
        batch_start = latest - timedelta(minutes=5)  # one request's runs are made within moments
        rows = session.execute(select(GradingRun.status, func.count()).join(Submission).where(
            Submission.assignment_id == assignment.id, GradingRun.reason.in_(("regrade", "retry")),
            GradingRun.created_at >= batch_start).group_by(GradingRun.status)).all()
        counts |= dict(rows)
    total = sum(counts.values())
    return {"homework": assignment.homework, "total": total, **{k.replace(" ", "_"): v for k, v in counts.items()},
            "finished": total > 0 and counts[QUEUED] == counts[RUNNING] == 0}


def _run_view(run: GradingRun, now: datetime) -> dict:
    return {"run": run.id, "submission": run.submission_id, "homework": run.submission.assignment.homework,
            "login": run.submission.user.login, "reason": run.reason, "attempt": run.attempt, "status": run.status,
            "waiting": run.waiting_reason, "worker": run.worker, "phase": run.phase, "cases_done": run.cases_done,
            "cases_total": run.cases_total, "age_seconds": round((now - run.created_at).total_seconds(), 1),
            "error": run.error}


def queue_view(session: Session, waiting_reason) -> dict:
    now = datetime.now(timezone.utc)
    queued = list(session.scalars(select(GradingRun).where(GradingRun.status == QUEUED)
                                  .order_by(GradingRun.priority, GradingRun.id)))
    running = list(session.scalars(select(GradingRun).where(GradingRun.status == RUNNING).order_by(GradingRun.id)))
    errors = list(session.scalars(select(GradingRun).where(GradingRun.status == GRADER_ERROR)
                                  .order_by(GradingRun.id.desc()).limit(50)))
    blocked = {a: waiting_reason(a) for a in session.scalars(select(Assignment.homework))}
    return {"queued": len(queued), "running": len(running),
            "oldest_queued_seconds": round((now - queued[0].created_at).total_seconds(), 1) if queued else 0.0,
            "waiting": {homework: reason for homework, reason in blocked.items() if reason},
            "queued_runs": [_run_view(r, now) for r in queued[:100]],
            "running_runs": [_run_view(r, now) for r in running],
            "grader_errors": [_run_view(r, now) for r in errors]}


def runs_view(submission: Submission) -> dict:
    return {"submission": submission.id, "homework": submission.assignment.homework, "login": submission.user.login,
            "created_at": submission.created_at.isoformat(), "archive_sha256": submission.archive_sha256,
            "files": submission.files, "late_days": submission.late_days,
            "runs": [{"run": r.id, "reason": r.reason, "attempt": r.attempt, "status": r.status, "worker": r.worker,
                      "sandbox": r.sandbox, "created_at": r.created_at.isoformat(),
                      "started_at": r.started_at.isoformat() if r.started_at else None,
                      "finished_at": r.finished_at.isoformat() if r.finished_at else None, "seconds": r.seconds,
                      "score": r.score, "max_score": r.max_score, "build_log_tail": r.build_log_tail,
                      "error": r.error, "result": r.result} for r in submission.runs]}
