"""Preparing a grading job's folder: the homework tree, the hidden suite, the harness, job.json.

The same folder layout serves grading and publishing: the homework tree is always a fresh
handout with student files over it (the submission's, or the reference's own when
publishing; grading/workspace.py), never the reference snapshot itself. The sandbox mounts
the folder read-only at /job and runs `HARNESS_COMMAND`.
"""
from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

from autograder.course.manifest import Manifest, load_manifest
from autograder.course.release import CMAKE_RULES, homework_modules, module_calls, release_files
from autograder.course.tree import snapshot_files
from autograder.dlsys_harness.protocol import JOB_DIR_VAR, JOB_FILE, Mode
from autograder.errors import DlsysError
from autograder.paths import REPO_ROOT, homework_dirs
from autograder.sandbox.image import HandoutBuild

HARNESS_DIR = REPO_ROOT / "autograder" / "dlsys_harness"
SUITES_DIR = REPO_ROOT / "autograder" / "suites"
# Puts the job folder on sys.path wherever the sandbox mounted it, then runs the harness.
HARNESS_COMMAND = ("python3", "-c", f"import os, runpy, sys; sys.path.insert(0, os.environ['{JOB_DIR_VAR}']); "
                   "runpy.run_module('dlsys_harness.run', run_name='__main__')")
BUILD_SECONDS = 300


SHARED_SUITE = "_shared"  # helper modules every suite may import (idx writers, shared cases)
# Modules of the package a suite may import too, copied beside its helpers under these names
# (standard library and numpy only, like everything that runs in a job).
SUITE_LIBRARIES = {"_formats.py": REPO_ROOT / "autograder" / "datasets" / "formats.py"}


def suite_files(homework: str, suites: Path = SUITES_DIR) -> dict[str, Path]:
    """The files a homework's suite runs with: its own, the shared helpers and the libraries beside them."""
    folder = suites / homework
    own = sorted(folder.glob("*.py")) if folder.is_dir() else []
    if not own:
        raise DlsysError(f"{homework} has no grading suite: expected cases in {folder}/.")
    files = {path.name: path for path in sorted((suites / SHARED_SUITE).glob("*.py"))} | SUITE_LIBRARIES
    clashes = sorted(set(files) & {path.name for path in own})
    if clashes:
        raise DlsysError(f"{folder}/ holds {', '.join(clashes)}, which {suites / SHARED_SUITE}/ or SUITE_LIBRARIES "
                         "provide too: rename it.")
    return files | {path.name: path for path in own}


def _harness_files() -> dict[str, Path]:
    return {path.name: path for path in sorted(HARNESS_DIR.glob("*.py"))}


def suite_hash(homework: str, suites: Path = SUITES_DIR) -> str:
    """What published answers are keyed by: the suite's files and the harness that runs them."""
    digest = hashlib.sha256()
    for label, files in (("suite", suite_files(homework, suites)), ("harness", _harness_files())):
        for name, path in sorted(files.items()):
            digest.update(f"{label}/{name}\0".encode() + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def modules_to_build(project: Path, runs: list[tuple[str, str]]) -> list[str]:
    """The native modules the homework tree's CMakeLists.txt declares, CUDA ones only when a run
    is on CUDA: nvcc takes a while, and a CPU-only job never loads them."""
    cmake = project / "CMakeLists.txt"
    calls = module_calls(cmake.read_text()) if cmake.is_file() else []
    cuda = any(device == "cuda" for _, device in runs)
    return [call.name for call in calls if call.kind == "cpp" or cuda]


def handout_builds(root: Path = REPO_ROOT) -> list[HandoutBuild]:
    """The handouts whose configure the grader image prepares: every homework with a native
    module, with its released CMake files and an empty file for each module source."""
    builds = []
    for folder in homework_dirs(root):
        modules = homework_modules(folder.name, root)
        if not modules:
            continue
        released = release_files(load_manifest(folder.name, root))
        files = {name: released[name] for name in ("CMakeLists.txt", CMAKE_RULES)}
        files |= {source: b"" for call in modules for source in call.sources}
        builds.append(HandoutBuild(folder.name, files, cuda=any(call.kind == "cuda" for call in modules)))
    return builds


def prepare_job(manifest: Manifest, project: Path, dest: Path, *, mode: str, runs: list[tuple[str, str]] = (),
                suites: Path = SUITES_DIR, timeouts: list[float] | None = None, workers: int = 1) -> Path:
    """Lay out a job folder in `dest` (created) and return it.

    `project` is the homework tree to grade (its snapshot files are copied), `runs` the
    (case id, device) pairs to run in "grade" mode, with their time limits in `timeouts`
    (else each case's own) and `workers` of them at a time; "list" mode only describes the cases.
    """
    if timeouts is not None and len(timeouts) != len(runs):
        raise ValueError(f"{len(timeouts)} time limits for {len(runs)} runs")
    if mode not in (Mode.GRADE, Mode.LIST):
        raise ValueError(f"mode must be {Mode.GRADE!r} or {Mode.LIST!r}, got {mode!r}")
    dest.mkdir(parents=True)
    _copy_files({name: project / name for name in snapshot_files(project)}, dest / "project")
    _copy_files(suite_files(manifest.name, suites), dest / "suite")
    _copy_files(_harness_files(), dest / "dlsys_harness")
    job = {
        "homework": manifest.name, "mode": mode, "project": "project", "suite": "suite",
        "import_paths": list(manifest.import_paths),
        "modules": modules_to_build(dest / "project", runs) if mode == Mode.GRADE else [],
        "cuda": any(device == "cuda" for _, device in runs),
        "build_timeout": BUILD_SECONDS,
        "workers": max(1, int(workers)),
        "runs": [{"case": case_id, "device": device} | ({"timeout": timeouts[number]} if timeouts else {})
                 for number, (case_id, device) in enumerate(runs)],
    }
    (dest / JOB_FILE).write_text(json.dumps(job, indent=1))
    return dest


def _copy_files(files: dict[str, Path], dest: Path) -> None:
    for name, source in files.items():
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
