"""The grading queue, kept in the database (the one source of truth).

A grading run is queued with the submission (in the same transaction); a worker claims the
oldest queued run of the highest priority it can take (new submissions before regrades), marks
it running under the run's attempt token, reports progress, and finishes it: a result is
accepted only with the token of the run that is running, so a worker presumed dead that comes
back late cannot overwrite anything. A grader fault (the sandbox failed, the worker crashed)
ends the attempt as "grader error" and queues the next attempt, up to `max_attempts`; the last
one stays a grader error for staff to see, and the student's submission is never scored 0 by it.

With PostgreSQL each queued run is also a request of the queue engine (services/dispatch.py),
written in the same transaction; a `dlsys worker` takes the request and claims its run here
(`claim_run`). With SQLite the in-process workers poll with `claim`.
"""
from __future__ import annotations

import secrets
from datetime import datetime, timezone

from sqlalchemy import exists, func, select, update
from sqlalchemy.orm import Session, aliased, sessionmaker

from autograder.course.manifest import load_manifest
from autograder.server.db.models import (
    CPU,
    DONE,
    GPU,
    GRADER_ERROR,
    QUEUED,
    RUNNING,
    Assignment,
    GradingRun,
    Submission,
)
from autograder.server.services import dispatch

NEW, REGRADE = 0, 1  # priorities: lower runs first


def now() -> datetime:
    return datetime.now(timezone.utc)


