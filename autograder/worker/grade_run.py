"""Grading one claimed run: the job function every worker runs.

The archive is read from the content-addressed store (copied there from the database first on
a worker host that lacks it), graded by `grading.grade.grade` in the
worker's sandbox against the published answers, and the result stored under the run's
attempt token. Progress (building, then case k of n) is written as it comes, at most a few
times a second. Any exception is a grader fault: the attempt becomes a grader error and the
next attempt is queued (services/queue.fail); a student's broken code never raises here, it
only scores low.
"""
from __future__ import annotations

import time
import traceback
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from autograder.course.manifest import load_manifest
from autograder.dlsys_harness.protocol import RecordKind
from autograder.grading.grade import grade
from autograder.grading.reports import to_json
from autograder.grading.sandboxes import Sandbox
from autograder.server.db.models import GradingRun
from autograder.server.services import queue
from autograder.server.services.archives import local_archive


class Progress:
    """on_start/on_record callbacks that write the run's phase and case count, throttled."""

    def __init__(self, factory: sessionmaker[Session], token: str, every: float = 0.25):
        self.factory, self.token, self.every = factory, token, every
        self.total = self.done = 0
        self.phase, self.last = "building", 0.0

    def on_start(self, runs: int) -> None:
        self.total = runs
        self._write(force=True)

    def on_record(self, record: dict) -> None:
        kind = record.get("kind")
        if kind in (RecordKind.BUILD, RecordKind.START):
            self.phase = "running"
        elif kind == RecordKind.END:
            self.done += 1
        else:
            return
        self._write(force=self.done == self.total)

    def _write(self, force: bool = False) -> None:
        if force or time.monotonic() - self.last >= self.every:
            self.last = time.monotonic()
            queue.report_progress(self.factory, self.token, phase=self.phase, cases_done=self.done,
                                  cases_total=self.total)


def grade_claimed(factory: sessionmaker[Session], run_id: int, token: str, *, sandbox: Sandbox, gpu: bool,
                  archives: Path, answers: Path, max_attempts: int, cpus: int = 1) -> bool:
    """Grade the run with `cpus` cores (the settings' `grading_cpus`); True when its result was
    stored, False when the attempt failed (or was no longer current)."""
    try:
        with factory() as session:
            run = session.get(GradingRun, run_id)
            homework, sha256 = run.submission.assignment.homework, run.submission.archive_sha256
        manifest = load_manifest(homework)
        progress = Progress(factory, token)
        result = grade(manifest, local_archive(factory, archives, sha256), sandbox, gpu=gpu, answers_folder=answers,
                       on_start=progress.on_start, on_record=progress.on_record, cpus=cpus)
        build_log = (result.build or {}).get("log")
        return queue.finish(factory, token, result=to_json(result, manifest), score=result.score,
                            max_score=result.max_score, sandbox=result.sandbox,
                            build_log_tail=build_log[-4000:] if build_log else None, seconds=result.seconds)
    except Exception as error:  # a grader fault, whatever it was: never the student's zero
        queue.fail(factory, token, f"{type(error).__name__}: {error}\n{traceback.format_exc()[-3000:]}", max_attempts)
        return False
