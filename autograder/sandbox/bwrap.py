"""The bubblewrap command line of a local-sandbox job (a pure function, for tests and for reading).

    bwrap  --unshare-all --unshare-user --uid 65534 --gid 65534 --disable-userns
           --cap-drop ALL --die-with-parent --new-session --clearenv --setenv ...
           --ro-bind /usr /usr  (+ /bin /lib /lib64 /sbin symlinks into it)
           --ro-bind /etc/alternatives, /etc/ld.so.cache; a two-line /etc/passwd and /etc/group
           --ro-bind <the grader's Python installation, at its own path>
           --ro-bind <job folder> /job   --tmpfs /work   --tmpfs /tmp   --proc /proc --dev /dev
           --remount-ro /   --chdir /work -- <command>

The Python installation keeps its host path so its absolute paths (cmake configs, .pth
files) stay valid: with pyenv that makes `/root/.pyenv/versions/X` visible, but nothing
else of /root. One that lies under /work or /tmp is mounted at PYTHON_ALIAS instead, so the
job's own scratch folders hold nothing but the job's files.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from autograder.sandbox.job import JOB_DIR, WORK_DIR, Job, job_env

SANDBOX_UID = 65534
PYTHON_ALIAS = "/opt/grader-python"  # where a Python installation under /work or /tmp is mounted instead


def python_prefixes() -> list[str]:
    """The grader's Python installation(s) to mount read-only: venv and its base."""
    prefixes = []
    for prefix in (sys.prefix, sys.base_prefix):
        real = os.path.realpath(prefix)
        if real not in prefixes and not _under(real, "/usr"):
            prefixes.append(real)
    return prefixes


def _under(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def python_mounts(prefixes: list[str]) -> dict[str, str]:
    """Where each Python installation is mounted inside: at its own path, so that its absolute
    paths stay valid, unless that path lies in the job's own /work or /tmp (a venv inside a
    repository under /work), where it would show among the job's files; then at
    `PYTHON_ALIAS-N` (a venv finds its pyvenv.cfg beside its bin/, wherever it is mounted)."""
    return {prefix: f"{PYTHON_ALIAS}-{number}" if any(_under(prefix, d) for d in (WORK_DIR, "/tmp")) else prefix
            for number, prefix in enumerate(prefixes)}


def sandbox_path(mounts: dict[str, str]) -> str:
    """PATH inside: the grader's Python first (as `mounts` places it), so `python3` is the one with
    numpy; then the system's folders, and CUDA's (CUDA images leave nvcc off the standard PATH,
    and a job that builds CUDA code finds the compiler through PATH)."""
    bins = [os.path.join(mounts.get(real, real), "bin")
            for real in (os.path.realpath(sys.prefix), os.path.realpath(sys.base_prefix))]
    bins += ["/usr/local/bin", "/usr/bin", "/bin"] + cuda_bin_folders()
    return ":".join(dict.fromkeys(bins))


def cuda_bin_folders(nvcc: str | None = None) -> list[str]:
    """The folder of the host's nvcc (`nvcc`, else $PATH's, else CUDA's usual install), when it
    lies under /usr, which jobs see."""
    nvcc = nvcc or shutil.which("nvcc") or "/usr/local/cuda/bin/nvcc"
    folder = os.path.dirname(nvcc)
    return [folder] if folder.startswith("/usr/") and os.access(nvcc, os.X_OK) else []


def bwrap_argv(
    bwrap: str,
    job: Job,
    prefixes: list[str],
    data_fds: dict[str, int],
    new_features: bool = True,
    gpu_devices: list[str] = (),
    info_fd: int | None = None,
) -> list[str]:
    """The bwrap command line for `job` (a pure function, for tests and for reading).

    `data_fds` maps /etc/passwd and /etc/group to the read ends of pipes holding their
    contents; `new_features` is False for bwrap < 0.8 (no --size, no --disable-userns);
    bwrap writes to `info_fd` once the sandbox is set up.
    """
    limits = job.limits
    scratch = str(limits.scratch_mb * 2**20)
    argv = [bwrap] + (["--info-fd", str(info_fd)] if info_fd is not None else [])
    argv += ["--unshare-all", "--unshare-user", "--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_UID)]
    if new_features:
        argv.append("--disable-userns")
    argv += ["--cap-drop", "ALL", "--die-with-parent", "--new-session", "--hostname", "sandbox"]
    argv += ["--ro-bind", "/usr", "/usr"]
    for link, target in (("/bin", "usr/bin"), ("/sbin", "usr/sbin"), ("/lib", "usr/lib"), ("/lib64", "usr/lib64")):
        if os.path.islink(link) or not os.path.exists(link):
            argv += ["--symlink", target, link]
        else:  # a host without merged /usr
            argv += ["--ro-bind", link, link]
    for etc in ("/etc/alternatives", "/etc/ld.so.cache"):
        argv += ["--ro-bind-try", etc, etc]
    for target, fd in sorted(data_fds.items()):
        argv += ["--ro-bind-data", str(fd), target]
    argv += ["--ro-bind", str(Path(job.job_dir).resolve()), JOB_DIR]
    for folder, mode in ((WORK_DIR, "0755"), ("/tmp", "1777")):
        if new_features:
            argv += ["--size", scratch]
        argv += ["--perms", mode, "--tmpfs", folder]
    mounts = python_mounts(prefixes)
    for prefix, inside in mounts.items():
        argv += ["--ro-bind", prefix, inside]
    argv += ["--proc", "/proc", "--dev", "/dev"]
    for device in gpu_devices:
        argv += ["--dev-bind", device, device]
    argv += ["--remount-ro", "/"]  # bwrap's own root tmpfs: nothing but /work and /tmp is writable
    argv += ["--clearenv", "--setenv", "PATH", sandbox_path(mounts)]
    for key, value in job_env(job).items():
        argv += ["--setenv", key, value]
    argv += ["--chdir", WORK_DIR, "--", *job.command]
    return argv


def nvidia_devices() -> list[str]:
    """The NVIDIA device nodes to bind into a job that needs a GPU (none without a driver)."""
    return sorted(str(p) for p in Path("/dev").glob("nvidia*"))


def passwd_data() -> dict[str, bytes]:
    user = f"nobody:x:{SANDBOX_UID}:{SANDBOX_UID}:nobody:{WORK_DIR}:/usr/sbin/nologin\n"
    group = f"nogroup:x:{SANDBOX_UID}:\n"
    return {"/etc/passwd": user.encode(), "/etc/group": group.encode()}


def bwrap_version(bwrap: str) -> tuple[int, ...]:
    try:
        out = subprocess.run([bwrap, "--version"], capture_output=True, text=True, timeout=10).stdout
        return tuple(int(x) for x in out.split()[-1].split("."))
    except (OSError, subprocess.SubprocessError, ValueError, IndexError):
        return (0,)
