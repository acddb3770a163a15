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

STALE_SECONDS = 30.0  # a worker heartbeats every few seconds; this long without one, it is presumed dead
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
    runs, last heartbeat, alive or not) and the queue's length and age. The JSON API and the
    staff pages both show this."""
    now = queue.now()
    running = session.execute(select(GradingRun.worker, GradingRun.id, GradingRun.submission_id)
                              .where(GradingRun.status == RUNNING)).all()
    current: dict[str, list[dict]] = {}
    for worker, run_id, submission_id in running:
        current.setdefault(worker, []).append({"run": run_id, "submission": submission_id})
    cutoff = now - timedelta(seconds=stale_seconds)
    workers = [{"name": w.name, "host": w.host, "pid": w.pid, "queues": w.queues, "gpus": w.gpus,
                "concurrency": w.concurrency, "answers": w.answers, "draining": w.draining,
                "alive": w.heartbeat_at >= cutoff, "started_at": w.started_at.isoformat(),
                "last_heartbeat": w.heartbeat_at.isoformat(),
                "heartbeat_age_seconds": round((now - w.heartbeat_at).total_seconds(), 1),
                "current_runs": current.get(w.name, [])}
               for w in session.scalars(select(Worker).order_by(Worker.host, Worker.name))]
    oldest = session.scalar(select(func.min(GradingRun.created_at)).where(GradingRun.status == QUEUED))
    queued_by_capability = dict(session.execute(select(GradingRun.capability, func.count())
                                                .where(GradingRun.status == QUEUED)
                                                .group_by(GradingRun.capability)).all())
    return {"workers": workers, "queue_length": sum(queued_by_capability.values()),
            "queued_by_capability": queued_by_capability,
            "oldest_queued_seconds": round((now - oldest).total_seconds(), 1) if oldest else 0.0,
            "throughput_per_minute": round(throughput_per_minute(session), 2)}
