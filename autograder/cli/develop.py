"""`dlsys` verbs for working in this repository: demo, test, doctor, data."""
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from autograder.cli.console import console, user_errors
from autograder.datasets import registry
from autograder.devtools import demo, doctor, testing

PANEL = "Develop and check"
app = typer.Typer()
data_app = typer.Typer(help="Download the course's data sets.", no_args_is_help=True)
app.add_typer(data_app, name="data", rich_help_panel=PANEL)


@app.command("demo", rich_help_panel=PANEL)
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


@app.command("test", rich_help_panel=PANEL)
@user_errors
def test_command(
    targets: Annotated[Optional[list[str]], typer.Argument(help="hw0, hw1, ..., project or autograder; all when none is given.")] = None,
    keyword: Annotated[Optional[str], typer.Option("-k", help="Only tests matching this pytest -k expression.")] = None,
    marker: Annotated[Optional[str], typer.Option("-m", help="Only tests with this pytest marker expression (e.g. hw0_cpp).")] = None,
):
    """Run each homework's public tests (and the project kit's and the autograder's) in its own pytest process."""
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


@app.command("doctor", rich_help_panel=PANEL)
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


@data_app.command("fetch")
@user_errors
def data_fetch_command(
    names: Annotated[list[str], typer.Argument(help=f"Data sets to download: {', '.join(registry.DATASETS)}.")],
    data_dir: Annotated[Path, typer.Option("--dir", help="Data folder, laid out as the handouts expect.")] = Path("data"),
):
    """Download data sets from their public locations, verify checksums, resume partial downloads."""
    for name in names:
        paths = registry.fetch_dataset(name, data_dir)
        console.print(f"[green]{name}[/]: {len(paths)} files in {data_dir}")


@data_app.command("list")
def data_list_command():
    """The data sets `dlsys data fetch` knows."""
    for spec in registry.DATASETS.values():
        console.print(f"[bold]{spec.name:8}[/] {spec.description}")
