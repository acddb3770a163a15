"""The `dlsys` command. Each command parses its options and calls a plain function.

A `DlsysError` becomes a one-line message and exit status 1; anything else is a
bug and keeps its traceback.
"""
import functools
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table

from autograder.datasets import registry as datasets
from autograder.devtools import demo, doctor, testing
from autograder.errors import DlsysError
from autograder.course.manifest import load_manifest

app = typer.Typer(
    help="Deep Learning Systems course infrastructure: needle homeworks, tests, data and grading.",
    no_args_is_help=True,
    add_completion=False,
)
data_app = typer.Typer(help="Download the course's data sets.", no_args_is_help=True)
app.add_typer(data_app, name="data")
snapshots_app = typer.Typer(help="Keep the homework snapshots in step.", no_args_is_help=True)
app.add_typer(snapshots_app, name="snapshots")

console = Console()
err_console = Console(stderr=True)


def user_errors(command):
    """Turn a DlsysError into a clear message and exit status 1."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except DlsysError as error:
            err_console.print(f"[bold red]error:[/] {error}", highlight=False, soft_wrap=True)
            raise typer.Exit(1) from None

    return wrapper


@app.command("demo")
@user_errors
def demo_command(
    model: Annotated[str, typer.Option(help="softmax (softmax regression), nn (two-layer ReLU network), "
                                            "mlp_resnet (hw2's MLPResNet in needle, Adam), resnet9 (hw4's ResNet9 "
                                            "on CIFAR-10), or rnn, lstm, transformer (hw4's language models on "
                                            "the Penn Treebank).")] = "softmax",
    epochs: Annotated[Optional[int], typer.Option(min=1, help="Passes over the training set [10; mlp_resnet: 5; "
                                                              "resnet9: 2; language models: 4].")] = None,
    lr: Annotated[Optional[float], typer.Option(help="Step size [SGD 0.2; mlp_resnet, resnet9: Adam 0.001; "
                                                     "rnn: SGD 1.0; lstm: SGD 4.0; transformer: Adam 0.01].")] = None,
    batch: Annotated[Optional[int], typer.Option(min=1, help="Minibatch size [100; resnet9: 32; language "
                                                             "models: 16 columns].")] = None,
    hidden_dim: Annotated[Optional[int], typer.Option(min=1, help="Hidden units [nn 400; mlp_resnet 100; "
                                                                  "language models 64].")] = None,
    cpp: Annotated[bool, typer.Option("--cpp", help="Use the C++ softmax regression epoch.")] = False,
    data_dir: Annotated[Optional[Path], typer.Option(help="Data folder: MNIST's .gz files, cifar-10-batches-py/, "
                                                          "ptb/.")] = None,
    plot: Annotated[Optional[Path], typer.Option(help="hw4's models: save the training curve (loss and "
                                                      "accuracy per epoch) as this PNG.")] = None,
    limit: Annotated[Optional[int], typer.Option(min=1, help="hw4's models: train on the first N CIFAR-10 images "
                                                             "[320] or PTB lines [400].")] = None,
    device: Annotated[str, typer.Option(help="hw4's models: needle device, cpu, cuda or cpu_numpy.")] = "cpu",
):
    """Train hw0's reference model, hw2's MLPResNet, or hw4's ResNet9 or language models (generated data in the
    data set's format when it is absent); print the epoch table."""
    result = demo.run_demo(model=model, epochs=epochs, lr=lr, batch=batch, hidden_dim=hidden_dim,
                           cpp=cpp, data_dir=data_dir, plot=plot, limit=limit, device=device)
    if model in demo.LANGUAGE_MODELS:
        console.print(f"Final test perplexity: {result:.3f}")
    else:
        console.print(f"Final test error: {result:.2%}")


