"""LocalSandbox: runs a job on this machine, isolated by bubblewrap, bounded by cgroups.

Where no Docker engine answers (a student laptop, the embedded default service, CI), this
sandbox runs the same `Job` as `DockerSandbox`, with the same view from inside:

    bwrap  --unshare-all --unshare-user --uid 65534 --gid 65534 --disable-userns
           --cap-drop ALL --die-with-parent --new-session --clearenv --setenv ...
           --ro-bind /usr /usr  (+ /bin /lib /lib64 /sbin symlinks into it)
           --ro-bind /etc/alternatives, /etc/ld.so.cache; a two-line /etc/passwd and /etc/group
           --ro-bind <the grader's Python installation, at its own path>
           --ro-bind <job folder> /job   --tmpfs /work   --tmpfs /tmp   --proc /proc --dev /dev
           --remount-ro /   --chdir /work -- <command>

- No network (own network namespace: only a down loopback), no other process visible (own
  pid namespace: when the command exits, bwrap's init exits and the kernel kills whatever
  the job left behind, daemons included), no capabilities, no way to regain privileges.
- Nothing of the host's files but /usr, those two /etc entries and the Python installation,
  all read-only. The Python installation keeps its host path so its absolute paths (cmake
  configs, .pth files) stay valid: with pyenv that makes `/root/.pyenv/versions/X` visible,
  but nothing else of /root.
- `/work` and `/tmp` are tmpfs mounts of `limits.scratch_mb` each, not host folders: a job
  cannot fill the grader's disk, its files vanish with it, and their pages count against
  its memory limit. (The job's uid inside is 65534; on the host it is the grader's uid, as
  bwrap maps it, which is why every host path it sees is mounted read-only.)
- Limits: rlimits set in the child before it execs bwrap (address space = memory limit +
  `AS_HEADROOM_MB` so a huge allocation fails with MemoryError, CPU seconds = wall x cpus + 2,
  file size, open files, no core files, process count for a non-root user), and, when the
  grader runs as root (where RLIMIT_NPROC binds nothing), fresh memory, pids and cpu
  cgroups per job (v1 controllers or the v2 unified hierarchy), which the child joins
  before exec and which are removed afterwards. Wall-clock time is enforced from outside:
  at the deadline the process group and every pid in the job's cgroup are killed.

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

import errno
import os
import resource
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from autograder.errors import DlsysError
from autograder.sandbox.job import (
    JOB_DIR,
    WORK_DIR,
    Job,
    JobResult,
    Limits,
    OutputCollector,
    checked_job_dir,
    job_env,
)

SANDBOX_UID = 65534
AS_HEADROOM_MB = 1024  # numpy + 2 OpenBLAS threads peak at ~190 MB of address space
_CHUNK = 64 * 2**10
_CGROUP_PREFIX = "dlsys-job-"


def _as_shell_code(returncode: int) -> int:
    """Popen's -N for 'killed by signal N' as a shell and Docker report it: 128 + N."""
    return 128 - returncode if returncode < 0 else returncode


# ----------------------------------------------------------------------------- cgroups


