"""Each homework snapshot keeps the course's layout, and its manifest agrees with its tests."""
import configparser
import re
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.course.manifest import load_manifest
from autograder.course.tree import snapshot_files
from autograder.paths import REPO_ROOT, homework_dirs

HOMEWORKS = homework_dirs()
NEEDLE_SNAPSHOTS = [d for d in HOMEWORKS if (d / "python" / "needle").is_dir()]
# Files where solution regions (`### BEGIN YOUR SOLUTION`, `// BEGIN YOUR SOLUTION`) may appear.
CODE_SUFFIXES = {".py", ".cpp", ".cc", ".cu", ".h", ".cuh"}


def declared_markers(homework):
    config = configparser.ConfigParser()
    config.read(homework / "pytest.ini")
    lines = config["pytest"]["markers"].strip().splitlines()
    return {line.split(":")[0].strip() for line in lines}


def test_every_homework_has_a_manifest_and_hw1_onwards_are_needle_snapshots():
    names = [d.name for d in HOMEWORKS]
    assert names[:2] == ["hw0", "hw1"]
    assert [load_manifest(d).name for d in HOMEWORKS] == names
    assert [d.name for d in NEEDLE_SNAPSHOTS] == names[1:]


@pytest.mark.parametrize("homework", HOMEWORKS, ids=lambda d: d.name)
def test_manifest_parts_are_the_pytest_markers_and_each_is_used(homework):
    markers = [part.marker for part in load_manifest(homework).parts]
    assert set(markers) == declared_markers(homework)
    tests = "\n".join(p.read_text() for p in (homework / "tests").rglob("test_*.py"))
    for marker in markers:
        assert re.search(rf"pytest\.mark\.{marker}\b", tests), f"{homework.name}: no test carries {marker}"


@pytest.mark.parametrize("homework", HOMEWORKS, ids=lambda d: d.name)
def test_student_files_hold_solution_regions_and_no_other_code_does(homework):
    student_files = load_manifest(homework).student_files
    for name in student_files:
        text = (homework / name).read_text()
        assert "### BEGIN YOUR SOLUTION" in text or "// BEGIN YOUR SOLUTION" in text, name
    code = [name for name in snapshot_files(homework) if Path(name).suffix in CODE_SUFFIXES]
    outside = [name for name in code if name not in student_files
               and "BEGIN YOUR SOLUTION" in (homework / name).read_text()]
    assert outside == [], f"{homework.name}: solution regions outside the student files: {outside}"


@pytest.mark.parametrize("homework", NEEDLE_SNAPSHOTS, ids=lambda d: d.name)
def test_needle_imports_the_way_course_notebooks_do(homework):
    script = 'import sys; sys.path.append("./python"); import needle as ndl; print((ndl.Tensor([1.0, 2.0]) * 2).numpy())'
    result = subprocess.run([sys.executable, "-c", script], cwd=homework, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[2. 4.]"


@pytest.mark.parametrize("homework", NEEDLE_SNAPSHOTS, ids=lambda d: d.name)
def test_needle_snapshot_has_the_course_layout(homework):
    import_paths = list(load_manifest(homework.name).import_paths)  # python/, and apps/ where there is one
    for name in ["python/needle/__init__.py", "python/needle/autograd.py", "python/needle/ops/__init__.py",
                 "python/needle/init/__init__.py", "tests", "README.md", "pytest.ini", *import_paths]:
        assert (homework / name).exists(), f"{homework.relative_to(REPO_ROOT)}/{name} is missing"


@pytest.mark.parametrize("homework", HOMEWORKS, ids=lambda d: d.name)
def test_git_ignores_none_of_a_snapshots_files(homework):
    """`git add hwN` must take every file (a bare `data/` pattern once hid `python/needle/data/`)."""
    files = [f"{homework.name}/{name}" for name in snapshot_files(homework)]
    result = subprocess.run(["git", "check-ignore", "--no-index", "--stdin"], cwd=REPO_ROOT, text=True,
                            input="\n".join(files), capture_output=True)
    assert result.returncode == 1 and result.stdout == "", f"ignored by .gitignore: {result.stdout}"
