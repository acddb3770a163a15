"""The grading service as its tests, the client's and the CLI's use it: the reference answers
it grades with, a reference submission, and a live `dlsys serve` on loopback.

The root conftest.py makes `service_answers`, `live_server` and `module_live_server` fixtures of
every test folder (tests/server, tests/client, tests/cli), so the answers are published once a session.
"""
from __future__ import annotations

import contextlib
import glob
import gzip
import io
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def wait_for(condition, timeout: float, what: str):
    """`condition()`'s first truthy value, polled until `timeout` seconds; AssertionError naming `what`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.3)
    raise AssertionError(f"not within {timeout} s: {what}")


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


@dataclass
class PostgresCluster:
    """A throwaway cluster on loopback that a test can restart (its URL stays the same)."""

    url: str
    data: Path
    options: str
    log: Path
    pg_ctl: str
    as_user: list[str]

    def restart(self, down_seconds: float = 0) -> None:
        """Stop it the hard way (as a crash would), wait, start it again."""
        subprocess.run(self.as_user + [self.pg_ctl, "-D", str(self.data), "-m", "immediate", "stop"],
                       capture_output=True, check=True)
        time.sleep(down_seconds)
        subprocess.run(self.as_user + [self.pg_ctl, "-D", str(self.data), "-o", self.options, "-l", str(self.log),
                                       "-w", "start"], capture_output=True, check=True)


@contextlib.contextmanager
def postgres_cluster():
    """A PostgreSQL cluster of its own on 127.0.0.1 (trust auth, user `dlsys`)."""
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
    # connections: a server's pool (80 at most) and a few workers' (benchmarks/deadline.py's burst)
    options = f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300"
    started = subprocess.run(as_user + [pg_ctl, "-D", str(data), "-o", options, "-l", str(root / "log"), "-w", "start"],
                             capture_output=True, text=True)
    if started.returncode != 0:
        _postgres_unavailable(f"pg_ctl start failed: {started.stderr[-500:]} {(root / 'log').read_text()[-500:]}")
    try:
        yield PostgresCluster(f"postgresql+psycopg://dlsys@127.0.0.1:{port}", data, options, root / "log", pg_ctl,
                              as_user)
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


def reference_archive(homework: str, folder: Path) -> Path:
    """The reference's student files of `homework` as a submission archive."""
    archive = folder / f"{homework}-reference.tar.gz"
    archive.write_bytes(tar_bytes(student_files(homework)))
    return archive


def student_files(homework: str, handout: tuple[str, ...] = ()) -> dict[str, bytes]:
    """`homework`'s student files as the reference has them, except those named in `handout`,
    which are as a fresh handout has them (solution regions emptied: "not implemented")."""
    from autograder.course.manifest import load_manifest
    from autograder.course.regions import strip_regions

    manifest = load_manifest(homework)
    files = {}
    for name in manifest.student_files:
        text = (manifest.root / name).read_text()
        files[name] = (strip_regions(text, name) if name in handout else text).encode()
    return files


def tar_bytes(entries: dict[str, bytes] | list, mode: str = "w:gz") -> bytes:
    """An archive of `entries`: {name: data} for regular files, or a list of (TarInfo, data or None)
    for anything else (links, devices, lying sizes). The same entries give the same bytes (the
    gzip header's time is 0), as a client retrying one upload sends them."""
    out = io.BytesIO()
    compressed = gzip.GzipFile(fileobj=out, mode="wb", mtime=0) if mode == "w:gz" else None
    with tarfile.open(fileobj=compressed or out, mode="w" if compressed else mode) as tar:
        items = entries.items() if isinstance(entries, dict) else entries
        for name_or_info, data in items:
            info = name_or_info if isinstance(name_or_info, tarfile.TarInfo) else tarfile.TarInfo(name_or_info)
            if data is not None and not isinstance(name_or_info, tarfile.TarInfo):
                info.size = len(data)
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    if compressed:
        compressed.close()
    return out.getvalue()


# Tests wait seconds, not half a minute, for a killed worker to be presumed dead.
FAST_HEARTBEAT = {"DLSYS_WORKER_HEARTBEAT_SECONDS": "1", "DLSYS_WORKER_STALE_SECONDS": "8"}


@dataclass
class LiveWorker:
    """A `dlsys worker` process and its console output."""

    process: subprocess.Popen
    output: Path

    def said(self) -> str:
        return self.output.read_text()


def start_worker(home: Path, database_url: str, answers: Path, *, queues: str = "cpu,gpu", concurrency: int = 1,
                 **env) -> LiveWorker:
    """`dlsys worker` as staff start it on a grading host (its own answers folder, the database's
    URL); waits until it serves its queues."""
    home.mkdir(parents=True, exist_ok=True)
    shutil.copytree(answers, home / "answers", dirs_exist_ok=True)
    output = home / f"worker-{time.monotonic_ns()}.log"
    environment = os.environ | {"DLSYS_HOME": str(home), "DLSYS_DATABASE_URL": database_url, "DLSYS_SANDBOX": "local",
                                "PYTHONUNBUFFERED": "1"} | FAST_HEARTBEAT | env
    with open(output, "w") as log:
        process = subprocess.Popen([sys.executable, "-m", "autograder", "worker", "--queues", queues,
                                    "--concurrency", str(concurrency)], cwd=REPO, stdout=log,
                                   stderr=subprocess.STDOUT, env=environment)
    worker = LiveWorker(process, output)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"dlsys worker exited with {process.returncode}:\n{worker.said()[-3000:]}")
        if "concurrency" in worker.said():  # "worker NAME: queues ..., concurrency N, GPUs: ..."
            return worker
        time.sleep(0.2)
    process.kill()
    raise AssertionError(f"dlsys worker did not start within 60 s:\n{worker.said()[-3000:]}")


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
                                "DLSYS_WORKERS": "1", "DLSYS_PUBLISH_ON_START": "0", "PYTHONUNBUFFERED": "1"} | FAST_HEARTBEAT | env
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


@pytest.fixture(scope="module")
def module_live_server(tmp_path_factory, service_answers):
    """One live `dlsys serve` on SQLite for a whole test module (its tests count their own submissions)."""
    home = tmp_path_factory.mktemp("live-server") / "home"
    server = start_live_server(home, f"sqlite:///{home / 'dlsys.db'}", service_answers)
    yield server
    server.stop()
