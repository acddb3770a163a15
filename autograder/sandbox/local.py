"""LocalSandbox: runs a job on this machine, isolated by bubblewrap, bounded by cgroups.

Where no Docker engine answers (a student laptop, the embedded default service, CI), this
sandbox runs the same `Job` as `DockerSandbox`, with the same view from inside. Three
pieces do the work, each in its own module:

- bwrap.py: the bubblewrap command line. No network (own network namespace: only a down
  loopback), no other process visible (own pid namespace: when the command exits, bwrap's
  init exits and the kernel kills whatever the job left behind, daemons included), no
  capabilities, no way to regain privileges; nothing of the host's files but /usr, two /etc
  entries and the Python installation, all read-only. `/work` and `/tmp` are tmpfs mounts
  of `limits.scratch_mb` each, not host folders: a job cannot fill the grader's disk, its
  files vanish with it, and their pages count against its memory limit. (The job's uid
  inside is 65534; on the host it is the grader's uid, as bwrap maps it, which is why every
  host path it sees is mounted read-only.)
- rlimits.py: rlimits set in the child before it execs bwrap (address space = memory limit
  + `AS_HEADROOM_MB` so a huge allocation fails with MemoryError, CPU seconds, file size,
  open files, no core files, process count for a non-root user).
- cgroups.py: when the grader runs as root (where RLIMIT_NPROC binds nothing), fresh
  memory, pids and cpu cgroups per job, which the child joins before exec and which are
  removed afterwards.

This module starts the child and pumps its output. Wall-clock time is enforced from
outside: at the deadline the process group and every pid in the job's cgroup are killed.

`LocalSandbox(isolated=False)` is a plain-subprocess mode for trusted code on machines
without bubblewrap. It offers NO file isolation: the job sees and may change the host's
files with the grader's permissions. It keeps the limits (rlimits, cgroups as root, own
session, wall-clock kill), cuts the network with `unshare --net` where permitted, runs in a
fresh host temp folder as cwd and HOME, and emulates /job and /work: DLSYS_JOB_DIR and
DLSYS_WORK_DIR hold the real folders, and command arguments that are `/job...` or
`/work...` paths are rewritten to them. A daemon that leaves the job's session survives
it in this mode unless the grader runs as root (cgroups).
"""
from __future__ import annotations

import os
import selectors
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Callable

from autograder.dlsys_harness.protocol import KillReason
from autograder.errors import DlsysError
from autograder.sandbox.bwrap import (
    bwrap_argv,
    bwrap_version,
    nvidia_devices,
    passwd_data,
    python_prefixes,
    sandbox_path,
)
from autograder.sandbox.cgroups import JobCgroups, sweep_stale_cgroups
from autograder.sandbox.job import JOB_DIR, WORK_DIR, Job, JobLimits, JobResult, job_env, ready_job_dir
from autograder.sandbox.output import OutputCollector
from autograder.sandbox.rlimits import child_setup, job_rlimits

_CHUNK = 64 * 2**10


def _as_shell_code(returncode: int) -> int:
    """Popen's -N for 'killed by signal N' as a shell and Docker report it: 128 + N."""
    return 128 - returncode if returncode < 0 else returncode


def _exited(pid: int) -> bool:
    """Whether child `pid` has ended, leaving it unreaped (its pid stays reserved)."""
    try:
        return os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
    except ChildProcessError:
        return True


def _pidfd(pid: int) -> int | None:
    """A pidfd for `pid` (Linux 5.3+), or None where the kernel or Python lacks them."""
    try:
        return os.pidfd_open(pid)
    except (AttributeError, OSError):
        return None


def _read_all(fd: int) -> bytes:
    """What a pipe holds now, without waiting for more; closes it."""
    chunks = []
    try:
        os.set_blocking(fd, False)
        while chunk := os.read(fd, _CHUNK):
            chunks.append(chunk)
    except BlockingIOError:
        pass
    finally:
        os.close(fd)
    return b"".join(chunks)


def _close(fd: int) -> None:
    try:
        os.close(fd)
    except OSError:
        pass


