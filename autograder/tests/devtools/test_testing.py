"""`dlsys test` machinery on a throwaway repository tree with real pytest processes."""
import shutil
import textwrap

import pytest

from autograder.devtools import testing
from autograder.errors import DlsysError


def write_test(folder, name, body):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(textwrap.dedent(body))


@pytest.fixture
def repo(tmp_path):
    """hw0 passes, hw1 has a failure, hw2 has no tests, hw10 sorts after hw2; each defines `needle`.
    project/ has tests in two folders, run from the root as `python -m pytest project`."""
    for hw in ("hw0", "hw1", "hw10"):
        write_test(tmp_path / hw / "python" / "needle", "__init__.py", f"NAME = {hw!r}\n")
        write_test(tmp_path / hw / "tests", "conftest.py",
                   "import sys, pathlib\nsys.path.insert(0, str(pathlib.Path(__file__).parent.parent / 'python'))\n")
    write_test(tmp_path / "hw0" / "tests", "test_ok.py", """
        import needle
        def test_own_needle(): assert needle.NAME == "hw0"
        def test_two(): assert 1 + 1 == 2
    """)
    write_test(tmp_path / "hw1" / "tests", "test_mixed.py", """
        import needle, pytest
        def test_own_needle(): assert needle.NAME == "hw1"
        def test_broken(): assert 1 == 2
        @pytest.mark.skip(reason="demo")
        def test_skipped(): pass
    """)
    (tmp_path / "hw2" / "tests").mkdir(parents=True)
    write_test(tmp_path / "hw10" / "tests", "test_ok.py", "import needle\ndef test_needle(): assert needle.NAME == 'hw10'\n")
    write_test(tmp_path / "project" / "example" / "tests", "test_example.py", "def test_example(): pass\n")
    write_test(tmp_path / "project" / "template" / "tests", "test_template.py", """
        import os, pathlib
        def test_runs_from_the_root(): assert pathlib.Path(os.getcwd(), "project").is_dir()
    """)
    write_test(tmp_path / "autograder" / "tests", "test_self.py", "def test_self(): pass\n")
    (tmp_path / "docs").mkdir()
    return tmp_path


def test_targets_in_course_order_then_project_then_autograder(repo):
    assert list(testing.discover_targets(repo)) == ["hw0", "hw1", "hw2", "hw10", "project", "autograder"]


def test_project_runs_every_test_under_project_from_the_root(repo):
    (project,) = testing.select_targets(["project"], repo)
    assert (project.directory, project.paths) == (repo, ("project",))
    outcome = testing.run_target(project)
    assert (outcome.passed, outcome.failed, outcome.ok) == (2, 0, True)


def test_without_a_project_folder_there_is_no_project_target(repo):
    shutil.rmtree(repo / "project")
    assert "project" not in testing.discover_targets(repo)


def test_select_targets_rejects_unknown_names(repo):
    with pytest.raises(DlsysError, match="No tests for hw7"):
        testing.select_targets(["hw0", "hw7"], repo)
    assert [t.name for t in testing.select_targets(["hw1"], repo)] == ["hw1"]


def test_a_tree_without_tests_is_an_error(tmp_path):
    with pytest.raises(DlsysError, match="No tests found"):
        testing.select_targets([], tmp_path)


def test_each_homework_runs_in_its_own_process_with_its_own_needle(repo):
    hw0, hw10 = (testing.run_target(t) for t in testing.select_targets(["hw0", "hw10"], repo))
    assert (hw0.passed, hw0.failed, hw0.ok) == (2, 0, True)
    assert (hw10.passed, hw10.ok) == (1, True)


def test_a_failure_is_counted_and_not_ok(repo):
    outcome = testing.run_target(testing.select_targets(["hw1"], repo)[0])
    assert (outcome.passed, outcome.failed, outcome.skipped) == (1, 1, 1)
    assert not outcome.ok and outcome.verdict == "FAILED" and outcome.returncode == 1


def test_collecting_no_test_is_a_failure(repo):
    outcome = testing.run_target(testing.select_targets(["hw2"], repo)[0])
    assert outcome.collected == 0 and not outcome.ok
    assert outcome.verdict == "no tests collected"


def test_pytest_arguments_are_passed_through(repo):
    outcome = testing.run_target(testing.select_targets(["hw1"], repo)[0], ("-k", "needle"))
    assert (outcome.passed, outcome.failed, outcome.ok) == (1, 0, True)


def test_summary_line_counts_errors_as_failures():
    outcomes = [testing.TestOutcome("hw0", passed=3, skipped=1), testing.TestOutcome("hw1", passed=1, failed=1, errors=2)]
    assert testing.summary_line(outcomes) == "total: 4 passed, 3 failed, 1 skipped"
