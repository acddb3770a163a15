"""Inside the sandbox: build the student's native code, then run each case in a child process.

    python3 -m dlsys_harness.run /job/job.json

The job description names the homework folder and the suite folder (both under the
read-only job folder), the import paths, the native modules to build, and the
case runs wanted (`mode = "grade"`), or asks for the suite's case list (`mode = "list"`).

Each case runs in a forked child in its own process group, so a case that loops, crashes
or exhausts memory costs that case only: the parent kills it at its time limit and goes
on. The parent never imports student code. Everything printed by the build or by student
code goes to stderr; stdout carries only records (see records.py).
"""
from __future__ import annotations

import importlib.util
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import time
import traceback
from pathlib import Path

from . import records
from .cases import REGISTRY, Case, _Reporter
from .protocol import JOB_DIR_VAR, JOB_FILE, WORK_DIR_VAR, Ending, Mode, RecordKind, run_id

MESSAGE_CHARS = 2000


def main(argv: list[str]) -> int:
    job_file = Path(argv[0]) if argv else Path(os.environ.get(JOB_DIR_VAR, "/job")) / JOB_FILE
    job = json.loads(job_file.read_text())
    job_dir = job_file.parent
    work = Path(os.environ.get(WORK_DIR_VAR) or os.getcwd())

    record_fd = os.dup(1)  # the record stream; from here on fd 1 is stderr for everyone else
    os.dup2(2, 1)

    cases = load_suite(job_dir / job["suite"])
    if job["mode"] == Mode.LIST:
        for found in cases.values():
            records.write(record_fd, kind=RecordKind.CASE, **found.describe())
        records.write(record_fd, kind=RecordKind.DONE)
        return 0

    project = work / "hw"
    shutil.copytree(job_dir / job["project"], project, symlinks=False)
    if job.get("modules"):
        build(project, work / "build", job["modules"], record_fd, job.get("build_timeout", 300), cuda=job["cuda"])
    import_paths = [str(project / p) for p in job.get("import_paths", [])]
    for run in job["runs"]:
        run_case(cases.get(run["case"]), run["case"], run["device"], project, import_paths, record_fd)
    records.write(record_fd, kind=RecordKind.DONE)
    return 0


def load_suite(folder: Path) -> dict[str, Case]:
    """Import every suite module (files not starting with `_`); their @case decorators register."""
    sys.path.insert(0, str(folder))
    for path in sorted(folder.glob("*.py")):
        if path.name.startswith("_"):
            continue
        spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[path.stem] = module
        spec.loader.exec_module(module)
    return {found.id: found for found in REGISTRY}


def build(project: Path, build_dir: Path, modules: list[str], record_fd: int, timeout: float, cuda: bool) -> None:
    """Configure with cmake, as the handout's README says, and build the job's native `modules`
    (the grader names them: CUDA ones only when the job runs CUDA cases, hence `cuda`).

    Each module is its own build target, built even when another failed, so a CUDA file that
    does not compile costs the CUDA cases only.
    """
    start = time.monotonic()
    configure = ["cmake", "-S", str(project), "-B", str(build_dir), "-DCMAKE_BUILD_TYPE=Release",
                 f"-DPython_EXECUTABLE={sys.executable}", f"-DDLSYS_CUDA={'ON' if cuda else 'OFF'}"]
    targets = [["cmake", "--build", str(build_dir), "-j", str(os.cpu_count() or 1), "--target", name]
               for name in modules]
    log, failed_log = [], []
    for step in [configure] + targets:
        left = timeout - (time.monotonic() - start)
        try:
            done = subprocess.run(step, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                  timeout=max(left, 1), errors="replace")
        except subprocess.TimeoutExpired:
            failed_log.append(f"build stopped: it took longer than {timeout:.0f} s")
            break
        if done.returncode == 0:
            log.append(done.stdout)
            continue
        failed_log.append(done.stdout)  # last, so the error is what the log's tail shows
        if step is configure:
            break
    text = "".join(log + failed_log)
    sys.stderr.write(text)
    records.write(record_fd, kind=RecordKind.BUILD, ok=not failed_log, seconds=round(time.monotonic() - start, 3),
                  log=text[-MESSAGE_CHARS:])


