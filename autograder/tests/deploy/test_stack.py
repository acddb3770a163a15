"""The compose stack end to end, as staff stand it up (docs/staff.md): both images built from a clean
clone of HEAD, docker/compose.yaml with the CPU override, answers published in the worker, the
reference hw1 and a stub submitted from the host with `dlsys submit` (100 and 0), then a worker
killed in the middle of a job and started again: the submission is graded once.

It needs a Docker engine, docker-compose (or Compose v2) and the base image; without them it skips
with the reason, except where DLSYS_REQUIRE_STACK=1 (.ci/run), where it fails. It prints the images'
sizes and build times. Everything it creates is named dlsys-test-stack-<pid>-* and removed after.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from autograder.paths import REPO_ROOT
from live_service import free_port, wait_for  # autograder/tests/live_service.py

BASE_IMAGE = "local/debian:bookworm"
NAME = f"dlsys-test-stack-{os.getpid()}"


def compose_program() -> list[str] | None:
    """Debian's docker-compose (1.29), else Compose v2 as a docker plugin."""
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    if shutil.which("docker") and subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
        return ["docker", "compose"]
    return None


def missing_piece() -> str | None:
    if compose_program() is None:
        return "neither docker-compose nor `docker compose` is installed (apt-get install docker-compose)"
    if subprocess.run(["docker", "image", "inspect", BASE_IMAGE], capture_output=True).returncode != 0:
        return f"no Docker engine with {BASE_IMAGE} (bash ../shared/tools/docker-local.sh)"
    return None


@pytest.fixture(scope="module")
def stack_ready():
    reason = missing_piece()
    if reason and os.environ.get("DLSYS_REQUIRE_STACK") == "1":
        pytest.fail(f"DLSYS_REQUIRE_STACK=1 but {reason}")
    if reason:
        pytest.skip(reason)


def run(command: list[str], cwd: Path, env: dict | None = None, timeout: float = 900) -> str:
    done = subprocess.run(command, cwd=cwd, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=timeout)
    assert done.returncode == 0, f"{' '.join(command)} exited {done.returncode}:\n{done.stdout[-3000:]}\n" \
                                 f"{done.stderr[-3000:]}"
    return done.stdout + done.stderr


def image_size_mb(tag: str) -> float:
    return int(run(["docker", "image", "inspect", "--format", "{{.Size}}", tag], Path.cwd()).strip()) / 1e6


def test_stack_grades_from_a_clean_clone_and_survives_a_worker_kill(stack_ready, tmp_path):
    started = time.monotonic()
    clone, jobs, config = tmp_path / "repo", tmp_path / "jobs", tmp_path / "config"
    run(["git", "clone", "-q", str(REPO_ROOT), str(clone)], tmp_path)
    dlsys = [sys.executable, "-m", "autograder"]  # the clone's package, unless an editable install shadows it
    env = os.environ | {"PYTHONPATH": str(clone), "XDG_CONFIG_HOME": str(config)}
    tags = {"grader": f"{NAME}-grader:latest", "server": f"{NAME}-server:latest",
            "postgres": f"{NAME}-postgres:latest"}
    compose = compose_program() + ["-p", NAME, "-f", "docker/compose.yaml", "-f", "docker/compose.cpu.yaml"]
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    try:
        timings = {}
        moment = time.monotonic()
        run(dlsys + ["grader-image", "--tag", tags["grader"]], clone, env)
        timings["grader"] = time.monotonic() - moment
        moment = time.monotonic()
        run(dlsys + ["server-image", "--tag", tags["server"], "--postgres", tags["postgres"]], clone, env)
        timings["server+postgres"] = time.monotonic() - moment
        for tag in tags.values():
            print(f"image {tag}: {image_size_mb(tag):.0f} MB")
        print("build seconds: " + ", ".join(f"{name} {seconds:.0f}" for name, seconds in timings.items()))

        (clone / "docker" / ".env").write_text("\n".join([
            "POSTGRES_PASSWORD=stack-test-password", f"DLSYS_IMAGE={tags['server']}",
            f"DLSYS_GRADER_IMAGE={tags['grader']}", f"DLSYS_POSTGRES_IMAGE={tags['postgres']}",
            f"DLSYS_PORT={port}", f"DLSYS_JOBS_DIR={jobs}", "DLSYS_WORKER_STOP_SECONDS=5s",
            "DLSYS_WORKER_STALE_SECONDS=10"]) + "\n")
        moment = time.monotonic()
        run(compose + ["up", "-d"], clone, env, timeout=300)
        wait_for(lambda: _answers(f"{url}/api/v1/health"), 120, "the server's health")
        print(f"stack up in {time.monotonic() - moment:.0f} s")
        logs = run(compose + ["logs", "--no-color", "server"], clone, env)
        staff = re.search(r"staff token: (\S+)", logs).group(1)
        student = re.search(r"student token: (\S+)", logs).group(1)

        run(compose + ["exec", "-T", "worker", "dlsys", "publish", "hw1", "--sandbox", "docker"], clone, env)
        run(dlsys + ["login", "--server", url, "--token", student], clone, env)
        said = run(dlsys + ["submit", "hw1", "--output", str(tmp_path / "reference.tar.gz")], clone, env, timeout=600)
        assert _latest(url, student)["score"] == _latest(url, student)["max_score"] == 100, said

        run(dlsys + ["release", "hw1", "--out", str(tmp_path / "handout")], clone, env)
        said = run(dlsys + ["submit", "hw1", "--dir", str(tmp_path / "handout")], clone, env, timeout=600)
        stub = _latest(url, student)
        assert stub["state"] == "done" and stub["score"] == 0, said

        run(dlsys + ["submit", "hw1", "--no-wait", "--output", str(tmp_path / "again.tar.gz")], clone, env)
        killed = _latest(url, student)["submission"]
        wait_for(lambda: _latest(url, student)["state"] not in ("queued",), 120, "the run to start")
        run(compose + ["kill", "worker"], clone, env)
        run(compose + ["start", "worker"], clone, env)
        done = wait_for(lambda: (s := _latest(url, student))["state"] == "done" and s, 300,
                        "the killed run to be graded again")
        assert done["submission"] == killed and done["score"] == 100
        runs = httpx.get(f"{url}/api/v1/submissions/{killed}/runs", headers=_auth(staff)).json()["runs"]
        graded = [r for r in runs if r["status"] == "done"]
        assert len(graded) == 1, runs  # graded once, whatever the killed attempt left
        print(f"runs of the killed submission: {[(r['attempt'], r['status']) for r in runs]}")
    finally:
        moment = time.monotonic()
        subprocess.run(compose + ["down", "-v", "--remove-orphans"], cwd=clone, capture_output=True)
        # a killed worker's sandbox container outlives it: ours run our grader image only
        ours = subprocess.run(["docker", "ps", "-aq", "--filter", f"ancestor={tags['grader']}"],
                              capture_output=True, text=True).stdout.split()
        if ours:
            subprocess.run(["docker", "rm", "-f", *ours], capture_output=True)
        subprocess.run(["docker", "rmi", *tags.values()], capture_output=True)
        shutil.rmtree(jobs, ignore_errors=True)
        print(f"down in {time.monotonic() - moment:.0f} s; whole test {time.monotonic() - started:.0f} s")


def _auth(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def _answers(address: str) -> bool:
    try:
        return httpx.get(address, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _latest(url: str, token: str) -> dict:
    listed = httpx.get(f"{url}/api/v1/submissions", headers=_auth(token), timeout=10)
    listed.raise_for_status()
    return listed.json()[-1]
