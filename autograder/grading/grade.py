"""`dlsys grade hwN SUBMISSION`: from a submission to a scored result.

1. Load the published answers (refused when stale) and plan the (case, device) runs.
2. Unpack the submission safely; keep only the manifest's student files.
3. Release a fresh handout and copy those files over it (never the reference).
4. Run the hidden suite on it in a sandbox; the values stream out as they are computed.
5. Compare them with the answers here, outside the sandbox.
"""
from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Callable

from autograder.course.manifest import Manifest
from autograder.dlsys_harness.protocol import run_id
from autograder.grading.answers import load_answers
from autograder.grading.job_folder import SUITES_DIR, suite_hash
from autograder.grading.run_suite import SuiteRun, run_suite
from autograder.grading.scoring import GradeResult, planned_runs, score_runs
from autograder.grading.submission import Submission, unpack_submission
from autograder.grading.workspace import project_with
from autograder.sandbox import Sandbox


def grade(manifest: Manifest, submission: Path, sandbox: Sandbox, *, gpu: bool = False,
          answers_folder: Path | None = None, suites: Path = SUITES_DIR,
          on_start: Callable[[int], None] | None = None,
          on_record: Callable[[dict], None] | None = None, cpus: int = 1) -> GradeResult:
    """Grade one submission. `on_start(number of runs)` and `on_record(record)` report progress.
    `cpus`: the cores the caller gives this job; its cases run that many at a time (1: one
    after another), with the same result."""
    start = time.monotonic()
    answers = load_answers(manifest.name, suite_hash(manifest.name, suites), answers_folder)
    runs, not_graded = planned_runs(answers, manifest.devices, gpu)
    if on_start:
        on_start(len(runs))
    with tempfile.TemporaryDirectory(prefix=f"dlsys-grade-{manifest.name}-") as tmp:
        found = unpack_submission(submission, manifest.student_files, Path(tmp) / "submission")
        project = project_with(manifest, found.files, Path(tmp) / "project")
        cases = {case.id: case for case in answers.cases}
        timeouts = {run_id(case_id, device): cases[case_id].time_limit(device) for case_id, device in runs}
        suite = run_suite(manifest, project, sandbox, Path(tmp) / "job", runs, timeouts, suites=suites,
                          on_record=on_record, cpus=cpus)
    graded = GradeResult(manifest.name, score_runs(answers, runs, suite.records, suite.stopped) + not_graded,
                         sandbox=sandbox.name, build=suite.records.build, job_stopped=suite.stopped)
    graded.notices = notices(found, suite)
    graded.seconds = time.monotonic() - start
    return graded


def notices(found: Submission, suite: SuiteRun) -> list[str]:
    """What the student should know beyond the cases: files missing or ignored, a failed build, a stopped job."""
    said = [f"missing from the submission: {name} (the handout's version was graded)" for name in found.missing]
    said += [f"ignored (not a student file): {name}" for name in found.ignored]
    build = suite.records.build
    if build is not None and not build.get("ok"):
        said.append(f"the native build failed; its log ends with:\n{str(build.get('log', ''))[-1500:]}")
    if suite.stopped:
        said.append(f"the grading job was stopped: {suite.stopped}; last output:\n{suite.result.stderr_tail[-1500:]}")
    return said