def storable(value):
    """`value` with every NUL character in its text written out as `\\x00`: PostgreSQL keeps no
    NUL in text, and a build log, a case's feedback or a fault's message may hold one."""
    if isinstance(value, str):
        return value.replace("\x00", "\\x00")
    if isinstance(value, dict):
        return {storable(key): storable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [storable(item) for item in value]
    return value


def capability(homework: str) -> str:
    """The queue a homework's runs go to: `gpu` when its manifest has CUDA runs, else `cpu`."""
    return GPU if "cuda" in load_manifest(homework).devices else CPU


def enqueue(session: Session, submission: Submission, reason: str = "submission", *, attempt: int = 1,
            priority: int | None = None) -> GradingRun:
    """A new queued run of `submission` (and, on PostgreSQL, its request to the queue engine),
    in the caller's transaction."""
    if priority is None:
        priority = REGRADE if reason == "regrade" else NEW
    run = GradingRun(submission=submission, reason=reason, priority=priority, attempt=attempt,
                     token=secrets.token_hex(16), status=QUEUED, created_at=now(),
                     capability=capability(session.get(Assignment, submission.assignment_id).homework))
    session.add(run)
    session.flush()
    if dispatch.uses_engine(session):
        dispatch.defer_run(session, run)
    return run


def claim_run(factory: sessionmaker[Session], run_id: int, worker: str) -> tuple[str, str, str] | None:
    """Claim this one run for `worker` (the queue engine delivered its request): (token, homework,
    capability), or None when it is not queued any more (graded, taken, a request delivered twice)."""
    token = secrets.token_hex(16)
    with factory() as session, session.begin():
        taken = session.execute(
            update(GradingRun).where(GradingRun.id == run_id, GradingRun.status == QUEUED)
            .values(status=RUNNING, token=token, worker=worker, started_at=now(), waiting_reason=None,
                    phase="building", cases_done=0, cases_total=0))
        if taken.rowcount != 1:
            return None
        run = session.get(GradingRun, run_id)
        return token, run.submission.assignment.homework, run.capability


def homework_of(factory: sessionmaker[Session], run_id: int) -> str | None:
    """The homework of a queued run; None when the run is not queued (any more)."""
    with factory() as session:
        return session.scalar(select(Assignment.homework).join(Submission).join(GradingRun)
                              .where(GradingRun.id == run_id, GradingRun.status == QUEUED))


def redefer_if_queued(factory: sessionmaker[Session], run_id: int) -> bool:
    """A new request for a run still queued whose request was lost (its worker died holding it)."""
    with factory() as session, session.begin():
        run = session.get(GradingRun, run_id)
        if run is None or run.status != QUEUED:
            return False
        dispatch.defer_run(session, run)
        return True


def wait(factory: sessionmaker[Session], run_id: int, reason: str, delay_seconds: float) -> None:
    """The run stays queued with `reason`; its request comes back after `delay_seconds`."""
    with factory() as session, session.begin():
        run = session.get(GradingRun, run_id)
        if run is not None and run.status == QUEUED:
            run.waiting_reason = reason
            dispatch.defer_run(session, run, delay_seconds=delay_seconds)


def claim(factory: sessionmaker[Session], worker: str, can_take) -> tuple[int, str] | None:
    """Take the next queued run this worker can grade (`can_take(homework)` -> None when it can,
    else the reason it waits); returns (run id, token), or None when nothing can run now.
    Runs it cannot take get their waiting reason recorded, for the student's status. A run whose
    student already has one running waits for it (on PostgreSQL the queue engine's lock does the
    same): one student's burst never takes every worker. That check is part of the compare and
    set, so two workers claiming at once cannot both start one student's runs."""
    with factory() as session, session.begin():
        queued = session.execute(
            select(GradingRun.id, Submission.assignment_id, Submission.user_id, GradingRun.waiting_reason)
            .join(Submission).where(GradingRun.status == QUEUED)
            .order_by(GradingRun.priority, GradingRun.id).limit(200)).all()
        homework = dict(session.execute(select(Assignment.id, Assignment.homework)).all())
        busy = set(session.scalars(select(Submission.user_id).join(GradingRun).where(GradingRun.status == RUNNING)))
        for run_id, assignment_id, user_id, waiting in queued:
            if user_id in busy:
                continue
            reason = can_take(homework[assignment_id])
            if reason:
                if reason != waiting:
                    session.execute(update(GradingRun).where(GradingRun.id == run_id).values(waiting_reason=reason))
                continue
            token = secrets.token_hex(16)
            taken = session.execute(  # compare and set: another worker may have taken it, or one of its student's
                update(GradingRun).where(GradingRun.id == run_id, GradingRun.status == QUEUED,
                                         ~_student_has_a_running_run(user_id))
                .values(status=RUNNING, token=token, worker=worker, started_at=now(), waiting_reason=None,
                        phase="building", cases_done=0, cases_total=0))
            if taken.rowcount == 1:
                return run_id, token
            busy.add(user_id)  # (or the run was taken: either way, not this student now)
    return None


def _student_has_a_running_run(user_id: int):
    running, theirs = aliased(GradingRun), aliased(Submission)
    return (exists().where(running.submission_id == theirs.id, theirs.user_id == user_id, running.status == RUNNING))


def report_progress(factory: sessionmaker[Session], token: str, **fields) -> bool:
    """Phase and case counts of the running attempt; False when the token is no longer current."""
    with factory() as session, session.begin():
        changed = session.execute(update(GradingRun).where(GradingRun.token == token, GradingRun.status == RUNNING)
                                  .values(**fields))
        return changed.rowcount == 1


def finish(factory: sessionmaker[Session], token: str, *, result: dict, score: float, max_score: float,
           sandbox: str, build_log_tail: str | None, seconds: float) -> bool:
    """Store the attempt's result, if its token is still the running one."""
    with factory() as session, session.begin():
        changed = session.execute(
            update(GradingRun).where(GradingRun.token == token, GradingRun.status == RUNNING)
            .values(status=DONE, finished_at=now(), result=storable(result), score=score, max_score=max_score,
                    sandbox=sandbox, build_log_tail=storable(build_log_tail), seconds=seconds, phase=None))
        return changed.rowcount == 1


def fail(factory: sessionmaker[Session], token: str, error: str, max_attempts: int) -> bool:
    """End the attempt as a grader error and queue the next attempt unless it was the last."""
    with factory() as session, session.begin():
        run = session.scalar(select(GradingRun).where(GradingRun.token == token, GradingRun.status == RUNNING))
        if run is None:
            return False
        run.status, run.finished_at, run.error, run.phase = GRADER_ERROR, now(), storable(error[-4000:]), None
        if run.attempt < max_attempts:
            enqueue(session, run.submission, "retry", attempt=run.attempt + 1, priority=run.priority)
        return True


def recover_interrupted(factory: sessionmaker[Session], max_attempts: int) -> int:
    """On start: runs left "running" by a server that stopped are grader errors of their attempt,
    retried like any other fault. Returns how many were found."""
    with factory() as session, session.begin():
        tokens = session.scalars(select(GradingRun.token).where(GradingRun.status == RUNNING)).all()
    for token in tokens:
        fail(factory, token, "the server stopped while this attempt ran", max_attempts)
    return len(tokens)


def position(session: Session, run: GradingRun) -> int:
    """How many queued runs go before this one (0: it is next)."""
    return session.scalar(select(func.count()).select_from(GradingRun).where(
        GradingRun.status == QUEUED,
        (GradingRun.priority < run.priority) | ((GradingRun.priority == run.priority) & (GradingRun.id < run.id))))