@dataclass
class JobCgroups:
    """The per-job cgroups: created with the limits, joined by the child, removed after.

    `dirs` maps a controller ("memory", "pids", "cpu"; "unified" for cgroup v2) to the
    job's folder in that hierarchy; `procs_files` are what the child writes its pid to.
    """

    version: int
    dirs: dict[str, Path] = field(default_factory=dict)

    @property
    def procs_files(self) -> list[str]:
        return sorted({str(d / "cgroup.procs") for d in self.dirs.values()})

    @classmethod
    def create(cls, limits: Limits, fs: CgroupFs | None = None) -> JobCgroups:
        """Fresh cgroups holding `limits`; raises OSError where that is not possible."""
        fs = fs or CgroupFs.discover()
        name = f"{_CGROUP_PREFIX}{os.getpid()}-{uuid.uuid4().hex[:12]}"
        memory = limits.memory_mb * 2**20
        quota_us = max(1000, int(limits.cpus * 100_000))
        if fs.v1:
            if "memory" not in fs.v1 or "pids" not in fs.v1:
                raise OSError(errno.ENOENT, "cgroup v1 without both memory and pids controllers")
            groups = cls(version=1)
            try:
                for ctrl in ("memory", "pids", "cpu"):
                    if ctrl not in fs.v1:
                        continue
                    folder = fs.v1[ctrl] / name
                    folder.mkdir()
                    groups.dirs[ctrl] = folder
                m = groups.dirs["memory"]
                _write(m / "memory.limit_in_bytes", memory)
                if (m / "memory.memsw.limit_in_bytes").exists():
                    _write(m / "memory.memsw.limit_in_bytes", memory)
                _write(groups.dirs["pids"] / "pids.max", limits.pids)
                if "cpu" in groups.dirs:
                    _write_quietly(groups.dirs["cpu"] / "cpu.cfs_period_us", 100_000)
                    _write_quietly(groups.dirs["cpu"] / "cpu.cfs_quota_us", quota_us)
            except BaseException:
                groups.remove()
                raise
            return groups
        if fs.v2 is None:
            raise OSError(errno.ENOENT, "no cgroup hierarchy with memory and pids controllers")
        parent = fs.v2
        wanted = {"memory", "pids"}
        enabled = set((parent / "cgroup.subtree_control").read_text().split())
        if not wanted <= enabled:
            available = set((parent / "cgroup.controllers").read_text().split())
            if not wanted <= available:
                raise OSError(errno.ENOENT, f"cgroup v2 at {parent} lacks {sorted(wanted - available)}")
            extra = " +cpu" if "cpu" in available else ""
            # EBUSY here: the grader's own cgroup holds processes (cgroup v2's
            # no-internal-processes rule); run the grader in a delegated cgroup of its own.
            _write(parent / "cgroup.subtree_control", "+memory +pids" + extra)
        groups = cls(version=2)
        try:
            folder = parent / name
            folder.mkdir()
            groups.dirs["unified"] = folder
            _write(folder / "memory.max", memory)
            if (folder / "memory.swap.max").exists():
                _write(folder / "memory.swap.max", 0)
            _write(folder / "pids.max", limits.pids)
            if (folder / "cpu.max").exists():
                _write_quietly(folder / "cpu.max", f"{quota_us} 100000")
        except BaseException:
            groups.remove()
            raise
        return groups

    def pids(self) -> set[int]:
        found: set[int] = set()
        for procs in self.procs_files:
            try:
                found.update(int(p) for p in Path(procs).read_text().split())
            except OSError:
                pass
        return found

    def oom_killed(self) -> bool:
        """Whether the kernel's OOM killer struck inside the job's memory cgroup."""
        if self.version == 1 and "memory" in self.dirs:
            stats = _key_values(self.dirs["memory"] / "memory.oom_control")
            if "oom_kill" in stats:
                return stats["oom_kill"] > 0
            # Kernels before 4.13 have no oom_kill counter: the limit was hit at least.
            return _read_int(self.dirs["memory"] / "memory.failcnt") > 0
        if self.version == 2 and "unified" in self.dirs:
            return _key_values(self.dirs["unified"] / "memory.events").get("oom_kill", 0) > 0
        return False

    def kill_all(self, timeout: float = 5.0) -> bool:
        """SIGKILL every process in the cgroups until none is left; True once empty."""
        kill_file = self.dirs.get("unified", Path("/nonexistent")) / "cgroup.kill"
        deadline = time.monotonic() + timeout
        while True:
            pids = self.pids()
            if not pids:
                return True
            if kill_file.exists():
                _write_quietly(kill_file, 1)
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)

    def remove(self) -> None:
        """Kill what is left and delete the job's cgroup folders (best effort)."""
        self.kill_all()
        for folder in self.dirs.values():
            for _ in range(200):
                try:
                    folder.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError as error:  # EBUSY while the last tasks are being reaped
                    if error.errno != errno.EBUSY:
                        break
                    time.sleep(0.01)
        self.dirs.clear()


def sweep_stale_cgroups(fs: CgroupFs | None = None) -> int:
    """Remove job cgroups left by graders that died (their pid is in the name); how many.

    Their jobs died with them (bwrap's --die-with-parent); any process still inside is
    killed first.
    """
    try:
        fs = fs or CgroupFs.discover()
    except OSError:
        return 0
    removed = 0
    for parent in [*fs.v1.values(), *([fs.v2] if fs.v2 else [])]:
        try:
            folders = [f for f in parent.iterdir() if f.name.startswith(_CGROUP_PREFIX) and f.is_dir()]
        except OSError:
            continue
        for folder in folders:
            owner = folder.name[len(_CGROUP_PREFIX) :].split("-")[0]
            if not owner.isdigit() or Path(f"/proc/{owner}").exists():
                continue
            key = "unified" if parent == fs.v2 else "stale"
            JobCgroups(version=2 if key == "unified" else 1, dirs={key: folder}).remove()
            removed += not folder.exists()
    return removed


