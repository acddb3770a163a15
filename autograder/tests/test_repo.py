"""Repository-level promises: the README's two commands come first and CI runs the test one."""
import re

from autograder.paths import REPO_ROOT


def readme_commands():
    """The commands of the README's first code block, without their comments."""
    block = re.search(r"```bash\n(.*?)```", (REPO_ROOT / "README.md").read_text(), re.S).group(1)
    return [line.split("#")[0].strip() for line in block.splitlines() if line.strip()]


def test_readme_opens_with_the_two_commands():
    head = (REPO_ROOT / "README.md").read_text().splitlines()[:6]
    assert head[0].startswith("# ") and "```bash" in head
    main_job, tests = readme_commands()
    assert main_job.startswith("pip install -e .") and main_job.endswith("dlsys serve")
    assert tests.startswith("pip install -e") and tests.endswith("dlsys test")


def test_ci_runs_the_readme_test_command():
    ci = (REPO_ROOT / ".ci" / "run").read_text()
    test_command = readme_commands()[1]
    assert any(line.strip() == test_command for line in ci.splitlines()), (
        f".ci/run must run the README's test command: {test_command!r}"
    )
    assert ci.startswith("#!/usr/bin/env bash") and "set -euo pipefail" in ci
