"""`dlsys` verbs for students: login, submit, status, results.

Each calls the handout's own client, autograder/client/submit.py (what `dlsys release` copies
into every handout as submit.py), so the repository and a handout pack, upload, follow and
print the same way; this module only parses options and turns the client's errors into ours.
"""
from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Annotated, Optional
from zoneinfo import ZoneInfo

import typer

from autograder.cli.console import console, user_errors
from autograder.client import submit as client
from autograder.course.manifest import load_manifest
from autograder.errors import DlsysError

PANEL = "Student"
app = typer.Typer()

ServerOption = Annotated[Optional[str], typer.Option(help="The grading service's URL (default: the one dlsys login saved).")]
TokenOption = Annotated[Optional[str], typer.Option(help="Your token (default: the one dlsys login saved).")]


@contextmanager
def client_errors():
    """The client's SubmitError (a refusal, an unreachable server, no config) as a DlsysError: one line, exit 1."""
    try:
        yield
    except client.SubmitError as error:
        raise DlsysError(str(error)) from None


@app.command("login", rich_help_panel=PANEL)
@user_errors
def login_command(
    server: Annotated[str, typer.Option(help="The grading service's URL, e.g. https://dlsys.example.edu.")],
    token: Annotated[str, typer.Option(prompt="Your token", hide_input=True,
                                       help="Your token, from the course staff (asked for, unechoed, when not given).")],
):
    """Check your token with the grading service, then save both in your config file (mode 0600)."""
    with client_errors():
        me, path = client.login(client.Client(server, token))
    zone = ZoneInfo(me["time_zone"])
    say(f"Logged in to {server} as {me['login']} ({me['name']}); saved in {path}")
    for assignment in me["assignments"]:
        due, left = datetime.fromisoformat(assignment["due_at"]).astimezone(zone), assignment["submissions_left_today"]
        say(f"  {assignment['homework']}: due {due:%Y-%m-%d %H:%M %Z}"
            + ("" if left is None else f", {left} submission(s) left today"))
    say(f"  late days left: {me['late_days_left']}")


def say(line: str) -> None:
    """One line as it is (never wrapped: paths and commands are copied from it)."""
    console.print(line, highlight=False, markup=False, soft_wrap=True)


@app.command("submit", rich_help_panel=PANEL)
@user_errors
def submit_command(
    homework: Annotated[str, typer.Argument(help="The homework, e.g. hw1.")],
    directory: Annotated[Optional[Path], typer.Option("--dir", help="A handout of that homework (default: hwN/ in this repository).")] = None,
    output: Annotated[Optional[Path], typer.Option(help="Where to write the archive (default: <homework>-submission.tar.gz in the folder submitted).")] = None,
    wait: Annotated[bool, typer.Option("--wait/--no-wait", help="Follow the grading to the score, or return after the upload.")] = True,
    pack_only: Annotated[bool, typer.Option("--pack-only", help="Only write the archive.")] = False,
    server: ServerOption = None,
    token: TokenOption = None,
):
    """Pack the homework's student files, upload them, follow the grading live and print the score per part."""
    manifest = load_manifest(homework)
    folder = directory or manifest.root
    with client_errors():
        if directory is not None and client.homework_name(directory) != homework:
            raise DlsysError(f"{directory} is a handout of {client.homework_name(directory)}, not {homework}")
        connection = None if pack_only else client.connect(server, token)
        archive, names = client.pack(folder, output, homework)
        say(f"Packed {len(names)} file(s) into {archive}: {', '.join(names)}")
        if connection is not None:
            view = client.submit(connection, homework, archive, wait=wait)
            if view["state"] == "grader error":
                raise typer.Exit(1)


@app.command("status", rich_help_panel=PANEL)
@user_errors
def status_command(
    homework: Annotated[Optional[str], typer.Argument(help="Only this homework's submissions, e.g. hw1.")] = None,
    server: ServerOption = None,
    token: TokenOption = None,
):
    """Your submissions, oldest first, with their state and score, and your late days."""
    with client_errors():
        connection = client.connect(server, token)
        me = connection.get("/me")
        client.print_submissions(connection.get("/submissions" + (f"?homework={homework}" if homework else "")))
    say(f"late days: {me['late_days_used']} used, {me['late_days_left']} left")


@app.command("results", rich_help_panel=PANEL)
@user_errors
def results_command(
    submission: Annotated[int, typer.Argument(help="The submission's number (dlsys status lists them).")],
    server: ServerOption = None,
    token: TokenOption = None,
):
    """A submission's score per part and every case without full marks, with its reason."""
    with client_errors():
        view = client.show_results(client.connect(server, token), submission)
    if view["state"] == "grader error":
        raise typer.Exit(1)