@dataclass(frozen=True)
class CgroupFs:
    """Where this process's cgroups are: v1 controller folders, or the v2 folder.

    Job cgroups are created under the grader's own cgroups, so whatever bounds the grader
    bounds its jobs too.
    """

    v1: dict[str, Path]
    v2: Path | None

    @classmethod
    def discover(cls, proc_root: Path = Path("/proc/self")) -> CgroupFs:
        own_v1: dict[str, str] = {}
        own_v2 = None
        for line in (proc_root / "cgroup").read_text().splitlines():
            hid, controllers, path = line.split(":", 2)
            if hid == "0" and controllers == "":
                own_v2 = path
            for ctrl in controllers.split(","):
                own_v1[ctrl] = path
        v1: dict[str, Path] = {}
        v2 = None
        for line in (proc_root / "mountinfo").read_text().splitlines():
            left, _, right = line.partition(" - ")
            fields, rfields = left.split(), right.split()
            if len(fields) < 5 or len(rfields) < 3:
                continue
            root, mount_point, fstype, options = fields[3], fields[4], rfields[0], rfields[2]
            if fstype == "cgroup":
                for ctrl in ("memory", "pids", "cpu"):
                    if ctrl in options.split(",") and ctrl in own_v1:
                        v1[ctrl] = _inside(Path(mount_point), root, own_v1[ctrl])
            elif fstype == "cgroup2" and own_v2 is not None:
                v2 = _inside(Path(mount_point), root, own_v2)
        return cls(v1=v1, v2=v2)


def _inside(mount_point: Path, mount_root: str, own: str) -> Path:
    """The folder of cgroup `own` under a hierarchy mounted from `mount_root`."""
    relative = os.path.relpath(own, mount_root) if own.startswith(mount_root) else "."
    return (mount_point / relative).resolve() if relative != "." else mount_point


def _write(path: Path, value: object) -> None:
    with open(path, "w") as f:
        f.write(str(value))


def _write_quietly(path: Path, value: object) -> None:
    try:
        _write(path, value)
    except OSError:
        pass


def _read_int(path: Path) -> int:
    try:
        return int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 0


def _key_values(path: Path) -> dict[str, int]:
    values = {}
    try:
        for line in path.read_text().splitlines():
            key, _, value = line.partition(" ")
            if value.strip().isdigit():
                values[key] = int(value)
    except OSError:
        pass
    return values


# ----------------------------------------------------------------------------- the child


