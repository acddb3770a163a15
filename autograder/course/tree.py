"""Which files make up a snapshot: everything in its folder except what builds and runs leave behind.

Snapshot checks, handout releases and grading workspaces all walk a homework folder;
they agree on what belongs to it through this one list of what does not.
"""
from __future__ import annotations

import fnmatch
import os
from pathlib import Path

# Folder names skipped wherever they appear.
IGNORED_DIRS = {"__pycache__", ".pytest_cache", ".ipynb_checkpoints", "CMakeFiles", "build", ".ruff_cache"}
# Folders skipped only at the top of a snapshot: downloaded data sets.
IGNORED_TOP_DIRS = {"data"}
# File names (glob patterns) that are build or test outputs.
IGNORED_FILES = ("*.pyc", "*.so", "*.pyd", "*.o", "*.egg-info", "CMakeCache.txt", "cmake_install.cmake",
                 "build.ninja", ".ninja_deps", ".ninja_log", "compile_commands.json", ".DS_Store")


def is_ignored(relative: Path) -> bool:
    """Whether a path (relative to the snapshot folder) is a build or run output."""
    parts = relative.parts
    if parts and parts[0] in IGNORED_TOP_DIRS:
        return True
    if any(part in IGNORED_DIRS or part.endswith(".egg-info") for part in parts[:-1]):
        return True
    return any(fnmatch.fnmatch(relative.name, pattern) for pattern in IGNORED_FILES)


def snapshot_files(folder: Path) -> list[str]:
    """The files of a snapshot, as sorted POSIX paths relative to `folder` (links are not followed)."""
    files = []
    for directory, subdirs, names in os.walk(folder):
        here = Path(directory).relative_to(folder)
        subdirs[:] = [d for d in subdirs if not is_ignored(here / d / "_")]  # prune data/, build/, ...
        files += [(here / name).as_posix() for name in names if not is_ignored(here / name)]
    return sorted(files)
