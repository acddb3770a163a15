"""`dlsys grade hwN SUBMISSION`: from a submission to a scored result.

1. Load the manifest and the published answers (refused when stale).
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

from autograder.dlsys_harness.protocol import run_id
from autograder.grading.answers import load_answers
from autograder.grading.job_folder import HARNESS_COMMAND, SUITES_DIR, prepare_job, suite_hash
from autograder.grading.limits import job_limits
from autograder.grading.scoring import GradeResult, planned_runs, score_runs
from autograder.grading.stream import RecordCollector
from autograder.grading.submission import unpack_submission
from autograder.grading.workspace import project_with
from autograder.course.manifest import load_manifest
from autograder.sandbox import Job, Sandbox


def grade(homework: str, submission: Path, sandbox: Sandbox, *, gpu: bool = False, answers_folder: Path | None = None,
          suites: Path = SUITES_DIR, on_start: Callable[[int], None] | None = None,
          on_record: Callable[[dict], None] | None = None) -> GradeResult:
    """Grade one submission. `on_start(number of runs)` and `on_record(record)` report progress."""
    start = time.monotonic()
    manifest = load_manifest(homework)
    answers = load_answers(homework, suite_hash(homework, suites), answers_folder)
    runs, not_graded = planned_runs(answers, manifest.devices, gpu)
    if on_start:
        on_start(len(runs))
    with tempfile.TemporaryDirectory(prefix=f"dlsys-grade-{homework}-") as tmp:
        found = unpack_submission(submission, manifest.student_files, Path(tmp) / "submission")
        project = project_with(manifest, found.files, Path(tmp) / "project")
        job_dir = prepare_job(manifest, project, Path(tmp) / "job", mode="grade", runs=runs, suites=suites)
        timeouts = {case.id: case.timeout for case in answers.cases}
        limits = job_limits(manifest, [timeouts[case_id] for case_id, _ in runs])
        collector = RecordCollector([run_id(case_id, device) for case_id, device in runs])

        def take(line: str) -> None:
            record = collector.feed(line)
            if record is not None and on_record:
                on_record(record)

        result = sandbox.run(Job(job_dir, HARNESS_COMMAND, limits, needs_gpu=any(d == "cuda" for _, d in runs)),
                             on_line=take)
    stopped = result.killed or (None if collector.records.done else
                                f"the harness exited with status {result.returncode}")
    graded = GradeResult(homework, score_runs(answers, runs, collector.records, stopped) + not_graded,
                         sandbox=sandbox.name, build=collector.records.build, job_stopped=stopped)
    graded.notices += [f"missing from the submission: {name} (the handout's version was graded)" for name in found.missing]
    graded.notices += [f"ignored (not a student file): {name}" for name in found.ignored]
    build = collector.records.build
    if build is not None and not build.get("ok"):
        graded.notices.append(f"the native build failed; its log ends with:\n{str(build.get('log', ''))[-1500:]}")
    if stopped:
        graded.notices.append(f"the grading job was stopped: {stopped}; last output:\n{result.stderr_tail[-1500:]}")
    graded.seconds = time.monotonic() - start
    return graded
