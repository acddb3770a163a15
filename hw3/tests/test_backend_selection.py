"""backend_selection.py (given): $NEEDLE_BACKEND picks the array library needle's ops compute with.

hw3's Tensors still compute with numpy; hw4 points autograd at this module. Each case runs in a
fresh interpreter, since the choice is made once, at import.
"""
import os
import subprocess
import sys
from pathlib import Path

import pytest

HOMEWORK = Path(__file__).resolve().parent.parent
SHOW = ("import needle.backend_selection as b; "
        "print(b.array_api.__name__, b.NDArray.__name__, b.Device.__name__, b.default_device())")


def select(backend):
    env = {k: v for k, v in os.environ.items() if k != "NEEDLE_BACKEND"}
    if backend is not None:
        env["NEEDLE_BACKEND"] = backend
    return subprocess.run([sys.executable, "-c", SHOW], cwd=HOMEWORK / "python", env=env,
                          capture_output=True, text=True)


@pytest.mark.parametrize("backend, expected", [
    (None, "needle.backend_ndarray NDArray BackendDevice cpu_numpy()"),
    ("nd", "needle.backend_ndarray NDArray BackendDevice cpu_numpy()"),
    ("np", "numpy ndarray Device needle.cpu()"),
])
def test_the_backend_is_chosen_by_the_environment(backend, expected):
    result = select(backend)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected


def test_an_unknown_backend_is_refused_by_name():
    result = select("tf")
    assert result.returncode != 0
    assert "Unknown needle array backend NEEDLE_BACKEND='tf'" in result.stderr and "'nd'" in result.stderr
