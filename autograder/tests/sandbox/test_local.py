"""LocalSandbox's own behaviour: its plain mode, and what it says when bubblewrap cannot help."""
from __future__ import annotations

import os
import time

import pytest

from autograder.errors import DlsysError
from autograder.sandbox import LocalSandbox
from autograder.sandbox import local as local_module
from autograder.sandbox.priority import JOB_NICE
from sandbox_jobs import IS_ROOT, make_job, run_code


def test_plain_mode_emulates_job_and_work_and_keeps_limits(tmp_path):
    sandbox = LocalSandbox(isolated=False)
    code = """
        import os
        print(os.environ["DLSYS_JOB_DIR"])
        print(os.getcwd() == os.environ["DLSYS_WORK_DIR"] == os.environ["HOME"])
        open("out.txt", "w").write("w")
        try:
            x = b"\\1" * (10 << 30)
        except MemoryError:
            print("MemoryError")
    """
    job = make_job(tmp_path, code, memory_mb=512)
    result = sandbox.run(job)
    assert result.ok, result.stderr_tail
    assert result.stdout.decode().splitlines() == [str(job.job_dir.resolve()), "True", "MemoryError"]

    start = time.monotonic()
    result = run_code(sandbox, tmp_path, "while True: pass\n", wall_seconds=1)
    assert result.killed == "time limit" and time.monotonic() - start < 2.5


@pytest.mark.skipif(not IS_ROOT, reason="only root may unshare the network without a user namespace")
def test_plain_mode_has_no_network_as_root(tmp_path):
    code = """
        import socket
        try:
            socket.create_connection(("1.1.1.1", 80), timeout=3)
            print("connected")
        except OSError:
            print("refused")
    """
    assert run_code(LocalSandbox(isolated=False), tmp_path, code).stdout == b"refused\n"


def test_missing_bubblewrap_says_how_to_install_it(monkeypatch):
    monkeypatch.setattr(local_module.shutil, "which", lambda name: None)
    with pytest.raises(DlsysError, match="apt install bubblewrap"):
        LocalSandbox()
    assert LocalSandbox(isolated=False).name == "local-plain"


def test_a_sandbox_that_cannot_be_set_up_is_an_error_not_a_result(tmp_path):
    fake = tmp_path / "bwrap"
    fake.write_text("#!/bin/sh\necho 'bwrap: setting up uid map: Permission denied' >&2\nexit 1\n")
    fake.chmod(0o755)
    job = make_job(tmp_path, "print(1)")
    with pytest.raises(DlsysError, match="could not set up the sandbox .*uid map"):
        LocalSandbox(bwrap=str(fake)).run(job)



def test_a_job_runs_at_a_lower_cpu_priority_than_its_grader(local_sandbox, tmp_path):
    """Niced (sandbox/priority.py), so the server beside the workers answers first; the job's
    cgroup weight is tested in test_cgroups."""
    result = run_code(local_sandbox, tmp_path, "import os\nprint(os.nice(0))\n")
    assert result.ok, result.stderr_tail
    assert int(result.stdout) == min(19, os.nice(0) + JOB_NICE)
