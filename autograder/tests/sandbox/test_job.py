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
