"""Fixtures for the grading service: a database (SQLite, and a throwaway PostgreSQL cluster on
loopback), the app over it with its in-process workers, and a live `dlsys serve` process.

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
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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

@pytest.fixture(scope="session")
def service_answers(tmp_path_factory, local_sandbox):
    """hw0's and hw1's answers, published once from the reference (the service's tests submit those two)."""
    from autograder.course.manifest import load_manifest
    from autograder.grading.publish import publish

    folder = tmp_path_factory.mktemp("service-answers")
    for homework in ("hw0", "hw1"):
        publish(load_manifest(homework), local_sandbox, answers_folder=folder)
    return folder


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


def reference_archive(homework: str, folder: Path) -> Path:
    """The reference's student files of `homework` as a submission archive."""
    import tarfile

    from autograder.course.manifest import load_manifest

    manifest = load_manifest(homework)
    archive = folder / f"{homework}-reference.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        for name in manifest.student_files:
            tar.add(manifest.root / name, arcname=name)
    return archive


def wait_until_final(api: Api, submission: int, timeout: float = 180) -> dict:
    """Poll a submission until it is done or a grader error; its last answer."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        view = api.client.get(f"/api/v1/submissions/{submission}", headers=api.staff()).json()
        if view["state"] in ("done", "grader error"):
            return view
        time.sleep(0.3)
    raise AssertionError(f"submission {submission} not graded within {timeout} s: {view}")


# ----------------------------------------------------------------------------- a live server

@dataclass
class LiveServer:
    url: str
    staff_token: str
    student_token: str
    home: Path
    process: subprocess.Popen
    output: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()


def start_live_server(home: Path, database_url: str, answers: Path, port: int | None = None,
                      tokens: tuple[str, str] | None = None, **env) -> LiveServer:
    """`dlsys serve` as a user starts it, on loopback; waits until it answers."""
    import httpx

    shutil.copytree(answers, home / "answers", dirs_exist_ok=True)
    port = port or free_port()
    output = home / f"serve-{port}-{time.monotonic_ns()}.log"
    environment = os.environ | {"DLSYS_HOME": str(home), "DLSYS_DATABASE_URL": database_url, "DLSYS_SANDBOX": "local",
                                "DLSYS_WORKERS": "1", "DLSYS_PUBLISH_ON_START": "0", "PYTHONUNBUFFERED": "1"} | env
    with open(output, "w") as log:
        process = subprocess.Popen([sys.executable, "-m", "autograder", "serve", "--port", str(port)], cwd=REPO,
                                   stdout=log, stderr=subprocess.STDOUT, env=environment)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"dlsys serve exited with {process.returncode}:\n{output.read_text()[-3000:]}")
        try:
            if httpx.get(f"{url}/api/v1/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
    else:
        process.kill()
        raise AssertionError(f"dlsys serve did not answer within 60 s:\n{output.read_text()[-3000:]}")
    if tokens is None:  # printed once, on the first start: "staff token: ..." and "student token: ..."
        said = dict(line.split(": ", 1) for line in output.read_text().splitlines()
                    if line.startswith(("staff token: ", "student token: ")))
        tokens = (said["staff token"], said["student token"])
    return LiveServer(url, tokens[0], tokens[1], home, process, output)


@pytest.fixture
def live_server(tmp_path, service_answers):
    """A live `dlsys serve` on SQLite in the test's folder."""
    server = start_live_server(tmp_path / "home", f"sqlite:///{tmp_path / 'home' / 'dlsys.db'}", service_answers)
    yield server
    server.stop()
