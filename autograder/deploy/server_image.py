"""The server image (docker/server.Dockerfile: `dlsys serve` and `dlsys worker` in one image) and the
PostgreSQL image for machines without a registry (docker/postgres.Dockerfile), built from a repository.

The server image's build context is the repository's tracked files (`git ls-files`: no build
output, no `.dlsys/` data, no `docker/.env` secrets) in repo/, and a wheelhouse in wheels/: the
project's dependencies (pyproject.toml's, its `gpu` extra and its build requirements) downloaded
by the host's pip for the image's Python, because build containers reach no package index.
"""
from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path
from typing import Callable

from autograder.deploy.engine_build import build_image
from autograder.deploy.wheelhouse import WHEEL_CACHE, pip_download
from autograder.errors import DlsysError
from autograder.paths import REPO_ROOT

BASE_IMAGE = "local/debian:bookworm"
PYTHON_VERSION = "3.11"  # python3 of BASE_IMAGE (Debian bookworm)
SERVER_IMAGE = "dlsys-server:latest"
POSTGRES_IMAGE = "dlsys-postgres:latest"
# What the build of the repository itself needs beside the build-system requirements: ninja for
# scikit-build-core (CMake comes from the base's apt), pip to install with.
BUILD_TOOLS = ["pip", "ninja"]


def server_requirements(repo: Path = REPO_ROOT) -> list[str]:
    """What the server image installs before the repository: its dependencies, the `gpu` extra
    (a GPU worker finds its GPUs with cuda-python) and what building it needs."""
    project = tomllib.loads((repo / "pyproject.toml").read_text())
    wanted = list(project["project"]["dependencies"]) + list(project["project"]["optional-dependencies"]["gpu"])
    return BUILD_TOOLS + list(project["build-system"]["requires"]) + wanted


def server_wheels(repo: Path = REPO_ROOT, python_version: str = PYTHON_VERSION, cache: Path | None = None,
                  progress: Callable[[str], None] | None = None,
                  download: Callable[[list[str], str, Path], tuple[int, str]] | None = None) -> list[Path]:
    """The wheels of `server_requirements` for CPython `python_version`, downloaded once into
    `cache`/server-PY/<hash of the requirements> and found there afterwards."""
    show = progress or (lambda line: None)
    requirements = server_requirements(repo)
    key = hashlib.sha256("\n".join(requirements).encode()).hexdigest()[:16]
    folder = (cache or WHEEL_CACHE) / f"server-{python_version}" / key
    if (folder / "done").is_file():
        return sorted(folder.glob("*.whl"))
    folder.mkdir(parents=True, exist_ok=True)
    show(f"downloading the server image's wheels for Python {python_version} ({len(requirements)} requirements)")
    status, output = (download or pip_download)(requirements, python_version, folder)
    if status != 0:
        tail = "\n".join(output.strip().splitlines()[-8:])
        raise DlsysError(f"pip download of the server image's wheels for Python {python_version} failed:\n{tail}")
    (folder / "done").write_text("\n".join(requirements) + "\n")
    return sorted(folder.glob("*.whl"))


def tracked_files(repo: Path) -> list[str]:
    """The repository's files as git tracks them (what a clone holds), minus deleted ones."""
    try:
        listed = subprocess.run(["git", "-C", str(repo), "ls-files", "-z"], check=True, capture_output=True).stdout
    except (OSError, subprocess.CalledProcessError) as error:
        raise DlsysError(f"{repo} is not a git checkout (the server image is built from its tracked files)") from error
    return [name for name in listed.decode().split("\0") if name and (repo / name).is_file()]


def prepare_server_context(context: Path, repo: Path = REPO_ROOT, python_version: str = PYTHON_VERSION,
                           cache: Path | None = None, progress: Callable[[str], None] | None = None) -> Path:
    """Fill `context` with docker/server.Dockerfile, repo/ (the tracked files) and wheels/."""
    context = Path(context)
    for name in tracked_files(repo):
        target = context / "repo" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(repo / name, target)
    shutil.copyfile(repo / "docker" / "server.Dockerfile", context / "server.Dockerfile")
    wheels = context / "wheels"
    wheels.mkdir()
    for wheel in server_wheels(repo, python_version, cache, progress):
        shutil.copyfile(wheel, wheels / wheel.name)
    (wheels / "requirements.txt").write_text("\n".join(server_requirements(repo)) + "\n")
    return context


def build_server_image(base: str = BASE_IMAGE, tag: str = SERVER_IMAGE, repo: Path = REPO_ROOT,
                       python_version: str = PYTHON_VERSION, wheel_cache: Path | None = None,
                       progress: Callable[[str], None] | None = None) -> str:
    """Build docker/server.Dockerfile on `base` (its python3 is `python_version`) as `tag`; the image id."""
    show = progress or (lambda line: print(line, file=sys.stderr, flush=True))
    with tempfile.TemporaryDirectory(prefix="dlsys-server-context-") as context:
        prepare_server_context(Path(context), repo, python_version, wheel_cache, show)
        return build_image(Path(context), "server.Dockerfile", tag,
                           {"BASE": base, "PYTHON_VERSION": python_version}, show)


def build_postgres_image(base: str = BASE_IMAGE, tag: str = POSTGRES_IMAGE, repo: Path = REPO_ROOT,
                         progress: Callable[[str], None] | None = None) -> str:
    """Build docker/postgres.Dockerfile (Debian's PostgreSQL, run like the official image) as `tag`."""
    show = progress or (lambda line: print(line, file=sys.stderr, flush=True))
    with tempfile.TemporaryDirectory(prefix="dlsys-postgres-context-") as context:
        for name in ("postgres.Dockerfile", "postgres-entrypoint.sh"):
            shutil.copyfile(repo / "docker" / name, Path(context) / name)
        return build_image(Path(context), "postgres.Dockerfile", tag, {"BASE": base}, show)
