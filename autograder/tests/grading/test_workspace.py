"""The homework tree a job runs: a fresh handout with only student files over it."""
import pytest

from autograder.course.manifest import load_manifest
from autograder.course.release import release_files
from autograder.grading.workspace import project_with, reference_project

HW1 = load_manifest("hw1")


def test_the_handout_gets_the_given_student_files_and_nothing_else(tmp_path):
    mine = tmp_path / "mine.py"
    mine.write_text("# my autograd\n")
    project = project_with(HW1, {"python/needle/autograd.py": mine}, tmp_path / "project")
    assert (project / "python/needle/autograd.py").read_text() == "# my autograd\n"
    assert (project / "submit.py").is_file()  # the handout's own files are there
    other = "apps/simple_ml.py"  # a student file not submitted keeps the handout's emptied regions
    assert "raise NotImplementedError()" in (project / other).read_text()


def test_a_file_that_is_not_a_student_file_is_refused(tmp_path):
    with pytest.raises(ValueError, match="not student files of hw1"):
        project_with(HW1, {"tests/conftest.py": tmp_path / "x.py"}, tmp_path / "project")


def test_the_reference_project_is_the_handout_with_the_reference_student_files(tmp_path):
    project = reference_project(HW1, tmp_path / "project")
    for name, released in release_files(HW1).items():
        expected = (HW1.root / name).read_bytes() if name in HW1.student_files else released
        assert (project / name).read_bytes() == expected, name
