"""`dlsys doctor`: what this machine offers the course's code, and what is missing.

Every probe is optional: a missing tool is reported, never raised, so the doctor
works on a student laptop as well as on a GPU grading host.
"""
import os
import platform
import shutil
import subprocess
import sys
from dataclasses import dataclass

from autograder.devtools.gpus import discover
from autograder.devtools.native import NATIVE_MODULES
from autograder.paths import REPO_ROOT

OK, WARN, FAIL = "ok", "warn", "FAIL"


@dataclass(frozen=True)
class Check:
    """One line of the report. Only FAIL lines make the doctor exit non-zero."""

    name: str
    status: str
    detail: str


def run_checks() -> list[Check]:
    return [
        check_python(),
        check_cxx_compiler(),
        check_cuda_compiler(),
        check_gpus(),
        check_docker(),
        *check_native_modules(),
    ]


def _first_line(command: list[str], timeout: float = 10.0) -> str | None:
    """First line of a command's output, or None if it cannot run."""
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    except (OSError, subprocess.TimeoutExpired):
        return None
    lines = (result.stdout or result.stderr).strip().splitlines()
    return lines[0] if result.returncode == 0 and lines else None


def check_python() -> Check:
    status = OK if sys.version_info >= (3, 10) else FAIL
    return Check("Python", status, f"{platform.python_version()} ({sys.executable})")


def check_cxx_compiler() -> Check:
    compiler = os.environ.get("CXX") or next(
        (c for c in ("c++", "g++", "clang++") if shutil.which(c)), None
    )
    version = compiler and _first_line([compiler, "--version"])
    if not version:
        return Check("C++ compiler", FAIL, "none found: install g++ (apt-get install g++) to build the native modules")
    return Check("C++ compiler", OK, version)


def find_nvcc() -> str | None:
    """nvcc from $CUDACXX, PATH, or the usual CUDA install folder."""
    candidates = [os.environ.get("CUDACXX"), shutil.which("nvcc"), "/usr/local/cuda/bin/nvcc"]
    return next((c for c in candidates if c and os.access(c, os.X_OK)), None)


def check_cuda_compiler() -> Check:
    nvcc = find_nvcc()
    if nvcc is None:
        return Check("CUDA compiler", WARN, "no nvcc: CUDA modules are not built")
    try:
        output = subprocess.run([nvcc, "--version"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.TimeoutExpired) as exc:
        return Check("CUDA compiler", WARN, f"{nvcc} does not run: {exc}")
    release = next((line.strip() for line in output.splitlines() if "release" in line), output.strip())
    return Check("CUDA compiler", OK, f"{release} ({nvcc})")


def list_gpus() -> tuple[list[str], str]:
    """Descriptions of the usable CUDA GPUs, and which probe found them (or why none is usable):
    devtools/gpus.py's discovery, which `dlsys worker` uses too."""
    found = discover()
    return [gpu.describe() for gpu in found.gpus], found.source


def check_gpus() -> Check:
    names, source = list_gpus()
    if not names:
        return Check("GPUs", WARN, f"none usable ({source}); cuda tests and cases are skipped")
    return Check("GPUs", OK, f"{len(names)} via {source}: " + "; ".join(names))


def check_docker() -> Check:
    if not shutil.which("docker"):
        return Check("Docker engine", WARN, "no docker client: grading uses the local sandbox")
    version = _first_line(["docker", "version", "--format", "{{.Server.Version}}"], timeout=10)
    if not version:
        return Check("Docker engine", WARN, "no engine answers: grading uses the local sandbox")
    return Check("Docker engine", OK, f"server {version}")


def check_native_modules() -> list[Check]:
    checks = []
    for module in NATIVE_MODULES:
        built = module.built_file()
        label = f"native {module.folder}/{module.name}"
        if built:
            checks.append(Check(label, OK, f"built: {built.relative_to(REPO_ROOT)}"))
        elif module.cuda and find_nvcc() is None:
            checks.append(Check(label, WARN, "not built: no CUDA compiler"))
        else:
            checks.append(Check(label, FAIL, "not built: run `pip install -e .` at the repository root"))
    return checks
