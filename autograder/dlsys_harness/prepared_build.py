"""Build trees prepared in the grader image: CMake's configure of each handout, done once.

A job configures its homework tree (`/work/hw`) into `/work/build` before building the
student's modules (run.py's `build`). Most of that configure gives the same answers for
every submission (the compiler, Python, pybind11, OpenMP, the flag probes), so the grader
image runs it once per handout at image build, at those very paths (CMake refuses a cache
made for another source or build folder), and keeps the build tree under
`PREPARED_DIR/<key>`, `key` a hash of what the configure reads. A job whose tree has that
key copies the prepared tree into its empty build folder; its own configure then finds
every answer cached. When nothing matches (the local sandbox, an image built before this,
a changed CMakeLists.txt) the job configures from scratch, as it always did.
"""
from __future__ import annotations

import hashlib
import shutil
from collections.abc import Mapping
from pathlib import Path

PREPARED_DIR = Path("/opt/dlsys/cmake")
# What a handout's configure reads besides the tools: its build files (the sources' contents are not read).
CONFIGURE_INPUTS = ("CMakeLists.txt", "cmake/dlsys_modules.cmake")


def configure_command(project: Path, build_dir: Path, cuda: bool, python: str) -> list[str]:
    """The configure of a job's homework tree, as the handout's README says, with the job's Python."""
    return ["cmake", "-S", str(project), "-B", str(build_dir), "-DCMAKE_BUILD_TYPE=Release",
            f"-DPython_EXECUTABLE={python}", f"-DDLSYS_CUDA={'ON' if cuda else 'OFF'}"]


def configure_key(files: Mapping[str, bytes | None], cuda: bool) -> str:
    """The name of the prepared tree for a homework tree whose CONFIGURE_INPUTS hold `files`
    (None: absent), configured with CUDA or without."""
    digest = hashlib.sha256(f"cuda={cuda}\0".encode())
    for name in CONFIGURE_INPUTS:
        data = files.get(name)
        digest.update(f"{name}\0".encode() + (b"absent" if data is None else b"%d\0" % len(data) + data) + b"\0")
    return digest.hexdigest()[:32]


def project_key(project: Path, cuda: bool) -> str:
    """`configure_key` of the homework tree in `project`."""
    return configure_key({name: (project / name).read_bytes() if (project / name).is_file() else None
                          for name in CONFIGURE_INPUTS}, cuda)


def use_prepared(project: Path, build_dir: Path, cuda: bool, prepared: Path = PREPARED_DIR) -> Path | None:
    """Copy the prepared tree matching `project` into `build_dir` and return it; None (and
    nothing copied) when there is none, when `build_dir` already holds something, or when the
    tree was configured for other folders than `project` and `build_dir`, or could not be
    copied (then `build_dir` is removed again: the configure starts from scratch)."""
    try:
        tree = prepared / project_key(project, cuda)
        cache = tree / "CMakeCache.txt"
        if not cache.is_file() or (build_dir.exists() and any(build_dir.iterdir())):
            return None
        if cache_folders(cache) != (str(project), str(build_dir)):
            return None
        shutil.copytree(tree, build_dir, symlinks=True, dirs_exist_ok=True)
    except OSError:  # unreadable, or the job's scratch space is full: the prepared tree is only a shortcut
        shutil.rmtree(build_dir, ignore_errors=True)
        return None
    return tree


def cache_folders(cache: Path) -> tuple[str | None, str | None]:
    """The (source, build) folders a CMakeCache.txt was made for."""
    found: dict[str, str] = {}
    for line in cache.read_text(errors="replace").splitlines():
        name, _, value = line.partition("=")
        if name in ("CMAKE_HOME_DIRECTORY:INTERNAL", "CMAKE_CACHEFILE_DIR:INTERNAL"):
            found[name.split(":")[0]] = value
    return found.get("CMAKE_HOME_DIRECTORY"), found.get("CMAKE_CACHEFILE_DIR")
