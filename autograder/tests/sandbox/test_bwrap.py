"""The bubblewrap command line: only what a job must see, nothing of the host writable."""
from __future__ import annotations

from pathlib import Path

from autograder.paths import REPO_ROOT
from autograder.sandbox import Job, JobLimits
from autograder.sandbox.bwrap import bwrap_argv, cuda_bin_folders, python_mounts, sandbox_path


def test_bwrap_command_line_shows_only_what_it_must(tmp_path):
    job = Job(tmp_path, ("python3", "/job/x.py"), JobLimits(scratch_mb=64), env={"EXTRA": "1"})
    argv = bwrap_argv("bwrap", job, ["/opt/py"], {"/etc/passwd": 5})
    line = " ".join(argv)
    for flag in ("--unshare-all", "--unshare-user --uid 65534 --gid 65534", "--cap-drop ALL", "--die-with-parent",
                 "--new-session", "--clearenv", "--disable-userns", "--proc /proc", "--dev /dev"):
        assert flag in line
    assert f"--ro-bind {tmp_path.resolve()} /job" in line
    assert f"--size {64 << 20} --perms 0755 --tmpfs /work" in line
    assert "--ro-bind /opt/py /opt/py" in line and "--ro-bind-data 5 /etc/passwd" in line
    assert "--setenv HOME /work" in line and "--setenv EXTRA 1" in line and "--setenv OMP_NUM_THREADS 2" in line
    assert argv[-3:] == ["--", "python3", "/job/x.py"]
    binds = [argv[i + 1] for i, a in enumerate(argv) if a in ("--bind", "--ro-bind", "--dev-bind")]
    assert str(REPO_ROOT) not in binds and str(Path.home()) not in binds and "/" not in binds
    assert "--bind" not in argv  # nothing of the host is writable
    old = bwrap_argv("bwrap", job, [], {}, new_features=False)
    assert "--size" not in old and "--disable-userns" not in old


def test_a_python_under_the_jobs_scratch_folders_is_mounted_beside_them(tmp_path):
    """A venv inside a repository under /work would otherwise show among the job's own files."""
    job = Job(tmp_path, ("python3", "/job/x.py"))
    argv = bwrap_argv("bwrap", job, ["/work/repo/.venv", "/opt/py", "/tmp/build-venv"], {})
    line = " ".join(argv)
    assert "--ro-bind /work/repo/.venv /opt/grader-python-0" in line
    assert "--ro-bind /opt/py /opt/py" in line
    assert "--ro-bind /tmp/build-venv /opt/grader-python-2" in line
    assert python_mounts(["/work", "/workshop/py"]) == {"/work": "/opt/grader-python-0", "/workshop/py": "/workshop/py"}



def test_the_jobs_path_holds_the_folder_of_nvcc_when_jobs_can_see_it(tmp_path):
    assert cuda_bin_folders("/usr/bin/env") == ["/usr/bin"]  # an executable under /usr, as nvcc would be
    outside = tmp_path / "nvcc"
    outside.write_text("#!/bin/sh\n")
    outside.chmod(0o755)
    assert cuda_bin_folders(str(outside)) == []  # not under /usr: a job cannot see it
    assert cuda_bin_folders("/usr/no-such-cuda/bin/nvcc") == []
    assert set(cuda_bin_folders()) <= set(sandbox_path({}).split(":"))  # this host's, if it has one