def _net_unshare_prefix() -> list[str]:
    """`unshare --net --` when this user may create a network namespace, else nothing."""
    unshare = shutil.which("unshare")
    if not unshare:
        return []
    try:
        ok = subprocess.run([unshare, "--net", "--", "true"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.SubprocessError):
        ok = False
    return [unshare, "--net", "--"] if ok else []


def _rewrite(arg: str, job_dir: str, work_dir: str) -> str:
    for fake, real in ((JOB_DIR, job_dir), (WORK_DIR, work_dir)):
        if arg == fake or arg.startswith(fake + "/"):
            return real + arg[len(fake) :]
    return arg


class LocalSandbox:
    """Runs jobs on this machine: bubblewrap isolation plus rlimits and cgroups.

    Args:
        isolated: True (default) runs each job under bubblewrap and raises DlsysError if
            bwrap is missing. False runs a plain subprocess with the same limits but NO
            file isolation: for trusted code on machines without bubblewrap.
        bwrap: path of the bwrap binary (default: found on PATH).

    Example:
        >>> sandbox = LocalSandbox()
        >>> job = Job(Path("job"), ("python3", "/job/suite.py"), JobLimits(wall_seconds=60))
        >>> result = sandbox.run(job, on_line=print)
    """

    def __init__(self, isolated: bool = True, bwrap: str | None = None) -> None:
        self.isolated = isolated
        self.name = "local" if isolated else "local-plain"
        self._bwrap = None
        self._new_features = True
        self._net_prefix: list[str] | None = None
        if isolated:
            self._bwrap = bwrap or shutil.which("bwrap")
            if not self._bwrap:
                raise DlsysError(
                    "the local sandbox needs bubblewrap: install bubblewrap (apt install bubblewrap), "
                    "or use Docker (a running engine and the grader image)"
                )
            self._new_features = bwrap_version(self._bwrap) >= (0, 8)
        if os.geteuid() == 0:
            sweep_stale_cgroups()

    def run(self, job: Job, on_line: Callable[[str], None] | None = None) -> JobResult:
        ready_job_dir(job)
        groups = self._cgroups(job.limits)
        scratch = None if self.isolated else Path(tempfile.mkdtemp(prefix="dlsys-job-"))
        try:
            return self._run(job, on_line, groups, scratch)
        finally:
            if groups is not None:
                groups.remove()
            if scratch is not None:
                shutil.rmtree(scratch, ignore_errors=True)

    def _cgroups(self, limits: JobLimits) -> JobCgroups | None:
        try:
            return JobCgroups.create(limits)
        except OSError as error:
            if os.geteuid() == 0:
                raise DlsysError(
                    f"cannot create the job's cgroups ({error}); as root, memory and process "
                    "limits need them (RLIMIT_NPROC binds nothing for root): mount cgroup v1 "
                    "memory and pids controllers or a writable cgroup v2, or use Docker"
                ) from error
            return None  # a regular user: rlimits (RLIMIT_NPROC included) still bind

    def _plain_command(self, job: Job, scratch: Path) -> tuple[list[str], dict[str, str], str]:
        """(argv, env, cwd) of the non-isolated mode: real folders stand in for /job, /work."""
        work, tmp = scratch / "work", scratch / "tmp"
        work.mkdir()
        tmp.mkdir()
        job_dir = str(Path(job.job_dir).resolve())
        env = {"PATH": sandbox_path({}), "TMPDIR": str(tmp)}
        env.update(job_env(job, job_dir, str(work)))
        if self._net_prefix is None:
            self._net_prefix = _net_unshare_prefix()
        argv = self._net_prefix + [_rewrite(a, job_dir, str(work)) for a in job.command]
        return argv, env, str(work)

    def _run(self, job: Job, on_line, groups: JobCgroups | None, scratch: Path | None) -> JobResult:
        limits = job.limits
        gpu_devices = nvidia_devices() if job.needs_gpu else []
        pass_fds: dict[str, int] = {}  # what each fd carries to bwrap
        info_read = None
        try:
            if self.isolated:
                for target, content in passwd_data().items():
                    r, w = os.pipe()
                    pass_fds[target] = r
                    os.write(w, content)  # a few bytes: fits in the pipe buffer
                    os.close(w)
                info_read, pass_fds["info"] = os.pipe()
                data_fds = {k: v for k, v in pass_fds.items() if k != "info"}
                argv = bwrap_argv(
                    self._bwrap, job, python_prefixes(), data_fds, self._new_features, gpu_devices, pass_fds["info"]
                )
                env, cwd = {}, None
            else:
                argv, env, cwd = self._plain_command(job, scratch)
            setup = child_setup(groups.procs_files if groups else [], job_rlimits(limits, gpu=job.needs_gpu))
            start = time.monotonic()
            proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=env,
                cwd=cwd,
                start_new_session=True,
                pass_fds=tuple(pass_fds.values()),
                preexec_fn=setup,
            )
        except BaseException:
            if info_read is not None:
                os.close(info_read)
            raise
        finally:
            for fd in pass_fds.values():
                os.close(fd)
        collector = OutputCollector(limits, on_line)
        killed = None
        try:
            killed = self._pump(proc, collector, start + limits.wall_seconds, groups)
        finally:
            # Whatever happened (an exception in on_line included), nothing survives. The
            # child is not reaped before this kill, so its process group id stays its own.
            self._kill(proc, groups)
            proc.wait()
            proc.stdout.close()
            proc.stderr.close()
            set_up = _read_all(info_read) if info_read is not None else b"plain"
        seconds = time.monotonic() - start
        returncode = _as_shell_code(proc.returncode)
        if killed is None and returncode != 0:
            if groups is not None and groups.oom_killed():
                killed = KillReason.MEMORY_LIMIT
            elif returncode == 128 + signal.SIGXCPU:
                killed = KillReason.TIME_LIMIT
        stdout, stderr_tail = collector.finish()
        if not set_up and killed is None:  # bwrap wrote nothing to its --info-fd
            raise DlsysError(
                f"bubblewrap could not set up the sandbox (exit {returncode}): {stderr_tail.strip()[-500:]}; "
                "it needs user namespaces (unprivileged ones for a non-root grader)"
            )
        return JobResult(returncode, stdout, stderr_tail, seconds, killed)

    def _pump(self, proc, collector: OutputCollector, deadline: float, groups) -> str | None:
        """Drain both pipes until they close and the command has ended.

        Returns why the job was killed, if it was. A job may close its output and go on
        computing: it is then waited for until the deadline. Once the command has ended,
        whatever still holds the pipes a second later is killed.
        """
        selector = selectors.DefaultSelector()
        streams = {proc.stdout.fileno(): collector.out, proc.stderr.fileno(): collector.err}
        for fd in streams:
            os.set_blocking(fd, False)
            selector.register(fd, selectors.EVENT_READ)
        pidfd = _pidfd(proc.pid)  # readable once the command ends: no polling needed
        if pidfd is not None:
            selector.register(pidfd, selectors.EVENT_READ)
        exited_at = None
        try:
            while streams or exited_at is None:
                now = time.monotonic()
                if now >= deadline:
                    return KillReason.TIME_LIMIT
                if exited_at is None and _exited(proc.pid):
                    exited_at = now
                    if pidfd is not None:
                        selector.unregister(pidfd)
                        pidfd = _close(pidfd)
                if exited_at is not None and now - exited_at > 1.0:
                    self._kill(proc, groups)  # the command is gone; something holds the pipes
                    exited_at = now
                wait = deadline - now
                if pidfd is None:
                    wait = min(wait, 0.25 if exited_at is None else 0.1)
                for key, _ in selector.select(timeout=wait):
                    fd = key.fd
                    if fd not in streams:
                        continue  # the pidfd: the loop's next turn sees the exit
                    try:
                        chunk = os.read(fd, _CHUNK)
                    except BlockingIOError:
                        continue
                    if not chunk:
                        selector.unregister(fd)
                        del streams[fd]
                    elif streams[fd](chunk) is False:
                        return KillReason.OUTPUT_LIMIT
            return None
        finally:
            selector.close()
            if pidfd is not None:
                _close(pidfd)

    @staticmethod
    def _kill(proc: subprocess.Popen, groups: JobCgroups | None) -> None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        if groups is not None:
            groups.kill_all()