@app.command("test")
@user_errors
def test_command(
    targets: Annotated[Optional[list[str]], typer.Argument(help="hw0, hw1, ... or autograder; all when none is given.")] = None,
    keyword: Annotated[Optional[str], typer.Option("-k", help="Only tests matching this pytest -k expression.")] = None,
    marker: Annotated[Optional[str], typer.Option("-m", help="Only tests with this pytest marker expression (e.g. hw0_cpp).")] = None,
):
    """Run each homework's public tests (and the autograder's) in its own pytest process."""
    pytest_args = (("-k", keyword) if keyword else ()) + (("-m", marker) if marker else ())
    outcomes = []
    for target in testing.select_targets(targets or []):
        console.rule(f"[bold]{target.name}")
        outcomes.append(testing.run_target(target, pytest_args))

    table = Table(title="dlsys test")
    for column in ("target", "passed", "failed", "errors", "skipped", "seconds", "result"):
        table.add_column(column, justify="left" if column in ("target", "result") else "right")
    for o in outcomes:
        style = "green" if o.ok else "bold red"
        table.add_row(o.target, str(o.passed), str(o.failed), str(o.errors), str(o.skipped),
                      f"{o.seconds:.1f}", f"[{style}]{o.verdict}[/]")
    console.print(table)
    print(testing.summary_line(outcomes))
    if not all(o.ok for o in outcomes):
        raise typer.Exit(1)


@data_app.command("fetch")
@user_errors
def data_fetch_command(
    names: Annotated[list[str], typer.Argument(help=f"Data sets to download: {', '.join(datasets.DATASETS)}.")],
    data_dir: Annotated[Path, typer.Option("--dir", help="Data folder, laid out as the handouts expect.")] = Path("data"),
):
    """Download data sets from their public locations, verify checksums, resume partial downloads."""
    for name in names:
        paths = datasets.fetch_dataset(name, data_dir)
        console.print(f"[green]{name}[/]: {len(paths)} files in {data_dir}")


@data_app.command("list")
def data_list_command():
    """The data sets `dlsys data fetch` knows."""
    for spec in datasets.DATASETS.values():
        console.print(f"[bold]{spec.name:8}[/] {spec.description}")


@app.command("doctor")
def doctor_command():
    """Report Python, compilers, GPUs, the Docker engine and the native modules built."""
    checks = doctor.run_checks()
    table = Table(title="dlsys doctor")
    table.add_column("check")
    table.add_column("status")
    table.add_column("detail", overflow="fold")
    colours = {doctor.OK: "green", doctor.WARN: "yellow", doctor.FAIL: "bold red"}
    for check in checks:
        table.add_row(check.name, f"[{colours[check.status]}]{check.status}[/]", check.detail)
    console.print(table)
    if any(check.status == doctor.FAIL for check in checks):
        raise typer.Exit(1)


@snapshots_app.command("check")
@user_errors
def snapshots_check_command():
    """Fail when a file shared with the previous snapshot differs without being declared changed."""
    from autograder.course import snapshots

    drifts = snapshots.check_snapshots()
    for drift in drifts:
        err_console.print(f"[bold red]drift:[/] {drift}", highlight=False, soft_wrap=True)
    if drifts:
        raise typer.Exit(1)
    console.print("Snapshots are in step.")


@snapshots_app.command("diff")
@user_errors
def snapshots_diff_command(
    first: Annotated[str, typer.Argument(help="The earlier snapshot, e.g. hw1.")],
    second: Annotated[str, typer.Argument(help="The later snapshot, e.g. hw2.")],
):
    """Files only in one snapshot, and a unified diff of the shared files that differ."""
    from autograder.course import snapshots

    print(snapshots.diff_snapshots(first, second), end="")


@snapshots_app.command("carry")
@user_errors
def snapshots_carry_command(
    file: Annotated[str, typer.Argument(help="The file, relative to the homework folder (e.g. python/needle/autograd.py).")],
    from_homework: Annotated[str, typer.Option("--from", help="The snapshot holding the fix, e.g. hw1.")],
):
    """Copy a fixed file forward through the later snapshots that share it."""
    from autograder.course import snapshots

    console.print(str(snapshots.carry(file, from_homework)))


@app.command("release")
@user_errors
def release_command(
    homework: Annotated[str, typer.Argument(help="The homework to release, e.g. hw1.")],
    out: Annotated[Path, typer.Option(help="Folder for the student repository (must be empty or absent).")],
    overwrite: Annotated[bool, typer.Option(help="Replace what is already in --out.")] = False,
):
    """Write the student handout: regions emptied, no hidden suites or answers, its own build and submit client."""
    from autograder.course.release import release

    written = release(load_manifest(homework), out, overwrite=overwrite)
    console.print(f"Released {homework} into {written}")


