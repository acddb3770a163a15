"""Per-job cgroups for the local sandbox: memory, pids and CPU bounds that hold even for root,
and the job's low CPU weight (sandbox/priority.py).

bubblewrap bounds nothing by itself, and RLIMIT_NPROC binds nothing for root, so when the
grader runs as root each job gets fresh cgroups (v1 controllers or the v2 unified
hierarchy) under the grader's own: the child joins them before it execs bwrap, the
wall-clock kill empties them, and they are removed afterwards. `sweep_stale_cgroups`
removes those a grader that died left behind.
"""
from __future__ import annotations

import errno
import os
import signal
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from autograder.sandbox.job import JobLimits
from autograder.sandbox.priority import JOB_CPU_SHARES, JOB_CPU_WEIGHT

_CGROUP_PREFIX = "dlsys-job-"


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
    def create(cls, limits: JobLimits, fs: CgroupFs | None = None) -> JobCgroups:
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
                    _write_quietly(groups.dirs["cpu"] / "cpu.shares", JOB_CPU_SHARES)  # in the background
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
            _write_quietly(folder / "cpu.weight", JOB_CPU_WEIGHT)  # in the background (sandbox/priority.py)
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
