"""What the local sandbox's child does between fork and exec: join the job's cgroups, lower its rlimits.

The rlimits bound what cgroups may not (file size, open files, core files, CPU seconds) and,
for a non-root grader without cgroups, memory (address space) and processes.
"""
from __future__ import annotations

import os
import resource
from typing import Callable

from autograder.sandbox.job import JobLimits
from autograder.sandbox.priority import JOB_NICE

AS_HEADROOM_MB = 1024  # numpy + 2 OpenBLAS threads peak at ~190 MB of address space


def job_rlimits(limits: JobLimits, gpu: bool) -> list[tuple[int, int]]:
    """(resource, limit) pairs set in the child before exec."""
    pairs = [
        (resource.RLIMIT_CPU, limits.cpu_seconds),
        (resource.RLIMIT_FSIZE, limits.file_size_mb * 2**20),
        (resource.RLIMIT_NOFILE, limits.open_files),
        (resource.RLIMIT_CORE, 0),
    ]
    if not gpu:  # the CUDA driver reserves far more address space than it uses
        pairs.append((resource.RLIMIT_AS, (limits.memory_mb + AS_HEADROOM_MB) * 2**20))
    if os.geteuid() != 0:
        # Counts all of this user's processes, and binds nothing for root (cgroups do).
        pairs.append((resource.RLIMIT_NPROC, limits.pids + _processes_of(os.getuid())))
    return pairs


def _processes_of(uid: int) -> int:
    count = 0
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                count += entry.stat().st_uid == uid
            except OSError:
                pass
    return count


def child_setup(procs_files: list[str], rlimits: list[tuple[int, int]]) -> Callable[[], None]:
    """The preexec function: join the job's cgroups, lower the rlimits and the CPU priority
    (sandbox/priority.py: what the cgroup weight is where the job has no cgroup).

    Runs between fork and exec, so it only makes system calls (no imports, no locks).
    """
    encoded = [os.fsencode(p) for p in procs_files]

    def setup() -> None:
        pid = str(os.getpid()).encode()
        for path in encoded:
            fd = os.open(path, os.O_WRONLY)
            try:
                os.write(fd, pid)
            finally:
                os.close(fd)
        for which, value in rlimits:
            soft, hard = resource.getrlimit(which)
            value = value if hard == resource.RLIM_INFINITY else min(value, hard)
            resource.setrlimit(which, (value, value))
        os.nice(JOB_NICE)

    return setup
