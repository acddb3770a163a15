"""A fresh virtual environment layered over the one running this file: `python venvs.py DEST`.

Tests install handouts into such a venv, as a student does, with `--no-build-isolation` and
no index: the build backend (scikit-build-core, pybind11), pip, numpy and pytest must come from
the environment that runs the tests.

`python -m venv --system-site-packages` is not that environment when it is itself a venv: a
venv made from a venv gets the *base* interpreter's site-packages, never its parent venv's, so
`pip install -e ".[test]"` into `.venv` and then `dlsys test` failed with "No module named
'scikit_build_core'". A layered venv instead holds a `.pth` file that adds the running
environment's own site folders with `site.addsitedir`, which also runs the `.pth` files there
(editable installs, nested layers), behind the new venv's own site-packages.

Standard library only, and runnable as a script, so that a layered venv can make another.
"""
from __future__ import annotations

import site
import subprocess
import sys
from pathlib import Path

LAYER_FILE = "dlsys-layer.pth"


def site_folders() -> list[str]:
    """The site-packages folders of the environment running this code, in the order it reads them."""
    folders = list(site.getsitepackages())
    if site.ENABLE_USER_SITE and Path(site.getusersitepackages()).is_dir():
        folders.append(site.getusersitepackages())
    return folders


def layered_venv(dest: Path) -> Path:
    """Make a venv at `dest` (without pip of its own) that sees this environment's packages; its python."""
    dest = Path(dest)
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(dest)], check=True, capture_output=True)
    python = dest / "bin" / "python"
    own = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                         check=True, capture_output=True, text=True).stdout.strip()
    lines = [f"import site; site.addsitedir({folder!r})\n" for folder in site_folders()]
    (Path(own) / LAYER_FILE).write_text("".join(lines))
    return python


if __name__ == "__main__":
    print(layered_venv(Path(sys.argv[1])))
