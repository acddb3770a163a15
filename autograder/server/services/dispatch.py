"""The queue engine: Procrastinate, on the service's PostgreSQL, carries grading requests to workers.

With PostgreSQL, every queued grading run is also a Procrastinate job, deferred on the same
connection and in the same transaction as the run (and the submission): nothing is accepted
without its request, and no request names a run that was rolled back. The job names the run
only; `grading_runs` stays the source of truth, and a worker claims the run by compare-and-set
(services/queue.claim_run) before it grades, so a request delivered twice grades once.

Queues are capabilities: `cpu` (any worker) and `gpu` (a homework with CUDA runs, for GPU
workers only); `maintenance` carries the periodic retry of runs whose worker stopped
heartbeating (services/workers.retry_stalled) and the hourly pruning of finished jobs. The job's lock is the student's, so at most one
of a student's runs grades at a time; new submissions go before regrades (Procrastinate's
priority is the opposite of ours: higher first). SQLite keeps the in-process workers (worker/pool.py).
"""
from __future__ import annotations

from procrastinate import App, SyncPsycopgConnector
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from autograder.server.db.models import GradingRun

GRADE_TASK = "dlsys.grade_run"
RETRY_STALLED_TASK = "dlsys.retry_stalled"
PRUNE_JOBS_TASK = "dlsys.prune_finished_jobs"
MAINTENANCE = "maintenance"

# Only ever given a connection of ours (defer_run): it opens no pool of its own.
_deferring = App(connector=SyncPsycopgConnector())


def uses_engine(session: Session) -> bool:
    """Whether this database carries grading requests through Procrastinate (PostgreSQL does)."""
    return session.get_bind().dialect.name == "postgresql"


def libpq_url(database_url: str) -> str:
    """The SQLAlchemy URL as psycopg (and Procrastinate's connector) take it."""
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


def defer_run(session: Session, run: GradingRun, *, delay_seconds: float = 0) -> int:
    """Defer the request for `run` inside the session's transaction; the Procrastinate job's id."""
    options = {"queue": run.capability, "lock": f"student-{run.submission.user_id}", "priority": -run.priority,
               "connection": session.connection().connection.driver_connection}
    if delay_seconds:
        options["schedule_in"] = {"seconds": delay_seconds}
    return _deferring.configure_task(GRADE_TASK, **options).defer(run_id=run.id)
