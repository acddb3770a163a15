"""In-process grading workers for `dlsys serve`: threads that claim runs from the database.

Each worker loops: claim the next run it can grade (services/queue.claim, with readiness
saying what waits and why), grade it (grade_run.grade_claimed), repeat; with nothing to do it
sleeps until `wake()` (a new submission) or half a second passes. The grading itself runs in
a sandbox process, so threads are enough; `stop()` lets each finish its current run. A worker
outlives any error of its own (the database away for a moment): it says so and carries on.
"""
from __future__ import annotations

import os
import socket
import threading
from collections.abc import Callable

from sqlalchemy.orm import Session, sessionmaker

from autograder.grading.sandboxes import Sandbox
from autograder.server.services import queue
from autograder.worker.grade_run import grade_claimed
from autograder.worker.readiness import AnswersReadiness


class WorkerPool:
    def __init__(self, factory: sessionmaker[Session], *, workers: int, sandbox: Sandbox, gpu: bool,
                 readiness: AnswersReadiness, archives, answers, max_attempts: int, cpus: int = 1,
                 say: Callable[[str], None] = print):
        self.factory, self.sandbox, self.gpu, self.readiness, self.say = factory, sandbox, gpu, readiness, say
        self.archives, self.answers, self.max_attempts, self.cpus = archives, answers, max_attempts, cpus
        self.count = workers
        self.can_take = readiness.reason  # homework -> None, or why its runs wait
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        for number in range(self.count):
            name = f"{socket.gethostname()}:{os.getpid()}:worker-{number}"
            thread = threading.Thread(target=self._loop, args=(name,), name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float | None = None) -> None:
        self._stop.set()
        self._wake.set()
        for thread in self._threads:
            thread.join(timeout)

    def _loop(self, name: str) -> None:
        while not self._stop.is_set():
            try:
                claimed = queue.claim(self.factory, name, self.can_take)
                if claimed is None:
                    self._wake.wait(0.5)
                    self._wake.clear()
                    continue
                grade_claimed(self.factory, *claimed, sandbox=self.sandbox, gpu=self.gpu, archives=self.archives,
                              answers=self.answers, max_attempts=self.max_attempts, cpus=self.cpus)
            except Exception as error:  # a run it could not record stays running: the next start retries it
                self.say(f"{name}: {type(error).__name__}: {str(error)[:300]}; going on in 5 s")
                self._stop.wait(5)
