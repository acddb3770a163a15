"""A Procrastinate worker that grades: what `dlsys worker` runs, and `dlsys serve` on PostgreSQL
in a thread of its own.

It registers in the database (host, GPUs, queues, the answers it holds), heartbeats, and takes
the grading requests of its queues (`cpu`; `gpu` too on a host with GPUs) and of `maintenance`.
Each request names a grading run: the worker claims it by compare-and-set (a request delivered
twice grades once), waits for a free GPU when the run has CUDA runs (one job per GPU, pinned
to it), and calls the one job function, `grade_claimed`. The periodic `retry_stalled` retries
the runs of workers whose heartbeat stopped and closes their Procrastinate jobs (whose student
lock would otherwise hold that student's next run); an hourly one deletes finished jobs older
than `finished_jobs_keep_hours`. A lost database connection ends the
Procrastinate worker with an error; this one says so and starts it again until the database
answers. SIGTERM drains: the running runs finish, no new one is taken.
"""
from __future__ import annotations

import asyncio
import os
import secrets
import signal
import socket
import threading
import time
from collections.abc import Callable
from contextlib import nullcontext

from procrastinate import App, PsycopgConnector
from procrastinate.jobs import Status

from autograder.course.manifest import load_manifests
from autograder.devtools.gpus import Gpu
from autograder.grading.job_folder import suite_hash
from autograder.grading.sandboxes import Sandbox
from autograder.server.db.models import CPU, GPU
from autograder.server.db.session import make_engine, session_factory
from autograder.server.services import dispatch, queue, workers
from autograder.server.settings import Settings
from autograder.worker.gpu_slots import GpuSlots, PinnedSandbox
from autograder.worker.grade_run import grade_claimed
from autograder.worker.readiness import AnswersReadiness

WAIT_FOR_ANSWERS_SECONDS = 15
RESTART_SECONDS = 2


