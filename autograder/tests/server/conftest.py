"""Fixtures for the grading service: a database (SQLite, and a throwaway PostgreSQL cluster on
loopback) and the app over it with its in-process workers. The published answers and a live
`dlsys serve` (`service_answers`, `live_server`, `start_live_server`) are in tests/live_service.py,
shared with the client's and the CLI's tests; the helpers are importable from here as before.

Every test that takes `database_url` runs twice, on SQLite and on PostgreSQL. PostgreSQL is
Debian's `postgresql` (initdb and pg_ctl, run as the `postgres` user when the tests run as
root); where it is not installed those runs skip saying so, unless DLSYS_REQUIRE_POSTGRES=1
(CI sets it), which makes them fail.
"""
from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from live_service import LiveServer, free_port, reference_archive, start_live_server  # noqa: F401 (used from here)

# ----------------------------------------------------------------------------- PostgreSQL

def _postgres_unavailable(reason: str):
    if os.environ.get("DLSYS_REQUIRE_POSTGRES") == "1":
        pytest.fail(f"DLSYS_REQUIRE_POSTGRES=1, but {reason}")
    pytest.skip(f"{reason} (DLSYS_REQUIRE_POSTGRES=1 makes this a failure)")


def _postgres_bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


@pytest.fixture(scope="session")
def postgres_server():
    """A PostgreSQL cluster of its own on 127.0.0.1 (trust auth, user `dlsys`); its base URL."""
    initdb, pg_ctl = _postgres_bin("initdb"), _postgres_bin("pg_ctl")
    if not initdb or not pg_ctl:
        _postgres_unavailable("PostgreSQL is not installed (apt-get install postgresql)")
    # not under pytest's own temporary folder, which only its owner may enter
    root = Path(tempfile.mkdtemp(prefix="dlsys-postgres-"))
    data, sockets = root / "data", root / "sockets"
    sockets.mkdir()
    as_user = []
    if os.geteuid() == 0:  # initdb refuses root: the cluster belongs to the postgres user
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            _postgres_unavailable("running as root and there is no postgres user to own the cluster")
        shutil.chown(root, "postgres")
        shutil.chown(sockets, "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    made = subprocess.run(as_user + [initdb, "-D", str(data), "-U", "dlsys", "--auth=trust", "-E", "UTF8"],
                          capture_output=True, text=True)
    if made.returncode != 0:
        _postgres_unavailable(f"initdb failed: {made.stderr[-500:]}")
    port = free_port()
    options = f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off"
    started = subprocess.run(as_user + [pg_ctl, "-D", str(data), "-o", options, "-l", str(root / "log"), "-w", "start"],
                             capture_output=True, text=True)
    if started.returncode != 0:
        _postgres_unavailable(f"pg_ctl start failed: {started.stderr[-500:]} {(root / 'log').read_text()[-500:]}")
    try:
        yield f"postgresql+psycopg://dlsys@127.0.0.1:{port}"
    finally:
        subprocess.run(as_user + [pg_ctl, "-D", str(data), "-m", "immediate", "stop"], capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


def new_postgres_database(base_url: str) -> str:
    import psycopg

    name = f"dlsys_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(base_url.replace("postgresql+psycopg://", "postgresql://") + "/postgres",
                         autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    return f"{base_url}/{name}"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """A fresh, empty database: SQLite in the test's folder, then a new database on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'dlsys.db'}"
    return new_postgres_database(request.getfixturevalue("postgres_server"))


# ----------------------------------------------------------------------------- the service

def service_settings(home: Path, database_url: str, answers: Path, **overrides):
    """Settings for a test: its own home, the answers copied in, no publishing on start."""
    from autograder.server.settings import Settings

    shutil.copytree(answers, home / "answers", dirs_exist_ok=True)
    values = dict(home=home, database_url=database_url, sandbox="local", workers=1, publish_on_start=False)
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

    def rows(self) -> dict[str, int]:
        """How many rows each table holds: a refused request must change none."""
        from sqlalchemy import func, select

        from autograder.server.db import models

        with self.service.factory() as db:
            return {table.__tablename__: db.scalar(select(func.count()).select_from(table))
                    for table in (models.User, models.Assignment, models.Extension, models.Submission,
                                  models.GradingRun)}

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

    def make(**overrides) -> Api:
        settings = service_settings(tmp_path / f"home{len(made)}", database_url, service_answers, **overrides)
        service = Service(settings, say=lambda line: None)
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


def wait_until_final(api: Api, submission: int, timeout: float = 180) -> dict:
    """Poll a submission until it is done or a grader error; its last answer."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        view = api.client.get(f"/api/v1/submissions/{submission}", headers=api.staff()).json()
        if view["state"] in ("done", "grader error"):
            return view
        time.sleep(0.3)
    raise AssertionError(f"submission {submission} not graded within {timeout} s: {view}")
