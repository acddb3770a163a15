"""Running a suite in a sandbox, the path grade and publish share; here in the plain local sandbox
(the same job without isolation), so it needs neither bubblewrap nor Docker."""
import pytest

from autograder.course.manifest import load_manifest
from autograder.dlsys_harness.protocol import Ending, KillReason, RecordKind, run_id
from autograder.errors import DlsysError
from autograder.grading.run_suite import SuiteRun, list_cases, run_suite
from autograder.grading.stream import JobRecords
from autograder.sandbox import JobResult, LocalSandbox

HW1 = load_manifest("hw1")


def test_runs_come_back_as_records_and_each_record_is_shown_as_it_arrives(toy_suites, tmp_path):
    runs = [("cases_toy.adds", "cpu"), ("cases_toy.not_implemented", "cpu")]
    seen = []
    suite = run_suite(HW1, HW1.root, LocalSandbox(isolated=False), tmp_path / "job", runs,
                      {run_id(*run): 5.0 for run in runs}, suites=toy_suites,
                      on_record=lambda record: seen.append(record["kind"]))
    assert suite.stopped is None
    assert suite.records.runs[run_id("cases_toy.adds", "cpu")].status == Ending.OK
    assert suite.records.runs[run_id("cases_toy.not_implemented", "cpu")].status == Ending.NOT_IMPLEMENTED
    assert seen[0] == RecordKind.START and seen[-1] == RecordKind.DONE and seen.count(RecordKind.END) == 2


def test_listing_describes_the_cases_and_a_suite_that_does_not_load_is_an_error(toy_suites, tmp_path):
    cases = list_cases(HW1, HW1.root, LocalSandbox(isolated=False), tmp_path / "list", suites=toy_suites)
    assert [case["id"] for case in cases][:2] == ["cases_toy.adds", "cases_toy.gets_the_device"]
    (toy_suites / "hw1" / "cases_broken.py").write_text("def broken(:\n")
    with pytest.raises(DlsysError, match=r"(?s)The hw1 suite could not be read .*SyntaxError"):
        list_cases(HW1, HW1.root, LocalSandbox(isolated=False), tmp_path / "list-again", suites=toy_suites)


@pytest.mark.parametrize("killed, done, returncode, stopped", [
    (None, True, 0, None),
    (KillReason.TIME_LIMIT, False, 137, KillReason.TIME_LIMIT),
    (None, False, 1, "the harness exited with status 1"),
])
def test_a_job_stopped_says_why(killed, done, returncode, stopped):
    suite = SuiteRun(JobRecords(done=done), JobResult(returncode, b"", "", 1.0, killed))
    assert suite.stopped == stopped
