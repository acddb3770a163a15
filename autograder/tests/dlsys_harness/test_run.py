"""The in-sandbox harness: each case in its own process, values out, how a case ended.

Jobs here run as plain subprocesses (the harness does not depend on the sandbox); the
sandboxes have their own tests. The toy suite is conftest.TOY_SUITE.
"""
import os
import subprocess

import numpy as np

from autograder.course.manifest import load_manifest
from autograder.dlsys_harness import values
from autograder.dlsys_harness.protocol import run_id
from autograder.grading.job_folder import HARNESS_COMMAND, prepare_job
from autograder.grading.stream import RecordCollector


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
    found = RecordCollector([run_id(c, d) for c, d in runs]).feed_all(completed.stdout)
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
