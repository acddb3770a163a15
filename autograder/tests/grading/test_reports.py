"""A graded result as our JSON and as Gradescope's results.json."""
import pytest

from autograder.course.manifest import load_manifest
from autograder.grading.reports import to_gradescope, to_json
from autograder.grading.scoring import FAILED, NOT_GRADED, PASSED, CaseResult, GradeResult

HW3 = load_manifest("hw3")


def result():
    part = HW3.parts[0].name
    cases = [CaseResult("cases_a.one", "cpu", part, 2.0, 2.0, PASSED, seconds=0.5),
             CaseResult("cases_a.two", "cpu", part, 3.0, 0.0, FAILED, "out: 4 of 4 values differ", seconds=0.25),
             CaseResult("cases_a.two", "cuda", part, 3.0, 0.0, NOT_GRADED, "not graded: no GPU on this grader")]
    graded = GradeResult("hw3", cases, sandbox="local", seconds=2.0, build={"ok": True, "log": ""},
                         notices=["ignored (not a student file): notes.txt"])
    return graded, part


def test_our_json_holds_totals_parts_cases_and_timings():
    graded, part = result()
    ours = to_json(graded, HW3)
    assert (ours["score"], ours["max_score"]) == (2.0, 5.0)  # the CUDA run is not graded: not counted
    assert ours["parts"][0] == {"name": part, "score": 2.0, "max_score": 5.0}
    assert [p["max_score"] for p in ours["parts"][1:]] == [0] * (len(HW3.parts) - 1)
    assert [c["run"] for c in ours["cases"]] == ["cases_a.one[cpu]", "cases_a.two[cpu]", "cases_a.two[cuda]"]
    assert ours["seconds"] == {"total": 2.0, "cases": 0.75, "overhead": 1.25}
    assert ours["notices"] == graded.notices and ours["sandbox"] == "local" and ours["build"]["ok"]


def test_gradescope_gets_one_test_per_run_and_nothing_for_runs_not_graded():
    graded, part = result()
    theirs = to_gradescope(graded)
    assert theirs["score"] == 2.0 and theirs["execution_time"] == 2.0
    assert [t["name"] for t in theirs["tests"]] == [f"{part}: cases_a.one[cpu]", f"{part}: cases_a.two[cpu]",
                                                     f"{part}: cases_a.two[cuda]"]
    assert [t["status"] for t in theirs["tests"]] == ["passed", "failed", "failed"]
    assert [t["max_score"] for t in theirs["tests"]] == [2.0, 3.0, 0.0]
    assert theirs["tests"][1]["output"] == "failed: out: 4 of 4 values differ"
    assert theirs["output"].startswith("native build: ok\n") and "notes.txt" in theirs["output"]


@pytest.mark.parametrize("build, first_line", [(None, "ignored"), ({"ok": False}, "native build: FAILED")])
def test_gradescope_output_says_how_the_build_went(build, first_line):
    graded, _ = result()
    graded.build = build
    assert to_gradescope(graded)["output"].startswith(first_line)
