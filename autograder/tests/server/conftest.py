"""Fixtures for the grading service: a database (SQLite, and a throwaway PostgreSQL cluster on
loopback) and the app over it with its in-process workers. The published answers and a live
`dlsys serve` (`service_answers`, `live_server`, `start_live_server`) are in tests/live_service.py,
shared with the client's and the CLI's tests; the helpers are importable from here as before.

    database_url        each test twice: SQLite, then a new database on PostgreSQL
    service_answers     hw0's and hw1's reference answers, published once per session
    make_api(...)       the app in-process (TestClient) on a fresh database: Settings fields as
                        keywords (workers=0: accepts, never grades), grading_sandbox= to grade
                        in another sandbox (FailingSandbox: grader faults)
    api                 make_api() with one grading worker
    Api                 its tokens and helpers: submit, at (fix "now"), change (staff PATCH),
                        add_student, rows/archives/stored (what a refusal must leave alone)
    start_live_server   `dlsys serve` as a user runs it; live_server: one on SQLite
    reference_archive, student_files, tar_bytes    submissions, good and bad
    wait_until_final    poll a submission until it is done or a grader error

Every test that takes `database_url` runs twice, on SQLite and on PostgreSQL. PostgreSQL is
Debian's `postgresql` (initdb and pg_ctl, run as the `postgres` user when the tests run as
root); where it is not installed those runs skip saying so, unless DLSYS_REQUIRE_POSTGRES=1
(CI sets it), which makes them fail.
"""
from __future__ import annotations

import shutil
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest

from live_service import (  # noqa: F401 (the tests import these from here)
    REPO,
    LiveServer,
    free_port,
    new_postgres_database,
    postgres_cluster,
    reference_archive,
    start_live_server,
    start_worker,
    student_files,
    tar_bytes,
)

# ----------------------------------------------------------------------------- PostgreSQL

@pytest.fixture(scope="session")
def postgres_server():
    """The session's PostgreSQL cluster; its base URL (tests make databases of their own in it)."""
    with postgres_cluster() as cluster:
        yield cluster.url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """A fresh, empty database: SQLite in the test's folder, then a new database on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'dlsys.db'}"
    return new_postgres_database(request.getfixturevalue("postgres_server"))


# ----------------------------------------------------------------------------- the service

def service_settings(home: Path, database_url: str, answers: Path, **overrides):
    """Settings for a test: its own home, the answers copied in, no publishing on start, a rate
    limit no test meets unless it sets one (polling for a result asks often)."""
    from autograder.server.settings import Settings

    shutil.copytree(answers, home / "answers", dirs_exist_ok=True)
    values = dict(home=home, database_url=database_url, sandbox="local", workers=1, publish_on_start=False,
                  rate_limit_per_minute=100_000, worker_heartbeat_seconds=1, worker_stale_seconds=8)
    return Settings(**(values | overrides))


@dataclass
class Api:
    """The app in-process (httpx through FastAPI's TestClient), with the seeded tokens."""

    client: object
    service: object
    staff_token: str
    student_token: str

    def headers(self, token: str | None, **extra) -> dict:
        return ({"Authorization": f"Bearer {token}"} if token else {}) | extra

    def student(self, **extra) -> dict:
        return self.headers(self.student_token, **extra)

    def staff(self, **extra) -> dict:
        return self.headers(self.staff_token, **extra)

    def submit(self, archive: Path | bytes, homework: str = "hw1", headers: dict | None = None, key: str | None = None):
        """POST an upload (a file, or the archive's bytes) as the demo student unless `headers` say otherwise."""
        headers = dict(self.student() if headers is None else headers)
        if key is not None:
            headers["Idempotency-Key"] = key
        body = archive.read_bytes() if isinstance(archive, Path) else archive
        return self.client.post("/api/v1/submissions", headers=headers, data={"homework": homework},
                                files={"archive": ("submission.tar.gz", body, "application/gzip")})

    def at(self, moment: datetime) -> None:
        """From now on the service's "now" (deadlines, limits) is `moment`."""
        self.service.clock = lambda: moment

    def change(self, path: str, **fields):
        """A staff PATCH (e.g. change("/assignments/hw1", due_at=...)), datetimes sent as ISO strings; must succeed."""
        body = {k: v.isoformat() if isinstance(v, datetime) else v for k, v in fields.items()}
        answer = self.client.patch(f"/api/v1{path}", headers=self.staff(), json=body)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def add_student(self, login: str) -> str:
        """A new student from a one-line roster; their token."""
        answer = self.client.post("/api/v1/roster", headers=self.staff(), content=f"login,name\n{login},{login}\n")
        assert answer.status_code == 200, answer.text
        return answer.json()["created"][0]["token"]

    def stored(self) -> tuple[dict[str, int], list[str]]:
        """Rows per table and the files under the archives folder: what a refusal must leave alone."""
        return self.rows(), self.archives()

    def rows(self) -> dict[str, int]:
        """How many rows each table holds: a refused request must change none."""
        from sqlalchemy import func, select

        from autograder.server.db import models

        with self.service.factory() as db:
            return {table.__tablename__: db.scalar(select(func.count()).select_from(table))
                    for table in (models.Course, models.User, models.Assignment, models.Extension,
                                  models.Submission, models.GradingRun)}

    def archives(self) -> list[str]:
        root = self.service.settings.archives
        return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.fixture
def make_api(tmp_path, database_url, service_answers):
    """A function making an Api over a fresh database (settings overridable); closes them all."""
    from fastapi.testclient import TestClient

    from autograder.server.app import create_app
    from autograder.server.runtime import Service

    made = []

    def make(grading_sandbox=None, **overrides) -> Api:
        """`grading_sandbox`: grade in this one (e.g. a FailingSandbox); `overrides`: Settings fields
        (workers=0 makes a service that accepts but never grades)."""
        settings = service_settings(tmp_path / f"home{len(made)}", database_url, service_answers, **overrides)
        service = Service(settings, say=lambda line: None, sandbox=grading_sandbox)
        seeded = service.prepare()
        client = TestClient(create_app(service))
        client.__enter__()  # runs the lifespan: the workers start
        made.append(client)
        return Api(client, service, seeded.staff_token, seeded.student_token)

    yield make
    for client in made:
        client.__exit__(None, None, None)


@pytest.fixture
def api(make_api) -> Api:
    return make_api()


class FailingSandbox:
    """A sandbox that raises (a grader fault, as a broken Docker or bubblewrap would) for its first
    `failures` jobs, or for every job when `failures` is None; later jobs run in `inner`."""

    name = "failing"

    def __init__(self, inner=None, failures: int | None = None):
        self.inner, self.failures, self.jobs = inner, failures, 0
        self.lock = threading.Lock()

    def run(self, job, on_line=None):
        with self.lock:
            self.jobs += 1
            fail = self.failures is None or self.jobs <= self.failures
        if fail:
            raise RuntimeError(f"simulated sandbox failure (job {self.jobs})")
        return self.inner.run(job, on_line)


def wait_until_final(api: Api, submission: int, timeout: float = 180) -> dict:
    """Poll a submission until it is done or a grader error; its last answer."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        view = api.client.get(f"/api/v1/submissions/{submission}", headers=api.staff()).json()
        if view["state"] in ("done", "grader error"):
            return view
        time.sleep(0.3)
    raise AssertionError(f"submission {submission} not graded within {timeout} s: {view}")
