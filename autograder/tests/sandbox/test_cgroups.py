"""Per-job cgroups: found on v1 and v2 machines, limits written, removed after, stale ones swept."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from autograder.sandbox import JobLimits
from autograder.sandbox.cgroups import CgroupFs, JobCgroups, sweep_stale_cgroups
from autograder.sandbox.priority import JOB_CPU_SHARES, JOB_CPU_WEIGHT
from sandbox_jobs import IS_ROOT


def test_cgroups_are_found_on_v1_and_v2_machines(tmp_path):
    proc = tmp_path / "proc"
    proc.mkdir()
    (proc / "cgroup").write_text("4:memory:/grader\n8:pids:/\n1:cpu,cpuacct:/\n0::/\n")
    (proc / "mountinfo").write_text(
        "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
        "39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n"
        "32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n"
    )
    fs = CgroupFs.discover(proc)
    assert fs.v1 == {
        "memory": Path("/sys/fs/cgroup/memory/grader"),
        "pids": Path("/sys/fs/cgroup/pids"),
        "cpu": Path("/sys/fs/cgroup/cpu,cpuacct"),
    }
    (proc / "cgroup").write_text("0::/system.slice/grader.service\n")
    (proc / "mountinfo").write_text("30 23 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n")
    assert CgroupFs.discover(proc) == CgroupFs(v1={}, v2=Path("/sys/fs/cgroup/system.slice/grader.service"))


def test_cgroup_v2_limits_are_written(tmp_path):
    own = tmp_path / "grader"
    own.mkdir()
    (own / "cgroup.controllers").write_text("cpu memory pids\n")
    (own / "cgroup.subtree_control").write_text("\n")
    groups = JobCgroups.create(JobLimits(memory_mb=256, pids=40), CgroupFs(v1={}, v2=own))
    (folder,) = groups.dirs.values()
    assert (own / "cgroup.subtree_control").read_text() == "+memory +pids +cpu"
    assert (folder / "memory.max").read_text() == str(256 << 20)
    assert (folder / "pids.max").read_text() == "40"
    assert (folder / "cpu.weight").read_text() == str(JOB_CPU_WEIGHT)  # in the background
    assert groups.procs_files == [str(folder / "cgroup.procs")]
    assert not groups.oom_killed()
    (folder / "memory.events").write_text("low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n")
    assert groups.oom_killed()


def test_cgroups_of_dead_graders_are_swept(tmp_path):
    pids = tmp_path / "pids"
    stale = pids / "dlsys-job-4194305-abc"  # above any pid_max: that grader is gone
    live = pids / f"dlsys-job-{os.getpid()}-def"
    other = pids / "docker"
    for folder in (stale, live, other):
        folder.mkdir(parents=True)
    assert sweep_stale_cgroups(CgroupFs(v1={"pids": pids}, v2=None)) == 1
    assert not stale.exists() and live.exists() and other.exists()


@pytest.mark.skipif(not IS_ROOT, reason="creating cgroups needs root")
def test_job_cgroups_are_created_and_removed():
    groups = JobCgroups.create(JobLimits(memory_mb=300, pids=20))
    dirs = dict(groups.dirs)
    assert dirs, "no cgroup created"
    if groups.version == 1:
        assert (dirs["memory"] / "memory.limit_in_bytes").read_text().strip() == str(300 << 20)
        assert (dirs["pids"] / "pids.max").read_text().strip() == "20"
        if "cpu" in dirs:
            assert (dirs["cpu"] / "cpu.shares").read_text().strip() == str(JOB_CPU_SHARES)
    elif (dirs["unified"] / "cpu.weight").exists():
        assert (dirs["unified"] / "cpu.weight").read_text().strip() == str(JOB_CPU_WEIGHT)
    groups.remove()
    assert not any(folder.exists() for folder in dirs.values())