class QueueWorker:
    def __init__(self, settings: Settings, *, sandbox: Sandbox, gpus: tuple[Gpu, ...], queues: list[str],
                 concurrency: int, readiness: AnswersReadiness | None = None, say: Callable[[str], None] = print):
        if GPU in queues and not gpus:
            say(f"no GPU here: serving {CPU} only (the {GPU} queue needs a GPU)")
            queues = [q for q in queues if q != GPU]
        self.settings, self.sandbox, self.gpus, self.say = settings, sandbox, gpus, say
        self.queues, self.concurrency = queues, concurrency
        self.name = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        self.engine = make_engine(settings.database)
        self.factory = session_factory(self.engine)
        self.readiness = readiness or AnswersReadiness(settings.answers)
        self.slots = GpuSlots([gpu.index for gpu in gpus])
        self.app = self._make_app()
        self._stopped = threading.Event()
        self._draining = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ the tasks

    def _make_app(self) -> App:
        app = App(connector=PsycopgConnector(conninfo=dispatch.libpq_url(self.settings.database)))

        @app.task(name=dispatch.GRADE_TASK)
        def grade_request(run_id: int) -> None:
            self.grade(run_id)

        @app.periodic(cron="* * * * * */5", periodic_id="retry-stalled")
        @app.task(name=dispatch.RETRY_STALLED_TASK, queue=dispatch.MAINTENANCE, pass_context=False)
        async def retry_stalled(timestamp: int) -> None:
            await self.retry_stalled()

        @app.periodic(cron="7 * * * *", periodic_id="prune-finished-jobs")
        @app.task(name=dispatch.PRUNE_JOBS_TASK, queue=dispatch.MAINTENANCE, pass_context=False)
        async def prune_finished_jobs(timestamp: int) -> None:
            await self.prune_finished_jobs()

        return app

    def grade(self, run_id: int) -> None:
        """Grade the run a request names, unless it is no longer queued (then nothing happens)."""
        homework = queue.homework_of(self.factory, run_id)
        if homework is None:
            return
        reason = self.readiness.reason(homework)
        if reason:  # this host lacks the answers: the run waits, its request comes back later
            queue.wait(self.factory, run_id, reason, WAIT_FOR_ANSWERS_SECONDS)
            return
        claimed = queue.claim_run(self.factory, run_id, self.name)
        if claimed is None:
            return
        token, _homework, capability = claimed
        with self.slots.take() if capability == GPU and self.gpus else nullcontext() as gpu_index:
            sandbox = self.sandbox if gpu_index is None else PinnedSandbox(self.sandbox, gpu_index)
            try:
                grade_claimed(self.factory, run_id, token, sandbox=sandbox, gpu=gpu_index is not None,
                              archives=self.settings.archives, answers=self.settings.answers,
                              max_attempts=self.settings.max_attempts, cpus=self.settings.grading_cpus)
            except Exception as error:  # the database went away while the result was stored
                self._fail_when_possible(token, f"the result could not be stored: {type(error).__name__}: {error}")

    def _fail_when_possible(self, token: str, error: str) -> None:
        """End the attempt as a grader error (so it is retried) once the database answers again."""
        deadline = time.monotonic() + 10 * self.settings.worker_stale_seconds
        while time.monotonic() < deadline:
            try:
                queue.fail(self.factory, token, error, self.settings.max_attempts)
                return
            except Exception:
                time.sleep(1)
        # still no database: the heartbeat stopped too, and retry_stalled retries the run

    async def retry_stalled(self) -> None:
        stale = self.settings.worker_stale_seconds
        retried = await asyncio.to_thread(workers.retry_stalled, self.factory, self.settings.max_attempts, stale)
        if retried:
            self.say(f"retried {retried} grading run(s) of worker(s) whose heartbeat stopped")
        for job in await self.app.job_manager.get_stalled_jobs(seconds_since_heartbeat=stale):
            await self.app.job_manager.finish_job(job, status=Status.FAILED, delete_job=False)
            if job.task_name == dispatch.GRADE_TASK:  # killed before it claimed its run: ask again
                await asyncio.to_thread(queue.redefer_if_queued, self.factory, job.task_kwargs["run_id"])

    async def prune_finished_jobs(self) -> None:
        """Procrastinate keeps every finished job (the 5-second maintenance task alone adds
        17,000 a day); `grading_runs` holds the history, so those older than the setting go."""
        await self.app.job_manager.delete_old_jobs(nb_hours=self.settings.finished_jobs_keep_hours,
                                                   include_failed=True, include_cancelled=True,
                                                   include_aborted=True)

    # ------------------------------------------------------------------ running

    def register(self) -> None:
        answers = {}
        for manifest in load_manifests():
            if self.readiness.is_ready(manifest.name):
                answers[manifest.name] = suite_hash(manifest.name)
        workers.register(self.factory, name=self.name, host=socket.gethostname(), pid=os.getpid(),
                         queues=self.queues, gpus=[gpu.as_json() for gpu in self.gpus],
                         concurrency=self.concurrency, answers=answers)

    def _heartbeat(self) -> None:
        while not self._stopped.wait(self.settings.worker_heartbeat_seconds):
            try:
                if self._draining:
                    workers.heartbeat(self.factory, self.name, draining=True)
                else:
                    self.register()
            except Exception as error:  # the database is away: beat again when it is back
                self.say(f"{self.name}: heartbeat failed ({type(error).__name__}); trying again")

    async def _serve_both(self) -> None:
        """Grading and maintenance side by side; when one stops with an error, the other stops too."""
        tasks = [asyncio.create_task(self._serve(self.queues, self.concurrency, self.name)),
                 asyncio.create_task(self._serve([dispatch.MAINTENANCE], 1, f"{self.name}:maintenance"))]
        try:
            await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _serve(self, queues: list[str], concurrency: int, name: str) -> None:
        await self.app.run_worker_async(queues=queues, concurrency=concurrency, name=name,
                                        install_signal_handlers=False,
                                        update_heartbeat_interval=self.settings.worker_heartbeat_seconds,
                                        stalled_worker_timeout=self.settings.worker_stale_seconds)

    async def run_async(self, install_signal_handlers: bool = True) -> None:
        """Serve requests until stopped: SIGTERM/SIGINT (with the handlers) or `stop()` cancel
        this task, which Procrastinate takes as "finish the running jobs, take no more"."""
        self._loop, self._task = asyncio.get_running_loop(), asyncio.current_task()
        if install_signal_handlers:
            for signum in (signal.SIGTERM, signal.SIGINT):
                self._loop.add_signal_handler(signum, self._drain)
        while True:
            try:
                await asyncio.to_thread(self.register)
                break
            except Exception as error:
                self.say(f"{self.name}: cannot register ({type(error).__name__}: {str(error)[:200]}); "
                         f"trying again in {RESTART_SECONDS} s")
                await asyncio.sleep(RESTART_SECONDS)
        beating = threading.Thread(target=self._heartbeat, name="worker-heartbeat", daemon=True)
        beating.start()
        self.say(f"worker {self.name}: queues {', '.join(self.queues)}, concurrency {self.concurrency}, "
                 f"GPUs: {', '.join(g.describe() for g in self.gpus) or 'none'}")
        try:
            while True:
                try:
                    async with self.app.open_async():
                        # two Procrastinate workers: the maintenance one never waits behind a long grading run
                        await self._serve_both()
                    # Procrastinate stops by itself when a side task (its listener) loses the database
                    self.say(f"{self.name}: the queue engine stopped; starting again in {RESTART_SECONDS} s")
                except asyncio.CancelledError:
                    raise
                except Exception as error:  # lost the database: start again when it answers
                    self.say(f"{self.name}: the queue engine stopped ({type(error).__name__}: {str(error)[:200]}); "
                             f"starting again in {RESTART_SECONDS} s")
                await asyncio.sleep(RESTART_SECONDS)
        finally:
            self._stopped.set()
            try:
                await asyncio.to_thread(workers.unregister, self.factory, self.name)
            except Exception:
                pass  # the database is away: the row goes stale and staff see it so

    def _drain(self) -> None:
        self.say(f"{self.name}: draining: the runs in progress finish, no new one is taken")
        self._draining = True
        self._task.cancel()

    def run(self) -> None:
        """`dlsys worker`: serve in this thread until a signal drains it."""
        try:
            asyncio.run(self.run_async())
        except asyncio.CancelledError:
            pass

    def start(self) -> None:
        """`dlsys serve` on PostgreSQL: serve in a thread of its own (`stop()` ends it)."""
        self._thread = threading.Thread(target=lambda: asyncio.run(self._serve_in_thread()), name="queue-worker",
                                        daemon=True)
        self._thread.start()

    async def _serve_in_thread(self) -> None:
        try:
            await self.run_async(install_signal_handlers=False)
        except asyncio.CancelledError:
            pass

    def stop(self, timeout: float | None = None) -> None:
        """Stop taking requests; runs still grading finish within `timeout` or are retried later."""
        if self._loop is not None and self._task is not None:
            self._loop.call_soon_threadsafe(self._task.cancel)
        if self._thread is not None:
            self._thread.join(timeout)
        self.engine.dispose()
