"""The server image's build context: the repository's tracked files only (no secrets, no build
output), the project's requirements, and a wheelhouse downloaded once. The image itself is built
and run by test_stack.py."""
from __future__ import annotations

import subprocess

import pytest

from autograder.deploy import server_image
from autograder.errors import DlsysError


def _repo(tmp_path):
    repo = tmp_path / "repo"
    (repo / "docker").mkdir(parents=True)
    (repo / "pyproject.toml").write_text('[build-system]\nrequires = ["scikit-build-core>=0.10"]\n'
                                         '[project]\ndependencies = ["numpy>=2", "fastapi"]\n'
                                         '[project.optional-dependencies]\ngpu = ["cuda-python>=12.6"]\n'
                                         'test = ["pytest"]\n')
    (repo / "docker" / "server.Dockerfile").write_text("FROM scratch\n")
    (repo / "docker" / ".env").write_text("POSTGRES_PASSWORD=secret\n")  # staff's, never tracked
    (repo / "hw1.py").write_text("tracked\n")
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    subprocess.run(["git", "-C", str(repo), "add", "pyproject.toml", "docker/server.Dockerfile", "hw1.py"], check=True)
    (repo / "build").mkdir()
    (repo / "build" / "CMakeCache.txt").write_text("untracked build output\n")
    return repo


def _fake_download(calls):
    def download(requirements, python_version, dest):
        calls.append((tuple(requirements), python_version))
        (dest / "numpy-2.4.6-cp311-cp311-manylinux_2_28_x86_64.whl").write_bytes(b"wheel")
        return 0, "Successfully downloaded\n"
    return download


def test_requirements_are_the_projects_with_the_gpu_extra_and_the_build_tools(tmp_path):
    assert server_image.server_requirements(_repo(tmp_path)) == [
        "pip", "ninja", "scikit-build-core>=0.10", "numpy>=2", "fastapi", "cuda-python>=12.6"]


def test_context_holds_tracked_files_and_wheels_downloaded_once(tmp_path, monkeypatch):
    repo, calls = _repo(tmp_path), []
    monkeypatch.setattr(server_image, "pip_download", _fake_download(calls))
    for name in ("one", "two"):
        context = server_image.prepare_server_context(tmp_path / name, repo, "3.11", tmp_path / "cache")
        files = sorted(str(p.relative_to(context)) for p in context.rglob("*") if p.is_file())
        assert files == ["repo/docker/server.Dockerfile", "repo/hw1.py", "repo/pyproject.toml", "server.Dockerfile",
                         "wheels/numpy-2.4.6-cp311-cp311-manylinux_2_28_x86_64.whl", "wheels/requirements.txt"]
    assert len(calls) == 1 and calls[0][1] == "3.11"  # the second context came from the cache


def test_a_failed_download_says_so_and_caches_nothing(tmp_path, monkeypatch):
    repo = _repo(tmp_path)
    monkeypatch.setattr(server_image, "pip_download", lambda *a: (1, "ERROR: No matching distribution found for x"))
    with pytest.raises(DlsysError, match="No matching distribution"):
        server_image.server_wheels(repo, "3.11", tmp_path / "cache")
    assert not list((tmp_path / "cache").rglob("done"))


def test_a_folder_that_is_not_a_checkout_is_refused(tmp_path):
    with pytest.raises(DlsysError, match="not a git checkout"):
        server_image.tracked_files(tmp_path)
