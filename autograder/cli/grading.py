"""`dlsys` verbs for grading: grader-image, publish, grade."""
import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.progress import Progress, TaskID
from rich.table import Table

from autograder.cli.console import console, err_console, progress, user_errors
from autograder.course.manifest import Manifest, load_manifest
from autograder.devtools.doctor import list_gpus
from autograder.dlsys_harness.protocol import RecordKind
from autograder.grading import reports
from autograder.grading.grade import grade
from autograder.grading.job_folder import handout_builds
from autograder.grading.publish import publish
from autograder.grading.scoring import PASSED, GradeResult
from autograder.sandbox import GRADER_IMAGE, build_grader_image, pick_sandbox

PANEL = "Grade"
app = typer.Typer()

SandboxOption = Annotated[str, typer.Option("--sandbox", help="auto (Docker when its engine and grader image are ready, else local), docker, local (bubblewrap) or plain (no isolation: trusted code only).")]
AnswersOption = Annotated[Optional[Path], typer.Option("--answers-dir", help="Where answers are stored (default: $DLSYS_ANSWERS_DIR or .dlsys/answers).")]


@app.command("grader-image", rich_help_panel=PANEL)
@user_errors
def grader_image_command(
    base: Annotated[str, typer.Option(help="Base image: an NVIDIA CUDA devel image in production; local/debian:bookworm where there is no registry.")] = "local/debian:bookworm",
    python_version: Annotated[str, typer.Option(help="The base image's python3 as MAJOR.MINOR (3.11 for Debian bookworm).")] = "3.11",
    tag: Annotated[str, typer.Option(help="The image's tag: the Docker sandbox runs $DLSYS_GRADER_IMAGE, else dlsys-grader:latest.")] = GRADER_IMAGE,
):
    """Build the Docker grader image from docker/grader.Dockerfile (a fast no-op when nothing changed)."""
    image_id = build_grader_image(base=base, tag=tag, python_version=python_version, handouts=handout_builds(),
                                  progress=lambda line: err_console.print(line, highlight=False, markup=False))
    console.print(f"Built {tag} ({image_id[:19]}) on {base}")


@app.command("publish", rich_help_panel=PANEL)
@user_errors
def publish_command(
    homework: Annotated[str, typer.Argument(help="The homework whose hidden suite to run on the reference, e.g. hw1.")],
    sandbox: SandboxOption = "auto",
    answers_dir: AnswersOption = None,
):
    """Run the hidden suite on the reference solution and store its values as the answers."""
    manifest = load_manifest(homework)
    chosen = pick_sandbox(sandbox)
    with progress() as bar:
        task = bar.add_task(f"{homework}: reference on {chosen.name}", total=None)
        answers, path = publish(manifest, chosen, answers_folder=answers_dir, on_record=follow_records(bar, task))
    console.print(f"Published {len(answers.cases)} answers for {homework} (suite {answers.suite_hash}) to {path} "
                  f"in {answers.reference_seconds:.1f} s")


@app.command("grade", rich_help_panel=PANEL)
@user_errors
def grade_command(
    homework: Annotated[str, typer.Argument(help="The homework, e.g. hw1.")],
    submission: Annotated[Path, typer.Argument(help="A folder holding the student files, or a .tar.gz of them.")],
    sandbox: SandboxOption = "auto",
    answers_dir: AnswersOption = None,
    json_out: Annotated[Optional[Path], typer.Option("--json", help="Also write the result in our JSON format here.")] = None,
    gradescope: Annotated[Optional[Path], typer.Option("--gradescope", help="Also write a Gradescope results.json here.")] = None,
):
    """Grade a submission in a sandbox against the published answers and print a per-part table."""
    manifest = load_manifest(homework)
    chosen = pick_sandbox(sandbox)
    with progress() as bar:
        task = bar.add_task(f"{homework}: building and grading on {chosen.name}", total=None)
        result = grade(manifest, submission, chosen, gpu=bool(list_gpus()[0]), answers_folder=answers_dir,
                       on_start=lambda runs: bar.update(task, total=runs), on_record=follow_records(bar, task))

    print_grade(result, manifest)
    if json_out:
        json_out.write_text(json.dumps(reports.to_json(result, manifest), indent=1))
        console.print(f"Wrote {json_out}")
    if gradescope:
        gradescope.write_text(json.dumps(reports.to_gradescope(result), indent=1))
        console.print(f"Wrote {gradescope}")


def follow_records(bar: Progress, task: TaskID) -> Callable[[dict], None]:
    """An `on_record` that moves the progress bar: the build's outcome, the run under way, a step per run ended."""

    def on_record(record: dict) -> None:
        if record["kind"] == RecordKind.START:
            bar.update(task, description=record["run"])
        elif record["kind"] == RecordKind.END:
            bar.advance(task)
        elif record["kind"] == RecordKind.BUILD:
            bar.update(task, description=f"native build {'done' if record.get('ok') else 'FAILED'}")

    return on_record


def print_grade(result: GradeResult, manifest: Manifest) -> None:
    """The per-part table, the cases without full marks, the notices and the time taken."""
    parts = Table(title=f"{manifest.title}: {result.score:g} / {result.max_score:g}")
    for column in ("part", "score", "of"):
        parts.add_column(column, justify="left" if column == "part" else "right")
    for part in result.parts([p.name for p in manifest.parts]):
        style = "green" if part.score == part.max_score else "yellow" if part.score else "red"
        parts.add_row(part.name, f"[{style}]{part.score:g}[/]", f"{part.max_score:g}")
    console.print(parts)
    unfinished = [case for case in result.cases if case.status != PASSED]
    if unfinished:
        cases = Table(title="Cases without full marks")
        for column in ("case", "points", "status", "feedback"):
            cases.add_column(column, overflow="fold")
        for case in unfinished:
            cases.add_row(case.run, f"{case.points:g}", case.status, case.feedback)
        console.print(cases)
    for notice in result.notices:
        console.print(f"[yellow]note:[/] {notice}", highlight=False, soft_wrap=True)
    console.print(f"Graded in {result.seconds:.1f} s ({result.case_seconds:.1f} s in cases, "
                  f"{result.overhead_seconds:.1f} s overhead) with the {result.sandbox} sandbox.")
