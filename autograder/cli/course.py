"""`dlsys` verbs for authoring the course: snapshots (check, diff, carry) and release."""
from pathlib import Path
from typing import Annotated

import typer

from autograder.cli.console import console, err_console, user_errors
from autograder.course import snapshots
from autograder.course.manifest import load_manifest
from autograder.course.release import release

PANEL = "Author the course"
app = typer.Typer()
snapshots_app = typer.Typer(help="Keep the homework snapshots in step.", no_args_is_help=True)
app.add_typer(snapshots_app, name="snapshots", rich_help_panel=PANEL)


@snapshots_app.command("check")
@user_errors
def snapshots_check_command():
    """Fail when a file shared with the previous snapshot differs without being declared changed."""
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
    print(snapshots.diff_snapshots(first, second), end="")


@snapshots_app.command("carry")
@user_errors
def snapshots_carry_command(
    file: Annotated[str, typer.Argument(help="The file, relative to the homework folder (e.g. python/needle/autograd.py).")],
    from_homework: Annotated[str, typer.Option("--from", help="The snapshot holding the fix, e.g. hw1.")],
):
    """Copy a fixed file forward through the later snapshots that share it."""
    console.print(str(snapshots.carry(file, from_homework)))


@app.command("release", rich_help_panel=PANEL)
@user_errors
def release_command(
    homework: Annotated[str, typer.Argument(help="The homework to release, e.g. hw1.")],
    out: Annotated[Path, typer.Option(help="Folder for the student repository (must be empty or absent).")],
    overwrite: Annotated[bool, typer.Option(help="Replace what is already in --out.")] = False,
):
    """Write the student handout: regions emptied, no hidden suites or answers, its own build and submit client."""
    written = release(load_manifest(homework), out, overwrite=overwrite)
    console.print(f"Released {homework} into {written}")
