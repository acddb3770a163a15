"""The service's one Settings object, read from the environment (`DLSYS_` + the field name).

Every default is the embedded one: a SQLite database and the archives under `DLSYS_HOME`
(`.dlsys/` in the repository), in-process workers, the sandbox `auto` picks. PostgreSQL is one
variable away: `DLSYS_DATABASE_URL=postgresql+psycopg://user@host/dlsys`; with it, grading
requests go through the queue engine to `dlsys worker` processes (and `DLSYS_WORKERS` slots of
the server's own, 0 for none).
"""
from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url

from autograder.paths import REPO_ROOT


def default_workers() -> int:
    """In-process workers: one per two cores (each grading job uses a core or two), at least one."""
    return max(1, (os.cpu_count() or 1) // 2)


class Settings(BaseSettings):
    """What `dlsys serve` (and the workers it starts) run with."""

    model_config = SettingsConfigDict(env_prefix="DLSYS_", extra="ignore")

    home: Path = Field(REPO_ROOT / ".dlsys", description="Archives, answers and the SQLite database live here.")
    database_url: str = Field("", description="SQLAlchemy URL; empty: SQLite at <home>/dlsys.db.")
    sandbox: str = Field("auto", description="auto, docker, local (bubblewrap) or plain (trusted code only).")
    allow_unsandboxed: bool = Field(False, description="Let sandbox=plain grade student code (a warning says why not).")
    workers: int = Field(default_factory=default_workers, description="In-process grading workers.")
    grading_cpus: int = Field(1, ge=1, description="Cores each grading job gets: its cases run that many at a time "
                                                    "(1: one after another; the build has 2 either way). Raise it "
                                                    "where cores are spare: about the host's cores / its workers.")
    max_attempts: int = Field(3, description="Grading attempts before a run is a grader error for staff to see.")
    max_upload_bytes: int = Field(5 * 2**20, description="Largest submission archive accepted.")
    rate_limit_per_minute: int = Field(120, description="Requests per minute per user (or per address).")
    default_due_days: int = Field(7, description="A seeded assignment is due this many days after the course starts.")
    course_timezone: str = Field("UTC", description="Deadlines and late days count in this time zone.")
    publish_on_start: bool = Field(True, description="Publish missing or stale reference answers in the background.")
    worker_heartbeat_seconds: float = Field(5.0, description="How often a `dlsys worker` says it is alive.")
    worker_stale_seconds: float = Field(30.0, description="A worker silent this long is presumed dead: runs retried.")
    finished_jobs_keep_hours: int = Field(24, ge=1, description="The queue engine's finished jobs (succeeded, failed, "
                                                                "cancelled) older than this are deleted, hourly; the "
                                                                "grading runs keep the history.")
    fake_gpus: str = Field("", description="Tests and demos: a GPU list (index:name:GiB,...) instead of the driver's.")
    answers_dir: Path | None = Field(None, description="Published answers; default <home>/answers.")
    session_secret: str = Field("", description="Signs the web pages' session cookies; empty: one kept in "
                                                "<home>/session-secret, made on first use.")

    @cached_property
    def database(self) -> str:
        return self.database_url or f"sqlite:///{self.home / 'dlsys.db'}"

    @cached_property
    def database_shown(self) -> str:
        """The database URL with its password hidden: what the console and the logs may show."""
        return make_url(self.database).render_as_string(hide_password=True)

    @cached_property
    def archives(self) -> Path:
        return self.home / "archives"

    @cached_property
    def answers(self) -> Path:
        return self.answers_dir or self.home / "answers"
