"""`dlsys` verbs for running the grading service: serve, worker, db, server-image."""
from __future__ import annotations

import sys
from typing import Annotated

import typer

from autograder.cli.console import console, user_errors

PANEL = "Service"
STOP_WAITS_SECONDS = 10
app = typer.Typer()
db_app = typer.Typer(help="The service's database.")
app.add_typer(db_app, name="db", rich_help_panel=PANEL)


@app.command("serve", rich_help_panel=PANEL)
@user_errors
def serve_command(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
):
    """Run the grading service: the API, and grading workers in this process (DLSYS_* settings)."""
    import uvicorn

    from autograder.server.app import create_app
    from autograder.server.runtime import Service
    from autograder.server.settings import Settings

    settings = Settings()
    service = Service(settings, say=lambda line: print(line, flush=True))  # one line each, never wrapped
    seeded = service.prepare()
    url = f"http://{host}:{port}"
    # plain prints: one line each, never wrapped (a newcomer copies the tokens and commands)
    print(f"dlsys grading service at {url} (API docs: {url}/docs); database {settings.database_shown}")
    if seeded is not None:
        print(f"created the course: {', '.join(seeded.assignments)}, each due in {settings.default_due_days} days")
        print(f"staff token: {seeded.staff_token}")
        print(f"student token: {seeded.student_token}")
        print("next, as a student: release a handout, then submit from it:")
        print("  dlsys release hw1 --out /tmp/hw1-handout")
        print(f"  cd /tmp/hw1-handout && python submit.py --server {url} --token {seeded.student_token}")
    sys.stdout.flush()
    # a stop (SIGTERM, Ctrl+C) waits this long for open requests: a student following a queued
    # submission keeps a stream open for as long as it waits, which would hold the stop forever
    uvicorn.run(create_app(service), host=host, port=port, log_level="info",
                timeout_graceful_shutdown=STOP_WAITS_SECONDS)


@app.command("worker", rich_help_panel=PANEL)
@user_errors
def worker_command(
    queues: Annotated[str, typer.Option(help="Queues to serve, comma-separated: cpu, gpu (gpu needs a GPU here).")]
    = "cpu,gpu",
    concurrency: Annotated[int, typer.Option(min=1, help="Grading runs at a time (GPU runs: one per GPU).")] = 1,
):
    """Grade on this host: take grading requests from the service's PostgreSQL (DLSYS_DATABASE_URL).

    SIGTERM (or Ctrl+C) drains it: the runs in progress finish, no new one is taken."""
    from autograder.devtools.gpus import discover
    from autograder.errors import DlsysError
    from autograder.server.db.models import CPU, GPU
    from autograder.server.settings import Settings
    from autograder.worker.queue_worker import QueueWorker
    from autograder.worker.readiness import choose_sandbox

    settings = Settings()
    if not settings.database.startswith("postgresql"):
        raise DlsysError("dlsys worker needs the service's PostgreSQL: set DLSYS_DATABASE_URL="
                         "postgresql+psycopg://user@host/dlsys (with SQLite, dlsys serve grades in its own process)")
    wanted = [name.strip() for name in queues.split(",") if name.strip()]
    unknown = sorted(set(wanted) - {CPU, GPU})
    if not wanted or unknown:
        raise DlsysError(f"--queues: unknown queue(s) {', '.join(unknown) or '(none given)'}; use cpu, gpu or cpu,gpu")
    sandbox, no_sandbox = choose_sandbox(settings.sandbox, settings.allow_unsandboxed)
    if sandbox is None:
        raise DlsysError(no_sandbox)
    found = discover(settings.fake_gpus)
    print(f"GPUs: {', '.join(g.describe() for g in found.gpus) or 'none'} ({found.source})", flush=True)
    worker = QueueWorker(settings, sandbox=sandbox, gpus=found.gpus, queues=wanted, concurrency=concurrency,
                         say=lambda line: print(line, flush=True))
    worker.run()


@db_app.command("upgrade")
@user_errors
def db_upgrade_command():
    """Bring the database (DLSYS_DATABASE_URL, else SQLite in DLSYS_HOME) to the newest schema."""
    from autograder.server.db.migrate import upgrade
    from autograder.server.settings import Settings

    settings = Settings()
    settings.home.mkdir(parents=True, exist_ok=True)
    upgrade(settings.database)
    console.print(f"database {settings.database_shown} is at the newest schema", highlight=False)


@app.command("server-image", rich_help_panel=PANEL)
@user_errors
def server_image_command(
    base: Annotated[str, typer.Option(help="Base image (its python3 must be --python-version).")] = "local/debian:bookworm",
    python_version: Annotated[str, typer.Option(help="The base image's python3 as MAJOR.MINOR.")] = "3.11",
    tag: Annotated[str, typer.Option(help="The server image's tag (DLSYS_IMAGE in docker/.env).")] = "dlsys-server:latest",
    postgres: Annotated[str, typer.Option(help="Also build PostgreSQL from Debian as this tag, for hosts without a "
                                               "registry (DLSYS_POSTGRES_IMAGE in docker/.env).")] = "",
):
    """Build the image docker/compose.yaml runs the server and workers from (docker/server.Dockerfile)."""
    from autograder.cli.console import err_console
    from autograder.deploy.server_image import build_postgres_image, build_server_image

    def show(line: str) -> None:
        err_console.print(line, highlight=False, markup=False)

    image_id = build_server_image(base=base, tag=tag, python_version=python_version, progress=show)
    console.print(f"Built {tag} ({image_id[:19]}) on {base}", highlight=False)
    if postgres:
        image_id = build_postgres_image(base=base, tag=postgres, progress=show)
        console.print(f"Built {postgres} ({image_id[:19]}) on {base}", highlight=False)
