"""The in-sandbox harness: each case in its own process, values out, how a case ended.

Jobs here run as plain subprocesses (the harness does not depend on the sandbox); the
sandboxes have their own tests.
"""
import os
import subprocess
import textwrap

import numpy as np
import pytest

from autograder.dlsys_harness import values
from autograder.grading.job_folder import HARNESS_COMMAND, prepare_job, suite_hash
from autograder.grading.stream import RecordCollector
from autograder.course.manifest import load_manifest

TOY_SUITE = '''
import os, signal, sys, time
import numpy as np
from dlsys_harness import case, report

@case(part="forward", points=1)
def adds():
    import needle as ndl
    report("out", (ndl.Tensor(np.arange(6, dtype=np.float32).reshape(2, 3)) + 1).numpy())

@case(part="forward", points=1, devices=("cpu", "cuda"))
def gets_the_device(device):
    report("is_cpu", int(device == "cpu"))

@case(part="forward", points=1, timeout=1)
def loops_forever():
    while True:
        pass

@case(part="forward", points=1)
def segfaults():
    import ctypes
    ctypes.string_at(0)

@case(part="forward", points=1)
def not_implemented():
    print("stray output from student code")
    raise NotImplementedError()

@case(part="forward", points=1)
def raises():
    {}["missing"]

@case(part="forward", points=1)
def exits_early():
    os._exit(3)

@case(part="forward", points=1)
def reports_a_string():
    report("bad", "text")

@case(part="forward", points=1)
def leaves_a_child_behind():
    if os.fork() == 0:
        time.sleep(60)
        os._exit(0)
    report("parent", 1)
'''


@pytest.fixture
def toy_suites(tmp_path):
    folder = tmp_path / "suites" / "hw1"
    folder.mkdir(parents=True)
    (folder / "cases_toy.py").write_text(textwrap.dedent(TOY_SUITE))
    return tmp_path / "suites"


def run_job(job_dir, work):
    work.mkdir()
    env = {**os.environ, "DLSYS_JOB_DIR": str(job_dir), "DLSYS_WORK_DIR": str(work)}
    return subprocess.run(HARNESS_COMMAND, cwd=work, env=env, capture_output=True, timeout=120)


def test_list_mode_describes_every_case(toy_suites, tmp_path):
    manifest = load_manifest("hw1")
    job = prepare_job(manifest, manifest.root, tmp_path / "job", mode="list", suites=toy_suites)
    found = RecordCollector().feed_all(run_job(job, tmp_path / "work").stdout)
    ids = [case["id"] for case in found.cases]
    assert ids[:3] == ["cases_toy.adds", "cases_toy.gets_the_device", "cases_toy.loops_forever"]
    assert found.cases[1]["devices"] == ["cpu", "cuda"] and found.cases[2]["timeout"] == 1.0
    assert found.done


def test_each_case_ends_in_its_own_way_and_the_rest_still_run(toy_suites, tmp_path):
    manifest = load_manifest("hw1")
    names = ["adds", "loops_forever", "segfaults", "not_implemented", "raises", "exits_early",
             "reports_a_string", "leaves_a_child_behind"]
    runs = [(f"cases_toy.{name}", "cpu") for name in names] + [("cases_toy.gets_the_device", "cuda")]
    job = prepare_job(manifest, manifest.root, tmp_path / "job", mode="grade", runs=runs, suites=toy_suites)
    completed = run_job(job, tmp_path / "work")
    found = RecordCollector([f"{c}[{d}]" for c, d in runs]).feed_all(completed.stdout)
    run = {name: found.runs[f"cases_toy.{name}[cpu]"] for name in names}

    np.testing.assert_array_equal(values.decode(run["adds"].values["out"][0]),
                                  np.arange(1, 7, dtype=np.float32).reshape(2, 3))
    assert run["adds"].status == "ok" and run["adds"].seconds < 10
    assert run["loops_forever"].status == "timeout" and "1 s" in run["loops_forever"].message
    assert run["segfaults"].status == "crashed" and "SIGSEGV" in run["segfaults"].message
    assert run["not_implemented"].status == "not_implemented"
    assert run["raises"].status == "error" and "KeyError" in run["raises"].message
    assert run["exits_early"].status == "error" and "without finishing" in run["exits_early"].message
    assert run["reports_a_string"].status == "error" and "cannot report" in run["reports_a_string"].message
    assert run["leaves_a_child_behind"].status == "ok"
    assert values.decode(found.runs["cases_toy.gets_the_device[cuda]"].values["is_cpu"][0]) == 0
    assert found.done
    # Student output goes to stderr, never into the record stream.
    assert b"stray output" in completed.stderr and b"stray output" not in completed.stdout


def test_a_case_missing_from_the_suite_is_an_error_not_a_crash(toy_suites, tmp_path):
    manifest = load_manifest("hw1")
    job = prepare_job(manifest, manifest.root, tmp_path / "job", mode="grade", runs=[("cases_toy.nope", "cpu")],
                      suites=toy_suites)
    found = RecordCollector(["cases_toy.nope[cpu]"]).feed_all(run_job(job, tmp_path / "work").stdout)
    assert found.runs["cases_toy.nope[cpu]"].status == "error"


def test_suite_hash_changes_with_the_suite(toy_suites):
    before = suite_hash("hw1", toy_suites)
    (toy_suites / "hw1" / "cases_toy.py").write_text(TOY_SUITE + "\n# an edit\n")
    assert suite_hash("hw1", toy_suites) != before


def test_values_round_trip_with_dtype_and_shape():
    for value in [np.float32(1.5), 3, 2.0, np.arange(12, dtype=np.int64).reshape(3, 4),
                  np.ones((2, 0), dtype=np.float32), np.array([True, False])]:
        decoded = values.decode(values.encode(value))
        expected = np.asarray(value)
        assert decoded.dtype == expected.dtype and decoded.shape == expected.shape
        np.testing.assert_array_equal(decoded, expected)


def test_values_refuse_what_is_not_a_number():
    with pytest.raises(TypeError, match="cannot report"):
        values.encode(np.array(["a"]))
    with pytest.raises(TypeError, match="cannot report"):
        values.encode({"a": 1})
    with pytest.raises(ValueError, match="malformed"):
        values.decode({"dtype": "O", "shape": [1], "data": ""})
    with pytest.raises(ValueError, match="malformed"):
        values.decode({"dtype": "f4", "shape": [3], "data": "AAAA"})


def test_a_job_builds_cuda_modules_only_when_it_runs_cuda_cases(tmp_path):
    import json

    from autograder.course.release import release

    manifest = load_manifest("hw3")
    handout = release(manifest, tmp_path / "handout")  # the tree grading builds: it has the CMakeLists.txt
    only_cpu = [("cases_compact.x_cpp", "cpu")]
    with_cuda = only_cpu + [("cases_compact.x_cuda", "cuda")]
    built = {}
    for name, runs in [("cpu", only_cpu), ("cuda", with_cuda)]:
        job = prepare_job(manifest, handout, tmp_path / name, mode="grade", runs=runs)
        built[name] = json.loads((job / "job.json").read_text())
    assert built["cpu"]["modules"] == ["ndarray_backend_cpu"] and not built["cpu"]["cuda"]
    assert built["cuda"]["modules"] == ["ndarray_backend_cpu", "ndarray_backend_cuda"] and built["cuda"]["cuda"]
    listing = prepare_job(manifest, handout, tmp_path / "list", mode="list")
    assert json.loads((listing / "job.json").read_text())["modules"] == []
