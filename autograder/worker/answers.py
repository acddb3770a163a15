"""Publishing missing or stale reference answers in the background when the service starts,
with a line of progress per homework on the console; runs of a homework wait (with that
reason) until its answers are ready, and are never failed for it."""
from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from autograder.course.manifest import Manifest
from autograder.grading.publish import publish
from autograder.grading.sandboxes import Sandbox
from autograder.worker.readiness import AnswersReadiness


def publish_missing(manifests: list[Manifest], sandbox: Sandbox, folder: Path, readiness: AnswersReadiness,
                    say: Callable[[str], None], on_ready: Callable[[], None],
                    force: bool = False) -> threading.Thread | None:
    """Start a thread publishing every homework whose answers are missing or stale (all of them
    with `force`); None when there is none."""
    missing = [m for m in manifests if force or not readiness.is_ready(m.name)]
    if not missing:
        return None
    for manifest in missing:
        readiness.publishing(manifest.name, True)

    def run():
        for number, manifest in enumerate(missing, 1):
            say(f"publishing reference answers {number}/{len(missing)}: {manifest.name} ...")
            try:
                answers, path = publish(manifest, sandbox, answers_folder=folder)
                say(f"published {len(answers.cases)} answers for {manifest.name} ({answers.reference_seconds:.0f} s)")
            except Exception as error:  # the homework's runs keep waiting, with the reason
                say(f"could not publish {manifest.name}: {error}")
            finally:
                readiness.publishing(manifest.name, False)
                on_ready()

    thread = threading.Thread(target=run, name="publish-answers", daemon=True)
    thread.start()
    return thread
