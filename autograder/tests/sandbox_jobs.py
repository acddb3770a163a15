"""Helpers for the sandbox and grading tests: jobs (a folder holding one script, run as
`python3 /job/x.py`), checks for surviving processes, copies of suites and student files.

A plain module (like live_service.py) so that tests in any folder can import it: `from conftest
import ...` resolves to whichever conftest pytest imported last (tests/server has its own)."""
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


def survivors(mark: str) -> str:
    """Processes of this machine whose command line holds `mark` ('' when none)."""
    import subprocess

    return subprocess.run(["pgrep", "-af", mark], capture_output=True, text=True).stdout.strip()


def host_ip() -> str | None:
    """This machine's non-loopback address (no packet is sent to find it)."""
    import socket
    import subprocess

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("1.1.1.1", 80))
            address = probe.getsockname()[0]
            if not address.startswith("127."):
                return address
        except OSError:
            pass
    out = subprocess.run(["hostname", "-I"], capture_output=True, text=True).stdout.split()
    return next((a for a in out if "." in a and not a.startswith("127.")), None)


def copy_suite(homework, suites):
    """A copy of a homework's hidden suite (and the shared helpers) under `suites`, to edit in a test."""
    import shutil

    from autograder.grading.job_folder import SHARED_SUITE, SUITES_DIR

    for name in (homework, SHARED_SUITE):
        shutil.copytree(SUITES_DIR / name, suites / name, ignore=shutil.ignore_patterns("__pycache__"))
    return suites


def copy_student_files(homework, folder):
    """A submission folder holding the reference's own student files, to grade or to tamper with."""
    import shutil

    from autograder.course.manifest import load_manifest

    manifest = load_manifest(homework)
    for name in manifest.student_files:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(manifest.root / name, folder / name)
    return folder


TOY_SUITE = '''
import os, signal, sys, time
import numpy as np
from dlsys_harness import case, report

@case(part="forward", points=1)
def adds():
    import needle as ndl
    report("out", (ndl.Tensor(np.arange(6, dtype=np.float32).reshape(2, 3)) + 1).numpy())

@case(part="forward", points=1, devices=("cpu", "cuda"))
def gets_the_device(device):
    report("is_cpu", int(device == "cpu"))

@case(part="forward", points=1, timeout=1)
def loops_forever():
    while True:
        pass

@case(part="forward", points=1)
def segfaults():
    import ctypes
    ctypes.string_at(0)

@case(part="forward", points=1)
def not_implemented():
    print("stray output from student code")
    raise NotImplementedError()

@case(part="forward", points=1)
def raises():
    {}["missing"]

@case(part="forward", points=1)
def exits_early():
    os._exit(3)

@case(part="forward", points=1)
def reports_a_string():
    report("bad", "text")

@case(part="forward", points=1)
def leaves_a_child_behind():
    if os.fork() == 0:
        time.sleep(60)
        os._exit(0)
    report("parent", 1)
'''