SandboxOption = Annotated[str, typer.Option("--sandbox", help="auto (Docker when its engine and grader image are ready, else local), docker, local (bubblewrap) or plain (no isolation: trusted code only).")]
AnswersOption = Annotated[Optional[Path], typer.Option("--answers-dir", help="Where answers are stored (default: $DLSYS_ANSWERS_DIR or .dlsys/answers).")]


@app.command("grader-image")
@user_errors
def grader_image_command(
    base: Annotated[str, typer.Option(help="Base image: an NVIDIA CUDA devel image in production; local/debian:bookworm where there is no registry.")] = "local/debian:bookworm",
    python_version: Annotated[str, typer.Option(help="The base image's python3 as MAJOR.MINOR (3.11 for Debian bookworm).")] = "3.11",
):
    """Build the Docker grader image from docker/grader.Dockerfile (a fast no-op when nothing changed)."""
    from autograder.sandbox import GRADER_IMAGE, build_grader_image

    image_id = build_grader_image(base=base, python_version=python_version,
                                  progress=lambda line: err_console.print(line, highlight=False, markup=False))
    console.print(f"Built {GRADER_IMAGE} ({image_id[:19]}) on {base}")


@app.command("publish")
@user_errors
def publish_command(
    homework: Annotated[str, typer.Argument(help="The homework whose hidden suite to run on the reference, e.g. hw1.")],
    sandbox: SandboxOption = "auto",
    answers_dir: AnswersOption = None,
):
    """Run the hidden suite on the reference solution and store its values as the answers."""
    from autograder.grading.publish import publish
    from autograder.sandbox import pick_sandbox

    chosen = pick_sandbox(sandbox)
    with _progress() as progress:
        task = progress.add_task(f"{homework}: reference on {chosen.name}", total=None)
        answers, path = publish(load_manifest(homework), chosen, answers_folder=answers_dir,
                                on_record=lambda record: _advance_on_end(progress, task, record))
    console.print(f"Published {len(answers.cases)} answers for {homework} (suite {answers.suite_hash}) to {path} "
                  f"in {answers.reference_seconds:.1f} s")


@app.command("grade")
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
    import json

    from autograder.grading import reports
    from autograder.grading.grade import grade
    from autograder.sandbox import pick_sandbox

    chosen = pick_sandbox(sandbox)
    manifest = load_manifest(homework)
    with _progress() as progress:
        task = progress.add_task(f"{homework}: building and grading on {chosen.name}", total=None)

        def on_record(record: dict) -> None:
            if record["kind"] == "start":
                progress.update(task, description=record["run"])
            elif record["kind"] == "end":
                progress.advance(task)
            elif record["kind"] == "build":
                progress.update(task, description=f"native build {'done' if record.get('ok') else 'FAILED'}")

        result = grade(manifest, submission, chosen, gpu=_has_gpu(), answers_folder=answers_dir,
                       on_start=lambda runs: progress.update(task, total=runs), on_record=on_record)

    _print_grade(result, manifest)
    if json_out:
        json_out.write_text(json.dumps(reports.to_json(result, manifest), indent=1))
        console.print(f"Wrote {json_out}")
    if gradescope:
        gradescope.write_text(json.dumps(reports.to_gradescope(result), indent=1))
        console.print(f"Wrote {gradescope}")


def _print_grade(result, manifest) -> None:
    parts = Table(title=f"{manifest.title}: {result.score:g} / {result.max_score:g}")
    for column in ("part", "score", "of"):
        parts.add_column(column, justify="left" if column == "part" else "right")
    for part in result.parts([p.name for p in manifest.parts]):
        style = "green" if part.score == part.max_score else "yellow" if part.score else "red"
        parts.add_row(part.name, f"[{style}]{part.score:g}[/]", f"{part.max_score:g}")
    console.print(parts)
    unfinished = [case for case in result.cases if case.status != "passed"]
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


def _progress():
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=err_console, transient=True)


def _advance_on_end(progress, task, record: dict) -> None:
    if record["kind"] == "end":
        progress.advance(task)


def _has_gpu() -> bool:
    return bool(doctor.list_gpus()[0])
