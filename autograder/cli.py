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

from autograder import datasets, demo, doctor, testing
from autograder.errors import DlsysError

app = typer.Typer(
    help="Deep Learning Systems course infrastructure: needle homeworks, tests, data and grading.",
    no_args_is_help=True,
    add_completion=False,
)
data_app = typer.Typer(help="Download the course's data sets.", no_args_is_help=True)
app.add_typer(data_app, name="data")

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
    model: Annotated[str, typer.Option(help="softmax (softmax regression) or nn (two-layer ReLU network).")] = "softmax",
    epochs: Annotated[int, typer.Option(min=1, help="Passes over the training set.")] = 10,
    lr: Annotated[float, typer.Option(help="SGD step size.")] = 0.2,
    batch: Annotated[int, typer.Option(min=1, help="Minibatch size.")] = 100,
    hidden_dim: Annotated[int, typer.Option(min=1, help="Hidden units of the nn model.")] = 400,
    cpp: Annotated[bool, typer.Option("--cpp", help="Use the C++ softmax regression epoch.")] = False,
    data_dir: Annotated[Optional[Path], typer.Option(help="Folder holding MNIST's .gz files.")] = None,
):
    """Train hw0's reference model on MNIST (generated data when MNIST is absent) and print the epoch table."""
    test_error = demo.run_demo(model=model, epochs=epochs, lr=lr, batch=batch, hidden_dim=hidden_dim,
                               cpp=cpp, data_dir=data_dir)
    console.print(f"Final test error: {test_error:.2%}")


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
