"""Inside the sandbox: build the student's native code, then run each case in a child process.

    python3 -m dlsys_harness.run /job/job.json

The job description names the homework folder and the suite folder (both under the
read-only job folder), the import paths, the native modules to build, and the
case runs wanted (`mode = "grade"`), or asks for the suite's case list (`mode = "list"`).

Each case runs in a forked child in its own process group, so a case that loops, crashes
or exhausts memory costs that case only: the parent kills it at its time limit (the one
job.json gives each run, derived at publish from the reference's time; else the case's
own) and goes on. `workers` children run at once (the job's cores; 1: one after another),
and the records leave in the order of the runs either way. The parent never imports
student code. Everything printed by the build or by student code goes to stderr; stdout
carries only records (see records.py), written by the parent alone.
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
import tempfile
import time
import traceback
from pathlib import Path

from . import records
from .cases import REGISTRY, Case, _Reporter
from .prepared_build import PREPARED_DIR, configure_command, use_prepared
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
    run_cases(cases, job["runs"], project, import_paths, record_fd, job.get("workers", 1), work)
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


def build(project: Path, build_dir: Path, modules: list[str], record_fd: int, timeout: float, cuda: bool,
          prepared: Path = PREPARED_DIR) -> None:
    """Configure with cmake, as the handout's README says, and build the job's native `modules`
    (the grader names them: CUDA ones only when the job runs CUDA cases, hence `cuda`).

    The configure starts from the grader image's prepared tree for this handout when there is
    one (prepared_build.py), so it only checks its cached answers; should that configure fail,
    it runs again from scratch: a prepared tree never costs a student the build. Each module
    is its own build target, built even when another failed, so a CUDA file that does not
    compile costs the CUDA cases only.
    """
    start = time.monotonic()
    deadline = start + timeout
    configure = configure_command(project, build_dir, cuda, sys.executable)
    log, failed_log = [], []
    reused = use_prepared(project, build_dir, cuda, prepared)
    if reused is not None:
        log.append(f"-- dlsys: configuring from the prepared build tree {reused}\n")
    configured, output = _build_step(configure, deadline, timeout)
    if configured is False and reused is not None:
        log.append(output + "-- dlsys: the prepared build tree did not configure; configuring from scratch\n")
        shutil.rmtree(build_dir, ignore_errors=True)
        configured, output = _build_step(configure, deadline, timeout)
    (log if configured else failed_log).append(output)
    configure_seconds = time.monotonic() - start
    for name in modules if configured else []:
        ok, output = _build_step(["cmake", "--build", str(build_dir), "-j", str(os.cpu_count() or 1),
                                  "--target", name], deadline, timeout)
        (log if ok else failed_log).append(output)  # failures last, so the log's tail shows the error
        if ok is None:
            break
    text = "".join(log + failed_log)
    sys.stderr.write(text)
    records.write(record_fd, kind=RecordKind.BUILD, ok=not failed_log, seconds=round(time.monotonic() - start, 3),
                  configure_seconds=round(configure_seconds, 3), prepared=reused is not None,
                  log=text[-MESSAGE_CHARS:])


def _build_step(command: list[str], deadline: float, timeout: float) -> tuple[bool | None, str]:
    """Run one build command until `deadline`: (True, its output) when it succeeded, (False,
    output) when it failed, (None, a note) when the time ran out."""
    try:
        done = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              timeout=max(deadline - time.monotonic(), 1), errors="replace")
    except subprocess.TimeoutExpired:
        return None, f"build stopped: it took longer than {timeout:.0f} s"
    return done.returncode == 0, done.stdout


def run_cases(cases: dict[str, Case], runs: list[dict], project: Path, import_paths: list[str],
              record_fd: int, workers: int, work: Path) -> None:
    """Run each of `runs` in a child process, up to `workers` at once, and write their records
    in the order of `runs`, exactly as one after the other would: a run's start as soon as
    every run before it has ended and it has begun, its values and its end once it has ended.

    A case killed by SIGKILL (the job's memory limit, shared by the cases running at once)
    while others ran beside it is run again alone, so a neighbour never costs it its points."""
    waiting = list(runs)
    started: list[CaseProcess] = []
    written = 0  # runs whose records are all written
    announced = False  # whether the start of run `written` is written

    def start(wanted: dict, running: int) -> CaseProcess | None:
        inherited = [record_fd] + [fd for process in started for fd in process.fds]
        process = start_case(cases.get(wanted["case"]), wanted, project, import_paths, work, inherited,
                             others_running=running > 0)
        if process is not None:
            for other in started:
                if not other.ended:
                    other.company = process.company = True
        return process

    while written < len(runs):
        running = sum(not process.ended for process in started)
        head = started[written] if written < len(started) else None
        if head is not None and head.rerun_alone:
            if running == 0 and (again := start(head.wanted, 0)) is not None:
                again.alone = True
                os.close(head.values_fd)  # what it reported before it was killed
                started[written] = again
        elif not any(process.alone and not process.ended for process in started):
            while waiting and running < max(1, workers):
                process = start(waiting[0], running)
                if process is None:  # no process to spare while others run: start it once one has ended
                    break
                started.append(process)
                waiting.pop(0)
                running += 1
        poll([process for process in started if not process.ended])
        while written < len(started):
            if not announced:
                records.write(record_fd, kind=RecordKind.START, run=started[written].run)
                announced = True
            if not started[written].ended or started[written].rerun_alone:
                break
            started[written].write_records(record_fd)
            written, announced = written + 1, False


class CaseProcess:
    """One case run in a forked child: its values go to a private, unlinked file (never to
    the record stream itself, so cases running side by side cannot garble or forge each
    other's records), how it ended comes back through a pipe."""

    def __init__(self, wanted: dict, timeout: float) -> None:
        self.wanted, self.timeout = wanted, timeout
        self.run = run_id(wanted["case"], wanted["device"])
        self.company = False  # whether another case ran beside it
        self.alone = False  # whether it is the run again of a case killed in company
        self.killed = False  # whether its process died from SIGKILL
        self.start = time.monotonic()
        self.pid: int | None = None
        self.outcome_fd: int | None = None
        self.values_fd: int | None = None
        self.outcome = b""
        self.ending: tuple[str, str] | None = None
        self.seconds = 0.0

    @property
    def ended(self) -> bool:
        return self.ending is not None

    @property
    def rerun_alone(self) -> bool:
        """Killed by SIGKILL (out of memory?) while another case ran beside it: run it again alone."""
        return self.killed and self.company and not self.alone

    @property
    def fds(self) -> list[int]:
        return [fd for fd in (self.outcome_fd, self.values_fd) if fd is not None]

    def end(self, status: str, message: str) -> None:
        self.ending = (status, message)
        self.seconds = round(time.monotonic() - self.start, 3)
        if self.outcome_fd is not None:
            os.close(self.outcome_fd)
            self.outcome_fd = None

    def check(self) -> None:
        """Read what the child sent; end the run when the child has exited or overrun its limit."""
        self.read_outcome()
        done, code = os.waitpid(self.pid, os.WNOHANG)
        if done:
            kill_group(self.pid)  # whatever the case left running in its group goes with it
            self.read_outcome()
            self.killed = os.WIFSIGNALED(code) and os.WTERMSIG(code) == signal.SIGKILL
            self.end(*ending_of(code, self.outcome))
        elif time.monotonic() > self.start + self.timeout:
            kill_group(self.pid)
            os.waitpid(self.pid, 0)
            self.end(Ending.TIMEOUT, f"stopped after its time limit of {self.timeout:g} s")

    def read_outcome(self) -> None:
        while True:
            ready, _, _ = select.select([self.outcome_fd], [], [], 0)
            chunk = os.read(self.outcome_fd, 65536) if ready else b""
            if not chunk:
                return
            self.outcome += chunk

    def write_records(self, record_fd: int) -> None:
        """Copy this run's own value records to the stream (anything else the case wrote to
        its file is dropped, as is a last line cut short by a kill), then its end."""
        if self.values_fd is not None:
            offset, pending = 0, bytearray()
            while chunk := os.pread(self.values_fd, 1 << 20, offset):
                offset += len(chunk)
                searched = len(pending)
                pending += chunk
                last = pending.rfind(b"\n", searched)
                if last >= 0:
                    for line in bytes(pending[:last]).split(b"\n"):
                        self.copy_if_own(line, record_fd)
                    del pending[:last + 1]
            os.close(self.values_fd)
            self.values_fd = None
        status, message = self.ending
        records.write(record_fd, kind=RecordKind.END, run=self.run, status=status, message=message[:MESSAGE_CHARS],
                      seconds=self.seconds)


    def copy_if_own(self, line: bytes, record_fd: int) -> None:
        record = records.parse(line.decode("utf-8", errors="replace"))
        if record and record["kind"] == RecordKind.VALUE and record.get("run") == self.run:
            records.write_line(record_fd, line + b"\n")


def start_case(found: Case | None, wanted: dict, project: Path, import_paths: list[str], work: Path,
               inherited: list[int], others_running: bool) -> CaseProcess | None:
    """Fork the child that runs one case on one device (`wanted`: case, device and, from the
    grader, its time limit; else the case's own). The child closes `inherited` (the record
    stream, the other cases' files and pipes). A run that cannot start has ended already,
    unless the process limit stopped it while `others_running`: then None, to start it later."""
    if found is None:
        process = CaseProcess(wanted, 0.0)
        process.end(Ending.ERROR, "no such case in the suite")
        return process
    process = CaseProcess(wanted, float(wanted.get("timeout") or found.timeout))
    values_fd, path = tempfile.mkstemp(prefix="values-", dir=work)
    os.unlink(path)
    read_end, write_end = os.pipe()
    pid = fork_with_retries()
    if pid is None:
        for fd in (values_fd, read_end, write_end):
            os.close(fd)
        if others_running:
            return None
        process.end(Ending.ERROR, "could not start the case: the process limit is exhausted")
        return process
    if pid == 0:  # the child: never returns
        for fd in [read_end, *inherited]:
            os.close(fd)
        child(found, wanted["device"], process.run, project, import_paths, values_fd, write_end)
    os.close(write_end)
    process.pid, process.outcome_fd, process.values_fd = pid, read_end, values_fd
    return process


def poll(running: list[CaseProcess], wait: float = 0.05) -> None:
    """Wait up to `wait` seconds for any child to say something, then check each one."""
    if running:
        select.select([process.outcome_fd for process in running], [], [], wait)
    for process in running:
        process.check()


def fork_with_retries(attempts: int = 20) -> int | None:
    """fork(), waiting a little while a previous case's processes are still being reaped."""
    for _ in range(attempts):
        try:
            return os.fork()
        except BlockingIOError:
            time.sleep(0.1)
    return None


def child(found: Case, device: str, run: str, project: Path, import_paths: list[str],
          values_fd: int, outcome_fd: int) -> None:
    """Run the case in this (forked) process, its values to `values_fd`, its outcome to
    `outcome_fd`, and exit. The record stream itself is closed here: only the parent writes it."""
    os.setpgid(0, 0)
    os.chdir(project)
    sys.path[:0] = import_paths
    _Reporter.fd, _Reporter.run_id = values_fd, run
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


def ending_of(status_code: int, outcome: bytes) -> tuple[str, str]:
    """How a child that exited ended: (status, message), from its exit status and what it sent."""
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