def run_case(found: Case | None, case_id: str, device: str, project: Path, import_paths: list[str],
             record_fd: int) -> None:
    """Run one case on one device in a child process and write how it ended."""
    run = run_id(case_id, device)
    records.write(record_fd, kind=RecordKind.START, run=run)
    if found is None:
        records.write(record_fd, kind=RecordKind.END, run=run, status=Ending.ERROR, message="no such case in the suite",
                      seconds=0.0)
        return
    start = time.monotonic()
    read_end, write_end = os.pipe()
    pid = fork_with_retries()
    if pid is None:
        records.write(record_fd, kind=RecordKind.END, run=run, status=Ending.ERROR, seconds=0.0,
                      message="could not start the case: the process limit is exhausted")
        return
    if pid == 0:  # the child: never returns
        os.close(read_end)
        child(found, device, run, project, import_paths, record_fd, write_end)
    os.close(write_end)
    status, message = wait_for(pid, read_end, found.timeout)
    records.write(record_fd, kind=RecordKind.END, run=run, status=status, message=message[:MESSAGE_CHARS],
                  seconds=round(time.monotonic() - start, 3))


def fork_with_retries(attempts: int = 20) -> int | None:
    """fork(), waiting a little while a previous case's processes are still being reaped."""
    for _ in range(attempts):
        try:
            return os.fork()
        except BlockingIOError:
            time.sleep(0.1)
    return None


def child(found: Case, device: str, run: str, project: Path, import_paths: list[str],
          record_fd: int, outcome_fd: int) -> None:
    """Run the case in this (forked) process, write its outcome to `outcome_fd`, and exit."""
    os.setpgid(0, 0)
    os.chdir(project)
    sys.path[:0] = import_paths
    _Reporter.fd, _Reporter.run_id = record_fd, run
    try:
        found.call(device)
        outcome = {"status": Ending.OK, "message": ""}
    except NotImplementedError:
        outcome = {"status": Ending.NOT_IMPLEMENTED, "message": f"not implemented ({where(project)})"}
    except BaseException as error:  # noqa: BLE001 - anything student code raises is the case's result
        text = f"{type(error).__name__}: {error}".strip()
        outcome = {"status": Ending.ERROR, "message": f"{text} ({where(project)})"}
    try:
        os.write(outcome_fd, json.dumps(outcome).encode()[: 4 * MESSAGE_CHARS])
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(0)


def where(project: Path) -> str:
    """The innermost frame of the exception being handled that lies in the homework's files."""
    frames = traceback.extract_tb(sys.exc_info()[2])
    inside = [f for f in frames if f.filename.startswith(str(project))]
    frame = (inside or frames or [None])[-1]
    if frame is None:
        return "no traceback"
    name = os.path.relpath(frame.filename, project) if inside else os.path.basename(frame.filename)
    return f"{name}:{frame.lineno} in {frame.name}"


def wait_for(pid: int, outcome_fd: int, timeout: float) -> tuple[str, str]:
    """Wait for the child until `timeout`; kill its process group then. Returns (status, message)."""
    deadline = time.monotonic() + timeout
    outcome = b""
    status_code = None
    while status_code is None:
        ready, _, _ = select.select([outcome_fd], [], [], 0.05)
        if ready:
            outcome += os.read(outcome_fd, 65536)
        done, code = os.waitpid(pid, os.WNOHANG)
        if done:
            status_code = code
        elif time.monotonic() > deadline:
            kill_group(pid)
            os.waitpid(pid, 0)
            os.close(outcome_fd)
            return Ending.TIMEOUT, f"stopped after its time limit of {timeout:g} s"
    kill_group(pid)  # whatever the case left running in its group goes with it
    while True:
        ready, _, _ = select.select([outcome_fd], [], [], 0)
        chunk = os.read(outcome_fd, 65536) if ready else b""
        if not chunk:
            break
        outcome += chunk
    os.close(outcome_fd)
    if os.WIFSIGNALED(status_code):
        number = os.WTERMSIG(status_code)
        name = signal.Signals(number).name if number in signal.Signals._value2member_map_ else str(number)
        hint = " (out of memory?)" if number == signal.SIGKILL else ""
        return Ending.CRASHED, f"the case's process died from signal {name}{hint}"
    try:
        parsed = json.loads(outcome)
        return str(parsed["status"]), str(parsed.get("message", ""))
    except (ValueError, KeyError, TypeError):
        return Ending.ERROR, f"the case's process exited (status {os.waitstatus_to_exitcode(status_code)}) without finishing"


def kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
