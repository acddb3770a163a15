"""Where things are: the repository root, its homework snapshots, and data dirs.

The package is installed editable, in place, so the repository is the folder
that holds this package.
"""
import os
import re
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent

HOMEWORK_NAME = re.compile(r"hw\d+")


def homework_dirs(root: Path = REPO_ROOT) -> list[Path]:
    """Every homework snapshot (hw0, hw1, ...) in the repository, in course order."""
    found = [p for p in root.iterdir() if p.is_dir() and HOMEWORK_NAME.fullmatch(p.name)]
    return sorted(found, key=lambda p: int(p.name[2:]))


def data_dirs(root: Path = REPO_ROOT) -> list[Path]:
    """Where to look for downloaded data sets, most specific first.

    $DLSYS_DATA_DIR, then the repository's own data/ (what `dlsys data fetch`
    writes by default), then a shared data folder beside the repository, which
    course machines provide.
    """
    candidates = []
    if os.environ.get("DLSYS_DATA_DIR"):
        candidates.append(Path(os.environ["DLSYS_DATA_DIR"]))
    candidates += [root / "data", root.parent / "shared" / "data"]
    return candidates
