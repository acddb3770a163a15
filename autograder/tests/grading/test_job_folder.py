"""The job folder: what a suite runs with, what its answers are keyed by, which modules a job builds."""
import json

import pytest

from autograder.course.manifest import load_manifest
from autograder.course.release import release
from autograder.dlsys_harness.protocol import JOB_FILE, Mode
from autograder.errors import DlsysError
from autograder.grading.job_folder import SUITE_LIBRARIES, prepare_job, suite_files, suite_hash
from autograder.paths import REPO_ROOT
from conftest import TOY_SUITE


def test_suite_hash_changes_with_the_suite(toy_suites):
    before = suite_hash("hw1", toy_suites)
    (toy_suites / "hw1" / "cases_toy.py").write_text(TOY_SUITE + "\n# an edit\n")
    assert suite_hash("hw1", toy_suites) != before


def test_a_job_builds_cuda_modules_only_when_it_runs_cuda_cases(tmp_path):
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
