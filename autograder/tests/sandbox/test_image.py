"""The grader image: the host's numpy and pybind11 inside, wheels cached and asked for the image's platform."""
from __future__ import annotations

import importlib.metadata
import importlib.util
import json
from pathlib import Path

import pytest

from autograder.dlsys_harness.prepared_build import configure_command, configure_key
from autograder.errors import DlsysError
from autograder.sandbox import image as image_module
from sandbox_jobs import run_code


def test_docker_image_runs_the_hosts_numpy_and_pybind11(docker_sandbox, tmp_path):
    code = """
        import sys, numpy, pybind11
        print(numpy.__version__)
        print(pybind11.__version__)
        print((numpy.float32(1) / 3).dtype, (numpy.ones(2, numpy.float32) * 2.5).dtype)
        print(sys.executable)
    """
    result = run_code(docker_sandbox, tmp_path, code)
    assert result.ok, result.stderr_tail
    numpy_version, pybind11_version, dtypes, python = result.stdout.decode().splitlines()
    assert numpy_version == importlib.metadata.version("numpy")  # the reference's numpy, not Debian's 1.24
    if image_module._host_version("pybind11"):
        assert pybind11_version == image_module._host_version("pybind11")
    assert dtypes == "float32 float32"  # NEP 50: a Python scalar does not widen a float32
    assert python.startswith("/opt/venv/")


def _fake_wheel_download(calls, missing_numpy_for=()):
    """A stand-in for the host's pip download: writes wheel files named like pip's."""

    def download(requirements, python_version, dest):
        calls.append((tuple(requirements), python_version))
        tag = "cp" + python_version.replace(".", "")
        numpy_spec = requirements[1]
        if numpy_spec.startswith("numpy==") and python_version in missing_numpy_for:
            return 1, f"ERROR: No matching distribution found for {numpy_spec}\n"
        numpy_version = numpy_spec.split("==")[1] if "==" in numpy_spec else "2.2.6"
        for name in ("pip-26.3-py3-none-any.whl", f"numpy-{numpy_version}-{tag}-{tag}-manylinux_2_28_x86_64.whl",
                     "pybind11-3.1.0-py3-none-any.whl"):
            (dest / name).write_bytes(f"{name} {python_version}".encode())
        return 0, "Successfully downloaded\n"

    return download


def test_docker_build_context_is_cached_and_byte_identical(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(image_module, "_pip_download", _fake_wheel_download(calls, missing_numpy_for=("3.10",)))
    cache = tmp_path / "cache"

    def snapshot(folder):
        return {str(p.relative_to(folder)): (p.read_bytes(), p.stat().st_mode)
                for p in sorted(folder.rglob("*")) if p.is_file()}

    first = snapshot(image_module.prepare_build_context(tmp_path / "one", "3.11", cache))
    (tmp_path / "one" / "wheels" / "pip-26.3-py3-none-any.whl").write_bytes(b"changed")  # a context is a copy
    second = snapshot(image_module.prepare_build_context(tmp_path / "two", "3.11", cache))
    assert first == second and len(calls) == 1  # the second context came from the cache
    host_numpy = importlib.metadata.version("numpy")
    assert calls[0][0][:2] == ("pip", f"numpy=={host_numpy}") and calls[0][1] == "3.11"
    dockerfile = (image_module.DOCKER_DIR / "grader.Dockerfile").read_bytes()
    assert first["grader.Dockerfile"][0] == dockerfile
    assert sorted(name for name in first if name.startswith("wheels/")) == sorted(
        f"wheels/{name}" for name in ("pip-26.3-py3-none-any.whl", "pybind11-3.1.0-py3-none-any.whl",
                                      f"numpy-{host_numpy}-cp311-cp311-manylinux_2_28_x86_64.whl"))

    # No wheel of the host's numpy for that Python: the newest of the same major version.
    said = []
    wheels = image_module.grader_wheels("3.10", cache, said.append)
    major = int(host_numpy.split(".")[0])
    assert [c[0][1] for c in calls[1:]] == [f"numpy=={host_numpy}", f"numpy>={major},<{major + 1}"]
    assert any("no wheel for Python 3.10" in line for line in said)
    assert {w.parent for w in wheels} == {cache / "3.10"}
    assert any(w.name.startswith("numpy-2.2.6-cp310") for w in wheels)
    assert image_module.grader_wheels("3.10", cache) == wheels and len(calls) == 3
    with pytest.raises(DlsysError, match="like 3.11"):
        image_module.grader_wheels("bookworm", cache)


def test_docker_build_context_holds_each_handouts_configure_at_the_jobs_paths(tmp_path, monkeypatch):
    monkeypatch.setattr(image_module, "_pip_download", _fake_wheel_download([]))
    files = {"CMakeLists.txt": b"project(hw9 LANGUAGES CXX)\n", "cmake/dlsys_modules.cmake": b"# rules\n",
             "src/ext.cc": b""}
    handouts = [image_module.HandoutBuild("hw9", files, cuda=True), image_module.HandoutBuild("hw8", files)]
    context = image_module.prepare_build_context(tmp_path / "context", "3.11", tmp_path / "cache", handouts=handouts)
    folder = context / image_module.PREPARED_CONTEXT
    # hw8 has the same build files as hw9's CPU configure: one folder serves both
    assert sorted(p.name for p in folder.iterdir()) == sorted({configure_key(files, False), configure_key(files, True)})
    for cuda in (False, True):
        entry = folder / configure_key(files, cuda)
        assert {str(p.relative_to(entry / "hw")): p.read_bytes() for p in (entry / "hw").rglob("*") if p.is_file()} \
            == files
        described = json.loads((entry / "configure.json").read_text())
        assert described["cuda"] is cuda
        assert described["command"] == configure_command(Path("/work/hw"), Path("/work/build"), cuda,
                                                         image_module.IMAGE_PYTHON)
    assert (context / "prepare_builds.py").is_file()
    empty = image_module.prepare_build_context(tmp_path / "bare", "3.11", tmp_path / "cache")
    assert list((empty / image_module.PREPARED_CONTEXT).iterdir()) == []  # the Dockerfile's COPY still has its folder


def test_docker_image_keeps_prepared_build_trees_readable_and_work_empty(docker_sandbox, tmp_path):
    from autograder.grading.job_folder import handout_builds

    keys = sorted(configure_key(build.files, False) for build in handout_builds())
    code = f"""
        import os
        from pathlib import Path
        print(os.listdir("/work") == [] or os.listdir("/work"))
        for key in {keys!r}:
            cache = Path("/opt/dlsys/cmake", key, "CMakeCache.txt").read_text()
            print("CMAKE_CACHEFILE_DIR:INTERNAL=/work/build" in cache and "CMAKE_HOME_DIRECTORY:INTERNAL=/work/hw" in cache)
    """
    result = run_code(docker_sandbox, tmp_path, code)
    assert result.ok, result.stderr_tail
    assert result.stdout.decode().split() == ["True"] * (1 + len(keys))
