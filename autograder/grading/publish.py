"""`dlsys publish hwN`: run the hidden suite on the reference and store its values as the answers.

The reference runs in the same kind of job as a submission, so its values are what a
correct submission computes there. Each case is run once, on the CPU, even a case graded
on the GPU only: a case's values are the same on every device (within its tolerance), so
the reference's CPU backend answers for its CUDA backend, and a GPU-less machine publishes
answers that grade CUDA runs too. A case that takes a device must therefore accept "cpu".
"""
from __future__ import annotations

import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from autograder.dlsys_harness.protocol import Ending, run_id
from autograder.errors import DlsysError
from autograder.grading.answers import Answers, CaseAnswer, save_answers
from autograder.grading.job_folder import HARNESS_COMMAND, SUITES_DIR, prepare_job, suite_hash
from autograder.grading.limits import job_limits
from autograder.grading.stream import RecordCollector
from autograder.grading.workspace import reference_project
from autograder.course.manifest import Manifest, load_manifest
from autograder.sandbox import Job, Sandbox

# Where the reference computes every answer (see the module docstring).
REFERENCE_DEVICE = "cpu"


def publish(homework: str, sandbox: Sandbox, *, answers_folder: Path | None = None,
            suites: Path = SUITES_DIR, on_line: Callable[[str], None] | None = None) -> tuple[Answers, Path]:
    """Describe the suite, check it against the manifest, run it on the reference, save the answers."""
    manifest = load_manifest(homework)
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix=f"dlsys-publish-{homework}-") as tmp:
        project = reference_project(manifest, Path(tmp) / "reference")
        cases = list_cases(manifest, project, Path(tmp) / "list", sandbox, suites)
        check_points(manifest, cases)
        runs = [(case["id"], REFERENCE_DEVICE) for case in cases]
        job_dir = prepare_job(manifest, project, Path(tmp) / "job", mode="grade", runs=runs, suites=suites)
        limits = job_limits(manifest, [case["timeout"] for case in cases])
        collector = RecordCollector([run_id(case_id, device) for case_id, device in runs])

        def take(line: str) -> None:
            collector.feed(line)
            if on_line:
                on_line(line)

        result = sandbox.run(Job(job_dir, HARNESS_COMMAND, limits), on_line=take)
    found = collector.records
    if found.build is not None and not found.build.get("ok"):
        raise DlsysError(f"The reference's native code did not build:\n{found.build.get('log', '')}")
    answers = []
    for case, (case_id, device) in zip(cases, runs):
        run = found.runs[run_id(case_id, device)]
        if run.status != Ending.OK:
            why = run.message or (result.killed and f"the job was stopped ({result.killed})") or "it never ended"
            raise DlsysError(f"The reference fails case {case_id} on {device}: {run.status or 'did not finish'}: {why}."
                             f"\n{result.stderr_tail[-2000:]}")
        if not run.values:
            raise DlsysError(f"Case {case_id} reports no value: a case must report what it computed.")
        twice = [name for name, reported in run.values.items() if len(reported) > 1]
        if twice:
            raise DlsysError(f"Case {case_id} reports {', '.join(twice)} more than once: give each value its own name.")
        answers.append(CaseAnswer(
            id=case_id, part=case["part"], points=case["points"], rtol=case["rtol"], atol=case["atol"],
            devices=tuple(case["devices"]), timeout=case["timeout"],
            values={name: reported[0] for name, reported in run.values.items()}))
    published = Answers(homework=homework, suite_hash=suite_hash(homework, suites),
                        published_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
                        reference_seconds=round(time.monotonic() - start, 2), cases=tuple(answers))
    return published, save_answers(published, answers_folder)


def list_cases(manifest: Manifest, project: Path, dest: Path, sandbox: Sandbox, suites: Path) -> list[dict]:
    """The suite's case descriptions, as the harness reads them inside a sandbox."""
    job_dir = prepare_job(manifest, project, dest, mode="list", suites=suites)
    collector = RecordCollector()
    result = sandbox.run(Job(job_dir, HARNESS_COMMAND, job_limits(manifest, [])), on_line=collector.feed)
    if not collector.records.done:
        raise DlsysError(f"The {manifest.name} suite could not be read (exit {result.returncode}):\n"
                         f"{result.stderr_tail[-3000:]}")
    return collector.records.cases


def check_points(manifest: Manifest, cases: list[dict]) -> None:
    """Every part is graded by some case, and each part's cases add up to the manifest's points."""
    parts = {part.name: part for part in manifest.parts}
    totals = dict.fromkeys(parts, 0.0)
    for case in cases:
        if case["part"] not in parts:
            raise DlsysError(f"Case {case['id']} belongs to part {case['part']!r}, which {manifest.name}'s "
                             f"manifest does not have; its parts: {', '.join(parts)}.")
        devices = [d for d in case["devices"] if d in manifest.devices]
        if not devices:
            raise DlsysError(f"Case {case['id']} runs on {case['devices']}, none of {manifest.name}'s devices "
                             f"{list(manifest.devices)}.")
        totals[case["part"]] += case["points"] * len(devices)
    for name, total in totals.items():
        if abs(total - parts[name].points) > 1e-9:
            raise DlsysError(f"{manifest.name} part {name!r} is worth {parts[name].points} points in the manifest, "
                             f"but its cases add up to {total:g}.")
