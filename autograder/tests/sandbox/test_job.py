"""The job contract's pieces: the job folder made readable for the sandbox's user, and nothing beyond."""
from __future__ import annotations

from pathlib import Path

import pytest

from autograder.errors import DlsysError
from autograder.sandbox import Job, JobLimits
from autograder.sandbox.job import job_env, make_world_readable, ready_job_dir


def test_job_folder_is_made_readable_for_the_sandbox_user_and_nothing_beyond(tmp_path):
    job_dir, outside = tmp_path / "job", tmp_path / "outside"
    (job_dir / "sub").mkdir(parents=True)
    outside.mkdir()
    (job_dir / "sub" / "data.txt").write_text("d")
    (job_dir / "run.sh").write_text("#!/bin/sh\n")
    (outside / "secret").write_text("s")
    (job_dir / "link").symlink_to(outside)
    for path, mode in [(job_dir / "sub" / "data.txt", 0o600), (job_dir / "run.sh", 0o700),
                       (job_dir / "sub", 0o700), (outside / "secret", 0o600), (job_dir, 0o700)]:
        path.chmod(mode)
    make_world_readable(job_dir)
    modes = {p.name: p.stat().st_mode & 0o777 for p in (job_dir, job_dir / "sub", job_dir / "sub" / "data.txt",
                                                         job_dir / "run.sh", outside / "secret")}
    assert modes == {"job": 0o755, "sub": 0o755, "data.txt": 0o644, "run.sh": 0o755, "secret": 0o600}


def test_cpu_time_covers_the_wall_clock_on_every_cpu():
    assert JobLimits(wall_seconds=10, cpus=2).cpu_seconds == 22
    assert JobLimits(wall_seconds=10, cpus=0.5).cpu_seconds == 12  # never less than the wall clock


def test_the_environment_every_sandbox_sets():
    env = job_env(Job(Path("/x"), ("true",), JobLimits(cpus=3), env={"LANG": "C", "EXTRA": "1"}))
    assert env["HOME"] == env["DLSYS_WORK_DIR"] == "/work" and env["DLSYS_JOB_DIR"] == "/job"
    assert env["OMP_NUM_THREADS"] == env["OPENBLAS_NUM_THREADS"] == "3"
    assert (env["LANG"], env["EXTRA"]) == ("C", "1")  # the job's own variables come last
    assert job_env(Job(Path("/x"), ("true",)), "/real/job", "/real/work")["DLSYS_JOB_DIR"] == "/real/job"


def test_a_job_no_sandbox_can_run_is_refused(tmp_path):
    with pytest.raises(DlsysError, match="does not exist"):
        ready_job_dir(Job(tmp_path / "nowhere", ("true",)))
    with pytest.raises(DlsysError, match="no command"):
        ready_job_dir(Job(tmp_path, ()))
    assert ready_job_dir(Job(tmp_path, ("true",))) == tmp_path
