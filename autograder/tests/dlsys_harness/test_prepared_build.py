"""The harness starts a job's configure from a prepared build tree when one matches, from scratch otherwise.

A tiny CMake project stands for a handout (real cmake, real compiler; no Docker): it is
prepared the way docker/prepare_builds.py prepares one in the grader image (configured with
an empty source at the job's paths, the build tree kept under the key), then a job with the
student's source builds it through run.build.
"""
import ctypes
import json
import os
import shutil
import subprocess
import sys

from autograder.dlsys_harness import records
from autograder.dlsys_harness.prepared_build import configure_command, configure_key, project_key, use_prepared
from autograder.dlsys_harness.run import build

CMAKELISTS = b"cmake_minimum_required(VERSION 3.20)\nproject(toy LANGUAGES CXX)\nadd_library(answer SHARED answer.cc)\n"
STUDENT = 'extern "C" int answer() { return 42; }\n'


def handout(folder, cmakelists=CMAKELISTS, source=""):
    folder.mkdir(parents=True)
    (folder / "CMakeLists.txt").write_bytes(cmakelists)
    (folder / "answer.cc").write_text(source)
    return folder


def prepare(work, prepared, cmakelists=CMAKELISTS):
    """What the image build does: configure at the job's paths, keep the tree under its key."""
    project = handout(work / "hw", cmakelists)
    subprocess.run(configure_command(project, work / "build", False, sys.executable), check=True,
                   capture_output=True)
    key = project_key(project, False)
    shutil.move(work / "build", prepared / key)
    shutil.rmtree(project)
    return prepared / key


def run_build(work, prepared, tmp_path):
    """A job's build of the student's source at work/hw: its build record."""
    project = work / "hw"
    if not project.exists():
        handout(project, source=STUDENT)
    stream = tmp_path / "records"
    with open(stream, "wb") as fd:
        build(project, work / "build", ["answer"], fd.fileno(), 120, cuda=False, prepared=prepared)
    record = records.parse(stream.read_text().strip())
    assert record is not None and record["kind"] == "build", stream.read_text()
    assert record["ok"], record["log"]
    assert ctypes.CDLL(str(work / "build" / "libanswer.so")).answer() == 42  # the student's code, compiled
    return record


def test_the_key_changes_with_what_the_configure_reads():
    files = {"CMakeLists.txt": CMAKELISTS, "cmake/dlsys_modules.cmake": b"set(X 1)\n"}
    key = configure_key(files, cuda=False)
    assert configure_key(dict(files), cuda=False) == key
    assert configure_key(files | {"src/answer.cc": b"int x;"}, cuda=False) == key  # sources are not read
    assert configure_key(files, cuda=True) != key
    assert configure_key(files | {"CMakeLists.txt": CMAKELISTS + b"\n"}, cuda=False) != key
    assert configure_key(files | {"cmake/dlsys_modules.cmake": b""}, cuda=False) != key
    assert configure_key({"CMakeLists.txt": CMAKELISTS}, cuda=False) != configure_key(
        {"CMakeLists.txt": CMAKELISTS, "cmake/dlsys_modules.cmake": b""}, cuda=False)  # absent is not empty


def test_a_matching_prepared_tree_is_used_and_the_students_source_is_compiled(tmp_path):
    work, prepared = tmp_path / "work", tmp_path / "prepared"
    prepared.mkdir()
    tree = prepare(work, prepared)
    record = run_build(work, prepared, tmp_path)
    assert record["prepared"] is True and f"prepared build tree {tree}" in record["log"]
    assert 0 <= record["configure_seconds"] <= record["seconds"]
    assert not (tree / "libanswer.so").exists()  # the prepared tree itself is left as it was


def test_without_a_matching_tree_the_configure_starts_from_scratch(tmp_path):
    prepared = tmp_path / "prepared"
    prepared.mkdir()
    prepare(tmp_path / "other", prepared, CMAKELISTS + b"# another handout\n")
    record = run_build(tmp_path / "work", prepared, tmp_path)  # a different CMakeLists.txt
    assert record["prepared"] is False and "prepared build tree" not in record["log"]
    assert run_build(tmp_path / "bare", tmp_path / "absent", tmp_path)["prepared"] is False  # nothing prepared


def test_a_tree_prepared_for_other_folders_is_not_used(tmp_path):
    prepared = tmp_path / "prepared"
    prepared.mkdir()
    tree = prepare(tmp_path / "image", prepared)  # same key, configured at image/hw -> image/build
    work = tmp_path / "work"
    assert use_prepared(handout(work / "hw", source=STUDENT), work / "build", False, prepared) is None
    assert not (work / "build").exists()
    assert run_build(work, prepared, tmp_path)["prepared"] is False
    assert tree.is_dir()


def test_a_prepared_tree_that_fails_to_configure_costs_nothing(tmp_path):
    work, prepared = tmp_path / "work", tmp_path / "prepared"
    prepared.mkdir()
    tree = prepare(work, prepared)
    cache = tree / "CMakeCache.txt"
    lines = [line for line in cache.read_text().splitlines() if not line.startswith("CMAKE_CXX_COMPILER:")]
    cache.write_text("\n".join(lines + ["CMAKE_CXX_COMPILER:FILEPATH=/nonexistent/c++"]) + "\n")
    shutil.rmtree(tree / "CMakeFiles")  # so the cached compiler is looked at again
    record = run_build(work, prepared, tmp_path)
    assert record["prepared"] is True
    assert "did not configure; configuring from scratch" in record["log"]


def test_a_build_folder_that_holds_something_is_left_alone(tmp_path):
    work, prepared = tmp_path / "work", tmp_path / "prepared"
    prepared.mkdir()
    prepare(work, prepared)
    project = handout(work / "hw", source=STUDENT)
    (work / "build").mkdir()
    (work / "build" / "mine").write_text(json.dumps({}))
    assert use_prepared(project, work / "build", False, prepared) is None
    assert sorted(path.name for path in (work / "build").iterdir()) == ["mine"]


def test_a_prepared_tree_that_cannot_be_copied_is_skipped(tmp_path):
    work, prepared = tmp_path / "work", tmp_path / "prepared"
    prepared.mkdir()
    tree = prepare(work, prepared)
    os.mkfifo(tree / "CMakeFiles" / "a-fifo")  # copytree copies the rest, then fails on it
    project = handout(work / "hw", source=STUDENT)
    assert use_prepared(project, work / "build", False, prepared) is None
    assert not (work / "build").exists()  # nothing half-copied is left behind
    assert run_build(work, prepared, tmp_path)["prepared"] is False
