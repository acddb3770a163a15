"""Choosing a sandbox by name: auto, docker, local, plain."""
from __future__ import annotations

import shutil

import pytest

from autograder.errors import DlsysError
from autograder.sandbox import DockerSandbox, LocalSandbox, pick_sandbox


def test_pick_sandbox(monkeypatch):
    with pytest.raises(DlsysError, match="unknown sandbox kind 'vm'"):
        pick_sandbox("vm")
    assert isinstance(pick_sandbox("plain"), LocalSandbox)
    monkeypatch.setattr("autograder.sandbox.docker_available", lambda: False)
    with pytest.raises(DlsysError, match="no Docker engine answers"):
        pick_sandbox("docker")
    if shutil.which("bwrap"):
        assert pick_sandbox("auto").name == "local"
    monkeypatch.setattr("autograder.sandbox.docker_available", lambda: True)
    monkeypatch.setattr("autograder.sandbox.image_exists", lambda image: image == "there")
    assert isinstance(pick_sandbox("auto", image="there"), DockerSandbox)
    with pytest.raises(DlsysError, match="missing"):
        pick_sandbox("docker", image="absent")
