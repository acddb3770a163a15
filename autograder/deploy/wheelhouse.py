"""Wheels for an image, downloaded by the host's pip: build containers do not reach the package index
(no certificate setup inside), so every image installs with `pip install --no-index` from these."""
from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path

WHEEL_CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "dlsys" / "wheels"

# The wheel platforms asked for: manylinux_2_28 down to manylinux2014 (glibc 2.17), i.e.
# wheels that run on any base with glibc >= 2.28 (Debian 10+, Ubuntu 20.04+).
MANYLINUX = tuple(f"manylinux_2_{minor}" for minor in range(28, 16, -1)) + ("manylinux2014",)


def pip_download(requirements: list[str], python_version: str, dest: Path) -> tuple[int, str]:
    """Run the host's pip download of binary wheels of `requirements` (and their dependencies)
    for CPython `python_version` on this machine's architecture; (exit status, output)."""
    arch = {"amd64": "x86_64", "arm64": "aarch64"}.get(platform.machine().lower(), platform.machine().lower())
    command = [sys.executable, "-m", "pip", "download", "--only-binary=:all:", "--python-version", python_version,
               "--implementation", "cp", "--dest", str(dest), "--no-input", "--disable-pip-version-check"]
    for tag in MANYLINUX:
        command += ["--platform", f"{tag}_{arch}"]
    done = subprocess.run(command + requirements, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True)
    return done.returncode, done.stdout
