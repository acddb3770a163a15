"""The linter's small rule set (pyproject.toml, [tool.ruff]) holds over the repository."""
import importlib.util
import subprocess
import sys

import pytest

from autograder.paths import REPO_ROOT


def test_ruff_finds_nothing():
    if importlib.util.find_spec("ruff") is None:
        pytest.skip("ruff is not installed (the test extra has it: pip install -e '.[test]')")
    done = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "."], cwd=REPO_ROOT,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
