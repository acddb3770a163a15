"""`dlsys publish hwN`: run the hidden suite on the reference and store its values as the answers.

The reference runs in the same kind of job as a submission, so its values are what a
correct submission computes there, and its time for each case (one run, cases one at a
time, in this sandbox on this machine) sets the case's time limit when graded
(`grading/limits.py:case_time_limit`): a submission that loops loses seconds, not the
case's declared limit. Each case is run once, on the CPU, even a case graded
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

from autograder.course.manifest import Manifest
from autograder.dlsys_harness.protocol import Ending, run_id
from autograder.errors import DlsysError
from autograder.grading.answers import Answers, CaseAnswer, save_answers
from autograder.grading.job_folder import SUITES_DIR, suite_hash
from autograder.grading.limits import case_time_limit
from autograder.grading.run_suite import SuiteRun, list_cases, run_suite
from autograder.grading.workspace import reference_project
from autograder.sandbox import Sandbox

# Where the reference computes every answer (see the module docstring).
REFERENCE_DEVICE = "cpu"


def publish(manifest: Manifest, sandbox: Sandbox, *, answers_folder: Path | None = None,
            suites: Path = SUITES_DIR, on_record: Callable[[dict], None] | None = None) -> tuple[Answers, Path]:
    """Describe the suite, check it against the manifest, run it on the reference, save the answers."""
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix=f"dlsys-publish-{manifest.name}-") as tmp:
        project = reference_project(manifest, Path(tmp) / "reference")
        cases = list_cases(manifest, project, sandbox, Path(tmp) / "list", suites=suites)
        check_points(manifest, cases)
        runs = [(case["id"], REFERENCE_DEVICE) for case in cases]
        timeouts = {run_id(case["id"], REFERENCE_DEVICE): case["timeout"] for case in cases}
        suite = run_suite(manifest, project, sandbox, Path(tmp) / "job", runs, timeouts, suites=suites,
                          on_record=on_record)
    build = suite.records.build
    if build is not None and not build.get("ok"):
        raise DlsysError(f"The reference's native code did not build:\n{build.get('log', '')}")
    published = Answers(homework=manifest.name, suite_hash=suite_hash(manifest.name, suites),
                        published_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
                        reference_seconds=round(time.monotonic() - start, 2),
                        cases=tuple(case_answer(case, suite, manifest) for case in cases))
    return published, save_answers(published, answers_folder)


def case_answer(case: dict, suite: SuiteRun, manifest: Manifest) -> CaseAnswer:
    """A listed case with the values the reference reported on REFERENCE_DEVICE and the time
    limit its time there gives, refused unless the reference ended the case normally and
    reported each value once."""
    run = suite.records.runs[run_id(case["id"], REFERENCE_DEVICE)]
    if run.status != Ending.OK:
        why = run.message or (suite.stopped and f"the job was stopped ({suite.stopped})") or "it never ended"
        raise DlsysError(f"The reference fails case {case['id']} on {REFERENCE_DEVICE}: "
                         f"{run.status or 'did not finish'}: {why}.\n{suite.result.stderr_tail[-2000:]}")
    if not run.values:
        raise DlsysError(f"Case {case['id']} reports no value: a case must report what it computed.")
    twice = [name for name, reported in run.values.items() if len(reported) > 1]
    if twice:
        raise DlsysError(f"Case {case['id']} reports {', '.join(twice)} more than once: give each value its own name.")
    return CaseAnswer(id=case["id"], part=case["part"], points=case["points"], rtol=case["rtol"], atol=case["atol"],
                      devices=tuple(case["devices"]), timeout=case_time_limit(run.seconds, case["timeout"], manifest),
                      values={name: reported[0] for name, reported in run.values.items()},
                      declared_timeout=case["timeout"], reference_seconds=run.seconds)


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
