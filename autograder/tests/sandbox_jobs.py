"""Sandbox jobs for tests: a folder holding one script, run as `python3 /job/x.py`. A plain module
(like live_service.py) so that tests in any folder can import it: `from conftest import ...`
resolves to whichever conftest pytest imported last. The root conftest re-exports these."""
from __future__ import annotations

import os
import textwrap
import uuid
from pathlib import Path

from autograder.sandbox import Job, JobLimits

IS_ROOT = os.geteuid() == 0


def make_job(folder: Path, code: str, args: tuple[str, ...] = (), **limits) -> Job:
    """A job folder holding x.py, run as `python3 /job/x.py ARGS`."""
    job_dir = folder / f"job-{uuid.uuid4().hex[:8]}"
    job_dir.mkdir(parents=True)
    (job_dir / "x.py").write_text(textwrap.dedent(code))
    return Job(job_dir, ("python3", "/job/x.py", *args), JobLimits(**limits))


def run_code(sandbox, folder: Path, code: str, args=(), on_line=None, **limits):
    """Run `code` as a job in `sandbox` (see make_job)."""
    return sandbox.run(make_job(folder, code, args, **limits), on_line=on_line)


def marker() -> str:
    return f"dlsys-sandbox-test-{uuid.uuid4().hex}"
