"""What every `dlsys` command shares: where it prints, how a user error ends it, the progress bar."""
import functools

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from autograder.errors import DlsysError

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


def progress() -> Progress:
    """A transient progress bar on stderr: a description, a bar, done/total and the time taken."""
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=err_console, transient=True)
