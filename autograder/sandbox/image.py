"""The Docker grader image: `docker/grader.Dockerfile` built on a base image, with wheels from this host.

`build_grader_image` (what `dlsys grader-image` runs) fills a temporary build context with a
copy of docker/, the wheels of pip, numpy and pybind11 at this host's versions and the build
files of the handouts to prepare (`HandoutBuild`), then has the engine build it as
`GRADER_IMAGE`, the image `DockerSandbox` runs every job in. Nothing of the repository's code
(and so no reference solution) enters the image: of a handout, only its CMake files, which
the image configures once (docker/prepare_builds.py; dlsys_harness/prepared_build.py).
"""
from __future__ import annotations

import importlib.metadata
import json
import os
import re
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from autograder.deploy.engine_build import build_image
from autograder.deploy.wheelhouse import WHEEL_CACHE, pip_download
from autograder.dlsys_harness.prepared_build import configure_command, configure_key
from autograder.errors import DlsysError
from autograder.sandbox.docker import GRADER_IMAGE
from autograder.sandbox.job import WORK_DIR

BASE_IMAGE = "local/debian:bookworm"
DOCKER_DIR = Path(__file__).resolve().parents[2] / "docker"
PYTHON_VERSION = "3.11"  # python3 of BASE_IMAGE (Debian bookworm)
_pip_download = pip_download  # the download grader_wheels uses (tests put a stand-in here)
IMAGE_PYTHON = "/opt/venv/bin/python3"  # the venv grader.Dockerfile makes: the harness's sys.executable
PREPARED_CONTEXT = "prepared-builds"  # the context's folder of handout build files to configure


@dataclass(frozen=True)
class HandoutBuild:
    """A handout whose configure the image prepares: its build files and an empty file at each
    native module source's path (a configure checks they exist, never reads them), as
    {path inside the handout: contents}, and whether it declares CUDA modules (then the CUDA
    configure is prepared too, on a base image with nvcc)."""

    name: str
    files: dict[str, bytes]
    cuda: bool = False


