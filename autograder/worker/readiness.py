"""What a worker can grade right now, and why a queued run waits otherwise."""
from __future__ import annotations

import threading
import time
from pathlib import Path

from autograder.devtools.doctor import list_gpus
from autograder.errors import DlsysError
from autograder.grading.answers import load_answers
from autograder.grading.job_folder import suite_hash
from autograder.grading.sandboxes import Sandbox, pick_sandbox

NO_SANDBOX_FIX = ("install bubblewrap (apt-get install bubblewrap) or start Docker and build the grader image "
                  "(dlsys grader-image), then restart dlsys serve")


def choose_sandbox(kind: str, allow_unsandboxed: bool) -> tuple[Sandbox | None, str | None]:
    """The sandbox to grade in, or None and the sentence that says why there is none (and the fix)."""
    if kind == "plain" and not allow_unsandboxed:
        return None, ("sandbox 'plain' runs student code without isolation: set DLSYS_ALLOW_UNSANDBOXED=1 "
                      "to accept that (trusted code only), or use auto, local or docker")
    try:
        return pick_sandbox(kind), None
    except DlsysError as error:
        return None, f"no sandbox to grade in ({error}): {NO_SANDBOX_FIX}"


class AnswersReadiness:
    """Whether each homework's published answers are there and current. Answers found stay found
    (until the service publishes again); answers missing are looked for again every
    `recheck_seconds`, so a `dlsys publish` run beside the service starts the waiting runs."""

    def __init__(self, folder: Path, recheck_seconds: float = 5.0):
        self.folder, self.recheck_seconds = folder, recheck_seconds
        self._ready: dict[str, tuple[bool, float]] = {}  # homework -> (ready, when looked)
        self._publishing: set[str] = set()
        self._lock = threading.Lock()

    def is_ready(self, homework: str) -> bool:
        with self._lock:
            ready, looked = self._ready.get(homework, (False, None))
            if looked is None or (not ready and time.monotonic() - looked >= self.recheck_seconds):
                try:
                    load_answers(homework, suite_hash(homework), self.folder)
                    ready = True
                except DlsysError:
                    ready = False
                self._ready[homework] = (ready, time.monotonic())
            return ready

    def publishing(self, homework: str, busy: bool) -> None:
        with self._lock:
            (self._publishing.add if busy else self._publishing.discard)(homework)
            self._ready.pop(homework, None)  # look again

    def reason(self, homework: str) -> str | None:
        """Why a run of `homework` must wait for its answers, or None when they are ready."""
        if self.is_ready(homework):
            return None
        if homework in self._publishing:
            return f"the reference answers for {homework} are being published; grading starts when they are ready"
        return f"the reference answers for {homework} are not published yet (staff: dlsys publish {homework})"


def has_gpu() -> bool:
    """Whether a CUDA GPU answers here (cuda-python, else the build's probe): CUDA cases need one."""
    return bool(list_gpus()[0])
