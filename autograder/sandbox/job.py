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

`OutputCollector` (output.py) is the one implementation of the output rules that every sandbox feeds.
"""
from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Protocol

from autograder.dlsys_harness.protocol import JOB_DIR_VAR, WORK_DIR_VAR
from autograder.errors import DlsysError

JOB_DIR = "/job"
WORK_DIR = "/work"


@dataclass(frozen=True)
class JobLimits:
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

    @property
    def cpu_seconds(self) -> int:
        """The CPU-time rlimit: the wall-clock limit on every CPU, and a little more, so that the
        wall-clock kill from outside, not this limit, normally stops a job."""
        return int(self.wall_seconds * max(1.0, self.cpus)) + 2


@dataclass(frozen=True)
class Job:
    """A command to run over a prepared job folder."""

    job_dir: Path
    command: tuple[str, ...]
    limits: JobLimits = JobLimits()
    needs_gpu: bool = False
    env: dict[str, str] = field(default_factory=dict)
    gpu_ids: tuple[str, ...] = ()  # the GPUs a worker pinned the job to; empty: every GPU there is


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
    killed: str | None = None  # a protocol.KillReason

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and self.killed is None


class Sandbox(Protocol):
    """Runs a job in isolation; `on_line` sees each stdout line as it arrives."""

    name: str

    def run(self, job: Job, on_line: Callable[[str], None] | None = None) -> JobResult: ...


def ready_job_dir(job: Job) -> Path:
    """The job's folder, readable by the sandbox's user; a job no sandbox can run is refused."""
    job_dir = Path(job.job_dir)
    if not job_dir.is_dir():
        raise DlsysError(f"job folder {job_dir} does not exist or is not a folder")
    if not job.command:
        raise DlsysError("the job has no command")
    make_world_readable(job_dir)
    return job_dir


def make_world_readable(folder: Path) -> None:
    """Let uid 65534 read the job folder: o+r on files, o+rx on folders (and on files
    their owner may execute)."""
    paths = [folder]
    for root, dirs, files in os.walk(folder):  # does not descend into linked folders
        paths += [Path(root, name) for name in dirs + files]
    for path in paths:
        mode = path.lstat().st_mode
        if stat.S_ISLNK(mode):
            continue
        wanted = mode | stat.S_IROTH | stat.S_IRGRP
        if stat.S_ISDIR(mode) or mode & stat.S_IXUSR:
            wanted |= stat.S_IXOTH | stat.S_IXGRP
        if wanted != mode:
            os.chmod(path, stat.S_IMODE(wanted))


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
