"""Each homework snapshot keeps the course's layout, and its manifest agrees with its tests.

(The manifest loader with full validation comes with the grading work; this keeps the
hand-written manifests honest until then.)
"""
import configparser
import re
import subprocess
import sys
import tomllib

import pytest

from autograder.paths import REPO_ROOT, homework_dirs

MANIFESTED = [d for d in homework_dirs() if (d / "homework.toml").is_file()]
NEEDLE_SNAPSHOTS = [d for d in homework_dirs() if (d / "python" / "needle").is_dir()]


def declared_markers(homework):
    config = configparser.ConfigParser()
    config.read(homework / "pytest.ini")
    lines = config["pytest"]["markers"].strip().splitlines()
    return {line.split(":")[0].strip() for line in lines}


def test_hw1_onwards_are_needle_snapshots_with_manifests():
    later = [d.name for d in homework_dirs() if d.name != "hw0"]
    assert "hw1" in later
    assert later == [d.name for d in NEEDLE_SNAPSHOTS] == [d.name for d in MANIFESTED]


@pytest.mark.parametrize("homework", MANIFESTED, ids=lambda d: d.name)
def test_manifest_parts_are_the_pytest_markers_and_each_is_used(homework):
    manifest = tomllib.loads((homework / "homework.toml").read_text())
    parts = manifest["parts"]
    markers = [part["marker"] for part in parts]
    assert set(markers) == declared_markers(homework)
    assert all(isinstance(part["points"], int) and part["points"] > 0 for part in parts)
    tests = "\n".join(p.read_text() for p in (homework / "tests").rglob("test_*.py"))
    for marker in markers:
        assert re.search(rf"pytest\.mark\.{marker}\b", tests), f"{homework.name}: no test carries {marker}"


@pytest.mark.parametrize("homework", MANIFESTED, ids=lambda d: d.name)
def test_student_files_exist_and_hold_solution_regions(homework):
    manifest = tomllib.loads((homework / "homework.toml").read_text())
    for name in manifest["student_files"]:
        text = (homework / name).read_text()
        assert "### BEGIN YOUR SOLUTION" in text or "// BEGIN YOUR SOLUTION" in text, name
    regions = sum(p.read_text().count("BEGIN YOUR SOLUTION") for p in homework.rglob("*.py"))
    in_student_files = sum((homework / n).read_text().count("BEGIN YOUR SOLUTION") for n in manifest["student_files"])
    assert regions == in_student_files, "a solution region sits outside the student-editable files"


@pytest.mark.parametrize("homework", NEEDLE_SNAPSHOTS, ids=lambda d: d.name)
def test_needle_imports_the_way_course_notebooks_do(homework):
    script = 'import sys; sys.path.append("./python"); import needle as ndl; print((ndl.Tensor([1.0, 2.0]) * 2).numpy())'
    result = subprocess.run([sys.executable, "-c", script], cwd=homework, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[2. 4.]"


@pytest.mark.parametrize("homework", NEEDLE_SNAPSHOTS, ids=lambda d: d.name)
def test_needle_snapshot_has_the_course_layout(homework):
    for name in ["python/needle/__init__.py", "python/needle/autograd.py", "python/needle/ops/__init__.py",
                 "python/needle/init/__init__.py", "apps", "tests", "README.md", "pytest.ini"]:
        assert (homework / name).exists(), f"{homework.relative_to(REPO_ROOT)}/{name} is missing"
