"""The host's pip download of an image's wheels: binary only, for the image's Python and platform."""
from __future__ import annotations

import subprocess

from autograder.deploy import wheelhouse


def test_wheels_are_asked_for_the_images_python_and_platform(tmp_path, monkeypatch):
    seen = []

    def fake_run(command, **kwargs):
        seen.append(command)
        return subprocess.CompletedProcess(command, 0, "", None)

    monkeypatch.setattr(wheelhouse.subprocess, "run", fake_run)
    assert wheelhouse.pip_download(["pip", "numpy==2.4.6"], "3.12", tmp_path) == (0, "")
    (command,) = seen
    line = " ".join(command)
    assert command[1:4] == ["-m", "pip", "download"] and command[-2:] == ["pip", "numpy==2.4.6"]
    for part in ("--only-binary=:all:", "--python-version 3.12", "--implementation cp", f"--dest {tmp_path}",
                 "--platform manylinux2014_", "--platform manylinux_2_28_"):
        assert part in line
