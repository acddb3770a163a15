"""Grading workers as the database knows them: each registers (host, GPUs, queues, the answers it
holds) and heartbeats; one whose heartbeat stopped is presumed dead, and the runs it held are
retried (`retry_stalled`, run periodically by every worker through the queue engine). The same
rows give the staff's view of the queue (`overview`) and a GPU run's reason to wait."""
from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from autograder.server.db.models import DONE, GPU, QUEUED, RUNNING, GradingRun, Worker
from autograder.server.services import queue

NO_GPU_WORKER = ("waiting for a GPU worker: this homework has CUDA runs and no worker with a GPU is connected "
                 "(staff: start `dlsys worker --queues cpu,gpu` on a GPU host)")


def register(factory: sessionmaker[Session], *, name: str, host: str, pid: int, queues: list[str], gpus: list[dict],
             concurrency: int, answers: dict[str, str]) -> None:
    with factory() as session, session.begin():
        worker = session.scalar(select(Worker).where(Worker.name == name)) or Worker(name=name, started_at=queue.now())
        worker.host, worker.pid, worker.queues, worker.gpus = host, pid, queues, gpus
        worker.concurrency, worker.answers, worker.heartbeat_at, worker.draining = concurrency, answers, queue.now(), False
        session.add(worker)


def heartbeat(factory: sessionmaker[Session], name: str, *, draining: bool = False) -> None:
    with factory() as session, session.begin():
        session.execute(update(Worker).where(Worker.name == name).values(heartbeat_at=queue.now(), draining=draining))


def unregister(factory: sessionmaker[Session], name: str) -> None:
    """A worker that stopped cleanly leaves the list (its runs finished or were left to retry)."""
    with factory() as session, session.begin():
        session.execute(Worker.__table__.delete().where(Worker.name == name))


def live_workers(session: Session, stale_seconds: float) -> list[Worker]:
    cutoff = queue.now() - timedelta(seconds=stale_seconds)
    return list(session.scalars(select(Worker).where(Worker.heartbeat_at >= cutoff).order_by(Worker.host, Worker.name)))


def retry_stalled(factory: sessionmaker[Session], max_attempts: int, stale_seconds: float) -> int:
    """Runs left "running" by a worker that is gone end as a grader error of their attempt and are
    queued again. Gone: its heartbeat stopped (killed, its host lost, cut off from the database),
    or it ran on this host and its process no longer exists (a restarted server need not wait for
    the heartbeat to go stale). A worker that comes back late finds its token no longer current:
    its result is refused."""
    with factory() as session:  # running first: a worker registers before it claims, so it is in `alive`
        running = session.execute(select(GradingRun.token, GradingRun.worker).where(GradingRun.status == RUNNING)).all()
        beating = live_workers(session, stale_seconds)
    here = socket.gethostname()
    alive = {w.name for w in beating if w.host != here or _process_exists(w.pid)}
    stalled = [(token, worker) for token, worker in running if worker not in alive]
    for token, worker in stalled:
        why = "its process is gone" if worker in {w.name for w in beating} else "its heartbeat stopped"
        queue.fail(factory, token, f"the worker {worker} stopped while this attempt ran ({why})", max_attempts)
    return len(stalled)


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's: it exists
        return True
    return True


def gpu_waiting_reason(session: Session, run: GradingRun, stale_seconds: float) -> str | None:
    """Why a queued GPU run waits, when no live worker has a GPU (None otherwise)."""
    if run.capability != GPU or run.status != QUEUED:
        return None
    if any(worker.gpus and GPU in worker.queues for worker in live_workers(session, stale_seconds)):
        return None
    return NO_GPU_WORKER


def throughput_per_minute(session: Session, window_minutes: float = 15) -> float:
    """Runs finished per minute over the last `window_minutes` (0.0 with none)."""
    since = queue.now() - timedelta(minutes=window_minutes)
    done = session.scalar(select(func.count()).select_from(GradingRun)
                          .where(GradingRun.status == DONE, GradingRun.finished_at >= since))
    return done / window_minutes


def estimated_start(session: Session, position: int) -> datetime | None:
    """When a run with `position` runs before it should start, at the recent throughput (None
    while nothing finished recently: no estimate is better than a wrong one)."""
    rate = throughput_per_minute(session)
    if rate <= 0:
        return None
    return queue.now() + timedelta(minutes=position / rate)


def overview(session: Session, stale_seconds: float) -> dict:
    """The staff's view of the workers and the queue: each worker (host, GPUs, queues, current
    runs, last heartbeat, alive or not) and the queue's length and age, also per capability. Runs
    held by a worker not in the list (SQLite's in-process workers, which do not register) are
    `unlisted_runs`. The JSON API and the staff's dashboard both show this."""
    now = queue.now()
    running = session.execute(select(GradingRun.worker, GradingRun.id, GradingRun.submission_id)
                              .where(GradingRun.status == RUNNING).order_by(GradingRun.id)).all()
    current: dict[str, list[dict]] = {}
    for worker, run_id, submission_id in running:
        current.setdefault(worker, []).append({"run": run_id, "submission": submission_id})
    cutoff = now - timedelta(seconds=stale_seconds)
    workers = [{"name": w.name, "host": w.host, "pid": w.pid, "queues": w.queues, "gpus": w.gpus,
                "concurrency": w.concurrency, "answers": w.answers, "draining": w.draining,
                "alive": w.heartbeat_at >= cutoff, "started_at": w.started_at.isoformat(),
                "last_heartbeat": w.heartbeat_at.isoformat(),
                "heartbeat_age_seconds": round((now - w.heartbeat_at).total_seconds(), 1),
                "current_runs": current.pop(w.name, [])}
               for w in session.scalars(select(Worker).order_by(Worker.host, Worker.name))]
    by_capability = session.execute(select(GradingRun.capability, func.count(), func.min(GradingRun.created_at))
                                    .where(GradingRun.status == QUEUED).group_by(GradingRun.capability)).all()
    oldest = min((first for _, _, first in by_capability), default=None)
    return {"workers": workers,
            "unlisted_runs": [run | {"worker": worker} for worker, runs in current.items() for run in runs],
            "queue_length": sum(count for _, count, _ in by_capability),
            "queued_by_capability": {capability: count for capability, count, _ in by_capability},
            "oldest_queued_seconds_by_capability": {capability: _age(now, first)
                                                    for capability, _, first in by_capability},
            "oldest_queued_seconds": _age(now, oldest) if oldest else 0.0,
            "throughput_per_minute": round(throughput_per_minute(session), 2)}


def _age(now: datetime, then: datetime) -> float:
    return round((now - then).total_seconds(), 1)
