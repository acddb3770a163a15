"""The running service's parts, made from the Settings: the database, the sandbox, the answers'
readiness, the in-process workers. `dlsys serve` prepares it (migrations, a first course) before
the app starts, so it can print the tokens; the app's lifespan starts and stops the workers.
On SQLite those are worker/pool.py's threads; on PostgreSQL a queue-engine worker in a thread
(worker/queue_worker.py, what `dlsys worker` runs on other hosts), or none with DLSYS_WORKERS=0.

Two seams for tests, both left alone by `dlsys serve`: `sandbox=` grades in a given sandbox
instead of the one the settings pick (a sandbox that fails simulates grader faults), and
`clock` is what "now" means for deadlines and submission limits (a test sets it to submit at a
chosen moment; run times in the queue stay the machine's)."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone

from autograder.course.manifest import load_manifests
from autograder.devtools.gpus import discover
from autograder.server.db.migrate import upgrade
from autograder.server.db.session import make_engine, session_factory, transaction
from autograder.server.services import queue, workers
from autograder.server.services.course import Seeded, is_empty, seed_course
from autograder.server.settings import Settings
from autograder.worker.answers import publish_missing
from autograder.worker.pool import WorkerPool
from autograder.worker.readiness import AnswersReadiness, Sandbox, choose_sandbox, has_gpu


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


class Service:
    def __init__(self, settings: Settings, say: Callable[[str], None] = print, *, sandbox: Sandbox | None = None,
                 clock: Callable[[], datetime] = utc_now):
        self.settings, self.say, self.clock = settings, say, clock
        self.engine = make_engine(settings.database)
        self.factory = session_factory(self.engine)
        self.readiness = AnswersReadiness(settings.answers)
        if sandbox is None:
            self.sandbox, self.no_sandbox = choose_sandbox(settings.sandbox, settings.allow_unsandboxed)
        else:
            self.sandbox, self.no_sandbox = sandbox, None
        self.pool: WorkerPool | None = None
        self.queue_worker = None  # worker/queue_worker.QueueWorker on PostgreSQL
        self.uses_engine = self.engine.dialect.name == "postgresql"
        self.prepared = False

    def prepare(self) -> Seeded | None:
        """Bring the database to the newest schema; on an empty one, create the course (the tokens
        are returned once); runs left running by a stopped server are retried."""
        if self.prepared:
            return None
        self.settings.home.mkdir(parents=True, exist_ok=True)
        upgrade(self.settings.database)
        seeded = None
        with transaction(self.factory) as session:
            if is_empty(session):
                seeded = seed_course(session, load_manifests(), self.now(),
                                     due_days=self.settings.default_due_days, timezone=self.settings.course_timezone)
        if self.uses_engine:  # workers elsewhere may be grading: only the runs of silent ones are retried
            interrupted = workers.retry_stalled(self.factory, self.settings.max_attempts,
                                                self.settings.worker_stale_seconds)
        else:
            interrupted = queue.recover_interrupted(self.factory, self.settings.max_attempts)
        if interrupted:
            self.say(f"{interrupted} grading run(s) were interrupted by the last stop: queued again")
        self.prepared = True
        return seeded

    def now(self) -> datetime:
        """What "now" is for deadlines and limits (the machine's clock, unless a test set `clock`)."""
        return self.clock()

    def waiting_reason(self, homework: str) -> str | None:
        """Why a run of `homework` cannot be graded now (None: it can)."""
        return self.no_sandbox or self.readiness.reason(homework)

    def start(self) -> None:
        self.prepare()
        if self.sandbox is None:
            self.say(f"warning: {self.no_sandbox}; submissions are accepted and wait in the queue")
            self.wake()
            return
        if self.sandbox.name == "plain":
            self.say("warning: grading with sandbox 'plain': student code runs WITHOUT isolation (trusted code only)")
        if self.uses_engine:
            self._start_queue_worker()
            return
        self.pool = WorkerPool(self.factory, workers=self.settings.workers, sandbox=self.sandbox,
                               gpu=has_gpu(), readiness=self.readiness, archives=self.settings.archives,
                               answers=self.settings.answers, max_attempts=self.settings.max_attempts,
                               cpus=self.settings.grading_cpus, say=self.say)
        self.pool.can_take = self.waiting_reason
        if self.settings.publish_on_start:
            publish_missing(load_manifests(), self.sandbox, self.settings.answers, self.readiness, self.say,
                            self.wake)
        self.pool.start()

    def _start_queue_worker(self) -> None:
        """On PostgreSQL the server's own grading (DLSYS_WORKERS slots) is a queue-engine worker."""
        if self.settings.workers <= 0:
            self.say("grading by `dlsys worker` processes only (DLSYS_WORKERS=0)")
            return
        from autograder.worker.queue_worker import QueueWorker  # Procrastinate is imported on PostgreSQL only

        self.queue_worker = QueueWorker(self.settings, sandbox=self.sandbox,
                                        gpus=discover(self.settings.fake_gpus).gpus, queues=["cpu", "gpu"],
                                        concurrency=self.settings.workers, readiness=self.readiness, say=self.say)
        if self.settings.publish_on_start:
            publish_missing(load_manifests(), self.sandbox, self.settings.answers, self.readiness, self.say,
                            self.wake)
        self.queue_worker.start()

    def publish(self, homework: str) -> str | None:
        """Publish one homework's answers again in the background; the reason it cannot, else None."""
        if self.sandbox is None:
            return self.no_sandbox
        manifest = next(m for m in load_manifests() if m.name == homework)
        publish_missing([manifest], self.sandbox, self.settings.answers, self.readiness, self.say, self.wake,
                        force=True)
        return None

    def wake(self) -> None:
        if self.uses_engine:  # the queue engine notifies its workers itself
            return
        if self.pool is not None:
            self.pool.wake()
        elif self.prepared:  # no sandbox, no workers: the queued runs still say why they wait (claims none)
            queue.claim(self.factory, "no sandbox", self.waiting_reason)

    def stop(self) -> None:
        if self.pool is not None:
            self.pool.stop(timeout=5)
        if self.queue_worker is not None:
            self.queue_worker.stop(timeout=5)
        self.engine.dispose()