def _host_version(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def grader_wheels(
    python_version: str = PYTHON_VERSION,
    cache: Path | None = None,
    progress: Callable[[str], None] | None = None,
    download: Callable[[list[str], str, Path], tuple[int, str]] | None = None,
) -> list[Path]:
    """The wheels the grader image installs, for CPython `python_version`: pip, and numpy and
    pybind11 at the versions installed on this (the grader) host.

    They are downloaded once by the host's pip into `cache`/`python_version` (default
    ~/.cache/dlsys/wheels/PY) and found there afterwards: a manifest per (numpy, pybind11)
    pair names the files. When numpy at the host's version has no wheel for that Python
    (numpy 2.3+ needs Python 3.11+), the newest numpy of the same major version is taken
    instead (the promotion rules, NEP 50 since 2.0, are the same), and `progress` says so.
    `download(requirements, python_version, dest)` -> (status, output) fetches them
    (default: the host's `pip download`, `_pip_download`).
    """
    show = progress or (lambda line: None)
    download = download or _pip_download
    if not re.fullmatch(r"3\.\d+", python_version):
        raise DlsysError(f"python_version must read like 3.11, not {python_version!r}")
    numpy_version = _host_version("numpy")
    if numpy_version is None:
        raise DlsysError("numpy is not installed on this host: the grader image installs the host's numpy version")
    pybind11_version = _host_version("pybind11")
    folder = (cache or WHEEL_CACHE) / python_version
    manifest = folder / f"numpy-{numpy_version}_pybind11-{pybind11_version or 'any'}.txt"
    if manifest.is_file():
        wheels = [folder / name for name in manifest.read_text().split()]
        if wheels and all(wheel.is_file() for wheel in wheels):
            return wheels
    folder.mkdir(parents=True, exist_ok=True)
    pybind11 = f"pybind11=={pybind11_version}" if pybind11_version else "pybind11"
    if pybind11_version is None:
        show("pybind11 is not installed on this host: the grader image gets the newest pybind11")
    with tempfile.TemporaryDirectory(prefix="download-", dir=folder) as scratch:
        show(f"downloading wheels for Python {python_version}: pip, numpy=={numpy_version}, {pybind11}")
        status, output = download(["pip", f"numpy=={numpy_version}", pybind11], python_version, Path(scratch))
        if status != 0 and "matching distribution found for numpy" in output:
            major = int(numpy_version.split(".")[0])
            show(f"numpy {numpy_version} has no wheel for Python {python_version}; "
                 f"taking the newest numpy {major}.x instead")
            status, output = download(["pip", f"numpy>={major},<{major + 1}", pybind11], python_version, Path(scratch))
        if status != 0:
            tail = "\n".join(output.strip().splitlines()[-8:])
            raise DlsysError(f"pip download of the grader image's wheels for Python {python_version} failed:\n{tail}")
        names = sorted(path.name for path in Path(scratch).glob("*.whl"))
        for name in ("pip-", "numpy-", "pybind11-"):
            if not any(n.startswith(name) for n in names):
                raise DlsysError(f"pip download gave no {name[:-1]} wheel for Python {python_version}")
        for name in names:
            os.replace(Path(scratch, name), folder / name)
    partial = manifest.with_name(f"{manifest.name}.{os.getpid()}.tmp")
    partial.write_text("".join(f"{name}\n" for name in names))
    os.replace(partial, manifest)
    return [folder / name for name in names]


def prepare_build_context(
    context: Path,
    python_version: str = PYTHON_VERSION,
    cache: Path | None = None,
    progress: Callable[[str], None] | None = None,
    handouts: list[HandoutBuild] = (),
) -> Path:
    """Fill the empty or new folder `context` with the grader image's build context: a copy of
    docker/, wheels/ (see `grader_wheels`) and prepared-builds/ (see `write_prepared_builds`).
    The files are byte-identical from one call to the next while nothing changed (same
    content and mode; docker's cache ignores mtimes), so a rebuild reuses every layer."""
    context = Path(context)
    ignored = shutil.ignore_patterns("wheels", PREPARED_CONTEXT, "__pycache__", ".env")
    shutil.copytree(DOCKER_DIR, context, ignore=ignored, dirs_exist_ok=True)
    wheels = context / "wheels"
    wheels.mkdir()
    for wheel in grader_wheels(python_version, cache, progress):
        shutil.copyfile(wheel, wheels / wheel.name)
    write_prepared_builds(context / PREPARED_CONTEXT, handouts)
    for path in [context, *context.rglob("*")]:
        os.chmod(path, 0o755 if path.is_dir() else 0o644)
    return context


def write_prepared_builds(folder: Path, handouts: list[HandoutBuild]) -> None:
    """Lay out, in the new folder `folder`, one folder per configure the image prepares, named by
    its key (`configure_key`): `hw/` (the files to put at /work/hw) and `configure.json`
    (the harness's configure command at the job's paths, and whether it needs nvcc)."""
    folder.mkdir()
    for handout in handouts:
        for cuda in (False, True) if handout.cuda else (False,):
            entry = folder / configure_key(handout.files, cuda)
            for name, data in handout.files.items():
                (entry / "hw" / name).parent.mkdir(parents=True, exist_ok=True)
                (entry / "hw" / name).write_bytes(data)
            command = configure_command(Path(WORK_DIR, "hw"), Path(WORK_DIR, "build"), cuda, IMAGE_PYTHON)
            description = {"handout": handout.name, "cuda": cuda, "command": command}
            (entry / "configure.json").write_text(json.dumps(description, indent=1) + "\n")


def build_grader_image(
    base: str = BASE_IMAGE,
    tag: str = GRADER_IMAGE,
    progress: Callable[[str], None] | None = None,
    python_version: str = PYTHON_VERSION,
    wheel_cache: Path | None = None,
    handouts: list[HandoutBuild] = (),
) -> str:
    """Build docker/grader.Dockerfile on `base` as `tag`; returns the image id.

    The build context is a temporary folder holding a copy of docker/ and the wheels of pip,
    numpy and pybind11 at this host's versions (`prepare_build_context`): nothing of the
    repository's code (and so no reference solution) can enter the image, and the image
    runs the numpy the reference runs with. `python_version` is the python3 of `base` as
    MAJOR.MINOR: "3.11" for Debian bookworm (the default base), "3.12" for an ubuntu24.04
    CUDA base, "3.10" for ubuntu22.04 (which gets numpy 2.2.x: numpy 2.3+ has no wheels
    for Python 3.10); the build fails with a clear message when it does not match.
    Wheels are cached in `wheel_cache` (default ~/.cache/dlsys/wheels). Progress lines go
    to `progress` (default: stderr). The wheel cache and Docker's layer cache make a
    rebuild a fast no-op. The configure of each of `handouts` is prepared in the image, so a
    job of that handout only builds the student's files.
    """
    show = progress or (lambda line: print(line, file=sys.stderr, flush=True))
    with tempfile.TemporaryDirectory(prefix="dlsys-grader-context-") as context:
        prepare_build_context(Path(context), python_version, wheel_cache, show, handouts)
        return build_image(Path(context), "grader.Dockerfile", tag,
                           {"BASE": base, "PYTHON_VERSION": python_version}, show)
