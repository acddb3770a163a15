"""Publishing: answers are keyed by the suite, and a suite whose points disagree with the manifest is refused."""

import pytest

from autograder.course.manifest import load_manifest
from autograder.errors import DlsysError
from autograder.grading.grade import grade
from autograder.grading.publish import publish
from sandbox_jobs import copy_suite

HW1 = load_manifest("hw1")


def test_answers_of_an_edited_suite_are_refused(tmp_path, local_sandbox):
    suites = copy_suite("hw1", tmp_path / "suites")
    publish(HW1, local_sandbox, answers_folder=tmp_path / "answers", suites=suites)
    grade(HW1, HW1.root, local_sandbox, answers_folder=tmp_path / "answers", suites=suites)
    edited = suites / "hw1" / "cases_forward.py"
    edited.write_text(edited.read_text() + "\n# a new case would go here\n")
    with pytest.raises(DlsysError, match="stale. Run `dlsys publish hw1` again"):
        grade(HW1, HW1.root, local_sandbox, answers_folder=tmp_path / "answers", suites=suites)
    with pytest.raises(DlsysError, match="No published answers for hw1"):
        grade(HW1, HW1.root, local_sandbox, answers_folder=tmp_path / "none", suites=suites)


def test_publishing_refuses_cases_whose_points_disagree_with_the_manifest(tmp_path, local_sandbox):
    suites = copy_suite("hw1", tmp_path / "suites")
    (suites / "hw1" / "cases_extra.py").write_text(
        "from dlsys_harness import case, report\n\n"
        "@case(part='forward', points=1)\ndef one_more():\n    report('x', 1)\n")
    with pytest.raises(DlsysError, match="part 'forward' is worth 15 points in the manifest, but its cases add up to 16"):
        publish(HW1, local_sandbox, answers_folder=tmp_path / "answers", suites=suites)
