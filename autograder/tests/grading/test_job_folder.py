"""The job folder: what a suite runs with, what its answers are keyed by, which modules a job builds."""
import json

import pytest

from autograder.course.manifest import load_manifest
from autograder.course.release import release
from autograder.dlsys_harness.prepared_build import configure_key, project_key
from autograder.dlsys_harness.protocol import JOB_FILE, Mode
from autograder.errors import DlsysError
from autograder.grading.job_folder import SUITE_LIBRARIES, handout_builds, prepare_job, suite_files, suite_hash
from autograder.grading.workspace import reference_project
from autograder.paths import REPO_ROOT
from sandbox_jobs import TOY_SUITE


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


def test_a_suite_runs_with_its_files_the_shared_helpers_and_the_data_formats(toy_suites):
    (toy_suites / "_shared").mkdir()
    (toy_suites / "_shared" / "_helpers.py").write_text("HELP = 1\n")
    files = suite_files("hw1", toy_suites)
    assert sorted(files) == ["_formats.py", "_helpers.py", "cases_toy.py"]
    assert files["_formats.py"] == SUITE_LIBRARIES["_formats.py"] == REPO_ROOT / "autograder/datasets/formats.py"


def test_a_suite_file_named_like_a_helper_or_no_suite_at_all_is_refused(toy_suites):
    (toy_suites / "hw1" / "_formats.py").write_text("")
    with pytest.raises(DlsysError, match="holds _formats.py"):
        suite_files("hw1", toy_suites)
    with pytest.raises(DlsysError, match="hw7 has no grading suite"):
        suite_files("hw7", toy_suites)


def test_the_job_folder_holds_the_tree_the_suite_the_harness_and_what_to_do(toy_suites, tmp_path):
    manifest = load_manifest("hw1")
    runs = [("cases_toy.adds", "cpu"), ("cases_toy.gets_the_device", "cuda")]
    job = prepare_job(manifest, manifest.root, tmp_path / "job", mode=Mode.GRADE, runs=runs, suites=toy_suites)
    assert sorted(p.name for p in job.iterdir()) == ["dlsys_harness", JOB_FILE, "project", "suite"]
    assert (job / "project" / "python/needle/autograd.py").read_bytes() == (manifest.root / "python/needle/autograd.py").read_bytes()
    assert (job / "suite" / "cases_toy.py").is_file() and (job / "suite" / "_formats.py").is_file()
    assert (job / "dlsys_harness" / "protocol.py").is_file()
    described = json.loads((job / JOB_FILE).read_text())
    assert described["mode"] == Mode.GRADE and described["import_paths"] == list(manifest.import_paths)
    assert described["runs"] == [{"case": "cases_toy.adds", "device": "cpu"},
                                 {"case": "cases_toy.gets_the_device", "device": "cuda"}]
    assert described["cuda"] is True and described["modules"] == []  # hw1 has no native module
    with pytest.raises(ValueError, match="mode must be"):
        prepare_job(manifest, manifest.root, tmp_path / "other", mode="grade-everything", suites=toy_suites)


def test_the_image_prepares_each_native_handout_under_the_key_its_jobs_compute(tmp_path):
    builds = {build.name: build for build in handout_builds()}
    assert sorted(builds) == ["hw0", "hw3", "hw4"] and not builds["hw0"].cuda and builds["hw3"].cuda
    for name, build in builds.items():
        manifest = load_manifest(name)
        job = prepare_job(manifest, reference_project(manifest, tmp_path / name), tmp_path / f"{name}-job",
                          mode="grade", runs=[])
        for cuda in (False, True):
            assert configure_key(build.files, cuda) == project_key(job / "project", cuda)
        # Only the handout's build files go into the image; module sources are empty placeholders.
        sources = {path: data for path, data in build.files.items() if not path.startswith(("CMakeLists", "cmake/"))}
        assert sources and set(sources.values()) == {b""}
        assert set(build.files) - set(sources) == {"CMakeLists.txt", "cmake/dlsys_modules.cmake"}
