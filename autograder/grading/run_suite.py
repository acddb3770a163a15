"""Running a hidden suite in a sandbox: the one path that `grade` and `publish` both take.

1. Lay out the job folder: the homework tree, the suite, the harness and job.json (job_folder.py).
2. Give the job room for the build and every case's own time limit (limits.py).
3. Run the harness in the sandbox; collect the records of the runs asked for as they arrive
   (stream.py), and tell `on_record` about each one, for a progress bar.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from autograder.course.manifest import Manifest
from autograder.dlsys_harness.protocol import Mode, run_id
from autograder.errors import DlsysError
from autograder.grading.job_folder import HARNESS_COMMAND, SUITES_DIR, prepare_job
from autograder.grading.limits import job_limits
from autograder.grading.stream import JobRecords, RecordCollector
from autograder.sandbox import Job, JobResult, Sandbox


@dataclass
class SuiteRun:
    """What came back from a suite's job: the records, and how the job itself ended."""

    records: JobRecords
    result: JobResult

    @property
    def stopped(self) -> str | None:
        """Why the job ended before the harness was done (a kill reason or an exit), or None."""
        if self.result.killed:
            return self.result.killed
        if not self.records.done:
            return f"the harness exited with status {self.result.returncode}"
        return None


def run_suite(manifest: Manifest, project: Path, sandbox: Sandbox, job_dir: Path, runs: list[tuple[str, str]],
              timeouts: Mapping[str, float], *, suites: Path = SUITES_DIR,
              on_record: Callable[[dict], None] | None = None, cpus: int = 1) -> SuiteRun:
    """Run each (case id, device) of `runs` on the homework tree `project`, in a job folder
    laid out at `job_dir`, `cpus` at a time. `timeouts` maps each run id to its time limit."""
    run_timeouts = [timeouts[run_id(case_id, device)] for case_id, device in runs]
    job_dir = prepare_job(manifest, project, job_dir, mode=Mode.GRADE, runs=runs, suites=suites,
                          timeouts=run_timeouts, workers=cpus)
    limits = job_limits(manifest, run_timeouts, cpus)
    job = Job(job_dir, HARNESS_COMMAND, limits, needs_gpu=any(device == "cuda" for _, device in runs))
    return _run(sandbox, job, RecordCollector([run_id(case_id, device) for case_id, device in runs]), on_record)


def list_cases(manifest: Manifest, project: Path, sandbox: Sandbox, job_dir: Path, *,
               suites: Path = SUITES_DIR) -> list[dict]:
    """The suite's case descriptions (points, tolerances, devices, time limit), as the harness
    reads them inside a sandbox: the grader itself never imports a suite."""
    job_dir = prepare_job(manifest, project, job_dir, mode=Mode.LIST, suites=suites)
    listed = _run(sandbox, Job(job_dir, HARNESS_COMMAND, job_limits(manifest, [])), RecordCollector(), None)
    if listed.stopped:
        raise DlsysError(f"The {manifest.name} suite could not be read ({listed.stopped}):\n"
                         f"{listed.result.stderr_tail[-3000:]}")
    return listed.records.cases


def _run(sandbox: Sandbox, job: Job, collector: RecordCollector, on_record: Callable[[dict], None] | None) -> SuiteRun:
    def take(line: str) -> None:
        record = collector.feed(line)
        if record is not None and on_record is not None:
            on_record(record)

    result = sandbox.run(job, on_line=take)
    return SuiteRun(collector.records, result)
