"""The one job format every sandbox runs.

A job is a folder prepared outside the sandbox (the released handout with the student's
files copied over it, the hidden suite, the harness) and a command. Inside any sandbox:

- the job folder is at `/job`, read-only;
- `/work` is an empty, writable folder, and the working directory; `/tmp` is writable too;
- `python3` on PATH is an interpreter with numpy (and pybind11, cmake and a C++ compiler
  for building native code);
- there is no network, and nothing else of the host is visible;
- the command's stdout is the value stream (capped at `limits.stdout_bytes`: beyond it the
  job is killed), and only the tail of its stderr is kept;
- the environment holds PATH, HOME=/work, LANG, the thread-count variables, `job.env`, and
  DLSYS_JOB_DIR / DLSYS_WORK_DIR (`/job` and `/work`; the real folders in the local
  sandbox's non-isolated mode, which is why job commands should prefer them).

`OutputCollector` is the one implementation of the output rules that every sandbox feeds.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Protocol

JOB_DIR_VAR = "DLSYS_JOB_DIR"
WORK_DIR_VAR = "DLSYS_WORK_DIR"

JOB_DIR = "/job"
WORK_DIR = "/work"


@dataclass(frozen=True)
class Limits:
    """What a job may use. Wall-clock time is enforced from outside the sandbox."""

    wall_seconds: float = 600.0
    memory_mb: int = 4096
    cpus: float = 2.0
    pids: int = 256
    file_size_mb: int = 512
    stdout_bytes: int = 32 * 2**20
    stderr_bytes: int = 64 * 2**10
    open_files: int = 1024
    scratch_mb: int = 1024  # size of each of /work and /tmp, where the sandbox can bound it


@dataclass(frozen=True)
class Job:
    """A command to run over a prepared job folder."""

    job_dir: Path
    command: tuple[str, ...]
    limits: Limits = Limits()
    needs_gpu: bool = False
    env: dict[str, str] = field(default_factory=dict)


@dataclass
class JobResult:
    """How a job ended. `killed` says why the sandbox stopped it, if it did.

    `returncode` is the exit status, or 128 + N for a job ended by signal N, as a shell and
    Docker report it (137: SIGKILL, 139: a segfault); None only if the sandbox lost it.
    """

    returncode: int | None
    stdout: bytes
    stderr_tail: str
    seconds: float
    killed: str | None = None  # "time limit", "memory limit", "output limit"

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and self.killed is None


class Sandbox(Protocol):
    """Runs a job in isolation; `on_line` sees each stdout line as it arrives."""

    name: str

    def run(self, job: Job, on_line: Callable[[str], None] | None = None) -> JobResult: ...


def checked_job_dir(job: Job) -> Path:
    """The job's folder, after refusing a job no sandbox can run."""
    from autograder.errors import DlsysError

    job_dir = Path(job.job_dir)
    if not job_dir.is_dir():
        raise DlsysError(f"job folder {job_dir} does not exist or is not a folder")
    if not job.command:
        raise DlsysError("the job has no command")
    return job_dir


def job_env(job: Job, job_dir: str = JOB_DIR, work_dir: str = WORK_DIR) -> dict[str, str]:
    """The variables every sandbox sets besides PATH: HOME, LANG, thread counts, DLSYS_*,
    then `job.env` (which may override any of them)."""
    threads = str(max(1, int(job.limits.cpus)))
    env = {
        "HOME": work_dir,
        "LANG": "C.UTF-8",
        "OMP_NUM_THREADS": threads,
        "OPENBLAS_NUM_THREADS": threads,
        "MKL_NUM_THREADS": threads,
        JOB_DIR_VAR: job_dir,
        WORK_DIR_VAR: work_dir,
    }
    env.update(job.env)
    return env


class OutputCollector:
    """Applies the output rules to a job's streams, chunk by chunk, in bounded memory.

    stdout is kept up to `limits.stdout_bytes`; `out()` returns False once a chunk goes
    past it (the sandbox then kills the job). `on_line` gets each complete stdout line,
    decoded as UTF-8 (bad bytes replaced) and without its newline, as soon as it is
    complete; a last line without a newline is passed at `finish()`, unless the output
    limit was hit. Only the last `limits.stderr_bytes` of stderr are kept.
    """

    def __init__(self, limits: Limits, on_line: Callable[[str], None] | None = None) -> None:
        self._cap = limits.stdout_bytes
        self._tail_cap = limits.stderr_bytes
        self._on_line = on_line
        self.stdout = bytearray()
        self._line_start = 0
        self._tail = bytearray()
        self.overflow = False

    def out(self, data: bytes) -> bool:
        """Take a stdout chunk; False when the job went past the stdout cap."""
        if self.overflow:
            return False
        room = self._cap - len(self.stdout)
        if len(data) > room:
            data = data[:room]
            self.overflow = True
        scan_from = len(self.stdout)
        self.stdout += data
        if self._on_line is not None:
            while (end := self.stdout.find(b"\n", scan_from)) >= 0:
                line = bytes(self.stdout[self._line_start : end])
                self._line_start = scan_from = end + 1
                self._on_line(line.decode("utf-8", "replace"))
        return not self.overflow

    def err(self, data: bytes) -> None:
        """Take a stderr chunk, keeping only the tail."""
        if len(data) >= self._tail_cap:
            self._tail[:] = data[len(data) - self._tail_cap :]
            return
        self._tail += data
        if len(self._tail) > self._tail_cap:
            del self._tail[: len(self._tail) - self._tail_cap]

    def finish(self) -> tuple[bytes, str]:
        """(stdout, stderr tail) once the streams are closed."""
        if self._on_line is not None and not self.overflow and self._line_start < len(self.stdout):
            self._on_line(bytes(self.stdout[self._line_start :]).decode("utf-8", "replace"))
            self._line_start = len(self.stdout)
        return bytes(self.stdout), bytes(self._tail).decode("utf-8", "replace")