def _rlimits(limits: Limits, gpu: bool) -> list[tuple[int, int]]:
    """(resource, limit) pairs set in the child before exec."""
    cpu_seconds = int(limits.wall_seconds * max(1.0, limits.cpus)) + 2
    pairs = [
        (resource.RLIMIT_CPU, cpu_seconds),
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


def _child_setup(procs_files: list[str], rlimits: list[tuple[int, int]]) -> Callable[[], None]:
    """The preexec function: join the job's cgroups, then lower the rlimits.

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

    return setup


# ----------------------------------------------------------------------------- argv


def python_prefixes() -> list[str]:
    """The grader's Python installation(s) to mount read-only: venv and its base."""
    prefixes = []
    for prefix in (sys.prefix, sys.base_prefix):
        real = os.path.realpath(prefix)
        if real not in prefixes and not _under(real, "/usr"):
            prefixes.append(real)
    return prefixes


def _under(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def sandbox_path(prefixes: list[str]) -> str:
    """PATH inside: the grader's Python first, so `python3` is the one with numpy."""
    bins = [os.path.join(os.path.realpath(p), "bin") for p in (sys.prefix, sys.base_prefix)]
    bins += ["/usr/local/bin", "/usr/bin", "/bin"]
    return ":".join(dict.fromkeys(bins))


def bwrap_argv(
    bwrap: str,
    job: Job,
    prefixes: list[str],
    data_fds: dict[str, int],
    new_features: bool = True,
    gpu_devices: list[str] = (),
    info_fd: int | None = None,
) -> list[str]:
    """The bwrap command line for `job` (a pure function, for tests and for reading).

    `data_fds` maps /etc/passwd and /etc/group to the read ends of pipes holding their
    contents; `new_features` is False for bwrap < 0.8 (no --size, no --disable-userns);
    bwrap writes to `info_fd` once the sandbox is set up.
    """
    limits = job.limits
    scratch = str(limits.scratch_mb * 2**20)
    argv = [bwrap] + (["--info-fd", str(info_fd)] if info_fd is not None else [])
    argv += ["--unshare-all", "--unshare-user", "--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_UID)]
    if new_features:
        argv.append("--disable-userns")
    argv += ["--cap-drop", "ALL", "--die-with-parent", "--new-session", "--hostname", "sandbox"]
    argv += ["--ro-bind", "/usr", "/usr"]
    for link, target in (("/bin", "usr/bin"), ("/sbin", "usr/sbin"), ("/lib", "usr/lib"), ("/lib64", "usr/lib64")):
        if os.path.islink(link) or not os.path.exists(link):
            argv += ["--symlink", target, link]
        else:  # a host without merged /usr
            argv += ["--ro-bind", link, link]
    for etc in ("/etc/alternatives", "/etc/ld.so.cache"):
        argv += ["--ro-bind-try", etc, etc]
    for target, fd in sorted(data_fds.items()):
        argv += ["--ro-bind-data", str(fd), target]
    argv += ["--ro-bind", str(Path(job.job_dir).resolve()), JOB_DIR]
    for folder, mode in ((WORK_DIR, "0755"), ("/tmp", "1777")):
        if new_features:
            argv += ["--size", scratch]
        argv += ["--perms", mode, "--tmpfs", folder]
    for prefix in prefixes:  # after the tmpfs mounts, so a venv under /work or /tmp stays visible
        argv += ["--ro-bind", prefix, prefix]
    argv += ["--proc", "/proc", "--dev", "/dev"]
    for device in gpu_devices:
        argv += ["--dev-bind", device, device]
    argv += ["--remount-ro", "/"]  # bwrap's own root tmpfs: nothing but /work and /tmp is writable
    argv += ["--clearenv", "--setenv", "PATH", sandbox_path(prefixes)]
    for key, value in job_env(job).items():
        argv += ["--setenv", key, value]
    argv += ["--chdir", WORK_DIR, "--", *job.command]
    return argv


def _gpu_devices() -> list[str]:
    """The NVIDIA device nodes to bind into a job that needs a GPU (none without a driver)."""
    return sorted(str(p) for p in Path("/dev").glob("nvidia*"))


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


def _passwd_data() -> dict[str, bytes]:
    user = f"nobody:x:{SANDBOX_UID}:{SANDBOX_UID}:nobody:{WORK_DIR}:/usr/sbin/nologin\n"
    group = f"nogroup:x:{SANDBOX_UID}:\n"
    return {"/etc/passwd": user.encode(), "/etc/group": group.encode()}


def _bwrap_version(bwrap: str) -> tuple[int, ...]:
    try:
        out = subprocess.run([bwrap, "--version"], capture_output=True, text=True, timeout=10).stdout
        return tuple(int(x) for x in out.split()[-1].split("."))
    except (OSError, subprocess.SubprocessError, ValueError, IndexError):
        return (0,)


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


# ----------------------------------------------------------------------------- sandbox


class LocalSandbox:
    """Runs jobs on this machine: bubblewrap isolation plus rlimits and cgroups.

    Args:
        isolated: True (default) runs each job under bubblewrap and raises DlsysError if
            bwrap is missing. False runs a plain subprocess with the same limits but NO
            file isolation: for trusted code on machines without bubblewrap.
        bwrap: path of the bwrap binary (default: found on PATH).

    Example:
        >>> sandbox = LocalSandbox()
        >>> job = Job(Path("job"), ("python3", "/job/suite.py"), Limits(wall_seconds=60))
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
            self._new_features = _bwrap_version(self._bwrap) >= (0, 8)
        if os.geteuid() == 0:
            sweep_stale_cgroups()

    def run(self, job: Job, on_line: Callable[[str], None] | None = None) -> JobResult:
        checked_job_dir(job)
        groups = self._cgroups(job.limits)
        scratch = None if self.isolated else Path(tempfile.mkdtemp(prefix="dlsys-job-"))
        try:
            return self._run(job, on_line, groups, scratch)
        finally:
            if groups is not None:
                groups.remove()
            if scratch is not None:
                shutil.rmtree(scratch, ignore_errors=True)

    def _cgroups(self, limits: Limits) -> JobCgroups | None:
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
        env = {"PATH": sandbox_path(python_prefixes()), "TMPDIR": str(tmp)}
        env.update(job_env(job, job_dir, str(work)))
        if self._net_prefix is None:
            self._net_prefix = _net_unshare_prefix()
        argv = self._net_prefix + [_rewrite(a, job_dir, str(work)) for a in job.command]
        return argv, env, str(work)

    def _run(self, job: Job, on_line, groups: JobCgroups | None, scratch: Path | None) -> JobResult:
        limits = job.limits
        gpu_devices = _gpu_devices() if job.needs_gpu else []
        pass_fds: dict[str, int] = {}  # what each fd carries to bwrap
        info_read = None
        try:
            if self.isolated:
                for target, content in _passwd_data().items():
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
            setup = _child_setup(groups.procs_files if groups else [], _rlimits(limits, gpu=job.needs_gpu))
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
                killed = "memory limit"
            elif returncode == 128 + signal.SIGXCPU:
                killed = "time limit"
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
                    return "time limit"
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
                        return "output limit"
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
