"""Import hw4's needle from this checkout, without copying it.

The course ships needle as a folder (hw4/python/needle), not as an installed package, and its
C++ backend is built in place by `pip install -e .` at the repository root. A project therefore
depends on it by path: this module puts hw4/python first on sys.path, imports needle, and checks
that the needle it got is hw4's and that the C++ backend (`ndl.cpu()`) was built. Set
DLSYS_HW4 to another hw4 folder to use that one instead.

It also sets OMP_NUM_THREADS=1 unless it is set already, before needle's backend starts
OpenMP: on a shared 2-core machine with other work running, needle's OpenMP threads spin
against that work, and a CharGPT training step took 16.6 s with 2 threads against 1-2 s with one.
"""
import os
import sys
from pathlib import Path

HW4 = Path(os.environ.get("DLSYS_HW4", Path(__file__).resolve().parents[3] / "hw4")).resolve()
HW4_PYTHON = HW4 / "python"

if not (HW4_PYTHON / "needle" / "__init__.py").is_file():
    raise ImportError(f"hw4's needle not found at {HW4_PYTHON / 'needle'}: run from a dlsys checkout, "
                      f"or set DLSYS_HW4 to the hw4 folder")
os.environ.setdefault("OMP_NUM_THREADS", "1")
if str(HW4_PYTHON) not in sys.path:
    sys.path.insert(0, str(HW4_PYTHON))

import needle as ndl  # noqa: E402  (after the path set-up)
import needle.nn as nn  # noqa: E402

if Path(ndl.__file__).resolve().parent != HW4_PYTHON / "needle":
    raise ImportError(f"another needle was imported first ({ndl.__file__}), not hw4's ({HW4_PYTHON / 'needle'}): "
                      f"each homework's needle needs a process of its own")
if not ndl.cpu().enabled():
    raise ImportError("hw4's C++ backend is not built: run `pip install -e .` at the repository root")

__all__ = ["ndl", "nn", "HW4"]
