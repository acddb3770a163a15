"""The grading service as its tests, the client's and the CLI's use it: the reference answers
it grades with, a reference submission, and a live `dlsys serve` on loopback.

The root conftest.py makes `service_answers`, `live_server` and `module_live_server` fixtures of
every test folder (tests/server, tests/client, tests/cli), so the answers are published once a session.
"""
from __future__ import annotations

import gzip
import io
import os
import shutil
import socket
import subprocess
import sys
import tarfile
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
