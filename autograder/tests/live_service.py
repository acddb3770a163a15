"""The grading service as its tests, the client's and the CLI's use it: the reference answers
it grades with, a reference submission, and a live `dlsys serve` on loopback.

The root conftest.py makes `service_answers`, `live_server` and `module_live_server` fixtures of
every test folder (tests/server, tests/client, tests/cli), so the answers are published once a session.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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
    import tarfile

    from autograder.course.manifest import load_manifest

    manifest = load_manifest(homework)
    archive = folder / f"{homework}-reference.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        for name in manifest.student_files:
            tar.add(manifest.root / name, arcname=name)
    return archive


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


@pytest.fixture(scope="module")
def module_live_server(tmp_path_factory, service_answers):
    """One live `dlsys serve` on SQLite for a whole test module (its tests count their own submissions)."""
    home = tmp_path_factory.mktemp("live-server") / "home"
    server = start_live_server(home, f"sqlite:///{home / 'dlsys.db'}", service_answers)
    yield server
    server.stop()
