"""The sandboxes: the same hostile little jobs, run in LocalSandbox and DockerSandbox.

Each job is a tiny Python script written into a fresh job folder and run as
`python3 /job/x.py`. The sandbox fixtures are in conftest.py: a sandbox that is missing
skips, unless DLSYS_REQUIRE_SANDBOXES=1 (then it fails); the grader image is built once
per session.
"""
from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import shutil
import socket
import subprocess
import textwrap
import threading
import time
import tracemalloc
import uuid
from pathlib import Path

import pytest

from conftest import host_ip, survivors
from autograder.errors import DlsysError
from autograder.paths import REPO_ROOT
from autograder.sandbox import (
    DockerSandbox,
    Job,
    JobLimits,
    LocalSandbox,
    OutputCollector,
    pick_sandbox,
)
from autograder.sandbox import docker as docker_module
from autograder.sandbox import image as image_module
from autograder.sandbox import local as local_module
from autograder.sandbox.bwrap import bwrap_argv
from autograder.sandbox.cgroups import CgroupFs, JobCgroups, sweep_stale_cgroups
from autograder.sandbox.docker import container_options, gpu_wanted
from autograder.sandbox.job import make_world_readable

IS_ROOT = os.geteuid() == 0


# ----------------------------------------------------------------------------- fixtures


def make_job(folder: Path, code: str, args: tuple[str, ...] = (), **limits) -> Job:
    """A job folder holding x.py, run as `python3 /job/x.py ARGS`."""
    job_dir = folder / f"job-{uuid.uuid4().hex[:8]}"
    job_dir.mkdir(parents=True)
    (job_dir / "x.py").write_text(textwrap.dedent(code))
    return Job(job_dir, ("python3", "/job/x.py", *args), JobLimits(**limits))


def run(sandbox, folder: Path, code: str, args=(), on_line=None, **limits):
    return sandbox.run(make_job(folder, code, args, **limits), on_line=on_line)


def marker() -> str:
    return f"dlsys-sandbox-test-{uuid.uuid4().hex}"


# ----------------------------------------------------------------------------- both sandboxes


def test_exit_code_and_stdout_round_trip(sandbox, tmp_path):
    result = run(sandbox, tmp_path, "import sys\nprint('a 1')\nprint('b 2.5')\nsys.exit(3)\n")
    assert (result.returncode, result.stdout, result.killed) == (3, b"a 1\nb 2.5\n", None)
    assert not result.ok
    assert run(sandbox, tmp_path, "print('fine')").ok


def test_on_line_sees_lines_in_order_as_they_come(sandbox, tmp_path):
    seen = []
    code = """
        import time
        for i in range(3):
            print(f"line {i}", flush=True)
            time.sleep(0.4)
        print("tail without newline", end="")
    """
    start = time.monotonic()
    result = run(sandbox, tmp_path, code, on_line=lambda line: seen.append((time.monotonic() - start, line)))
    end = time.monotonic() - start
    assert [line for _, line in seen] == ["line 0", "line 1", "line 2", "tail without newline"]
    assert seen[0][0] < end - 0.6, "the first line arrived only at the end: not streamed"
    assert result.ok


def test_a_job_that_closes_its_output_is_still_waited_for(sandbox, tmp_path):
    code = "import os, time\nprint('bye', flush=True)\nos.close(1)\nos.close(2)\ntime.sleep(1)\nos._exit(7)\n"
    result = run(sandbox, tmp_path, code, wall_seconds=10)
    assert (result.returncode, result.killed, result.stdout) == (7, None, b"bye\n")
    assert result.seconds >= 1


def test_an_error_in_on_line_still_ends_the_job(sandbox, tmp_path):
    mark = marker()

    def explode(line):
        raise RuntimeError(f"display broke on {line!r}")

    code = "import time\nprint('first', flush=True)\ntime.sleep(30)\n"
    with pytest.raises(RuntimeError, match="display broke on 'first'"):
        run(sandbox, tmp_path, code, args=(mark,), on_line=explode, wall_seconds=30)
    assert survivors(mark) == ""


def test_view_from_inside(sandbox, tmp_path):
    code = """
        import errno, os, numpy
        print(os.getuid(), os.getcwd(), os.environ["HOME"], os.environ["DLSYS_JOB_DIR"], os.environ["DLSYS_WORK_DIR"])
        a = numpy.ones((400, 400)); print(int((a @ a)[0, 0]))
        open("/work/out.txt", "w").write("w"); open("/tmp/t.txt", "w").write("t")
        try:
            open("/job/new.txt", "w")
            print("job writable")
        except OSError as e:
            print("job", errno.errorcode[e.errno])
        procs = [p for p in os.listdir("/proc") if p.isdigit()]
        print(len(procs) < 10, open("/work/out.txt").read())
    """
    result = run(sandbox, tmp_path, code, memory_mb=512, cpus=2)
    assert result.ok, result.stderr_tail
    lines = result.stdout.decode().splitlines()
    assert lines[0] == "65534 /work /work /job /work"
    assert lines[1] == "400"  # numpy and a threaded matmul work under the memory limit
    assert lines[2] in ("job EROFS", "job EACCES")
    assert lines[3] == "True w"  # only the job's own processes are visible


def test_wall_clock_kill(sandbox, tmp_path):
    start = time.monotonic()
    result = run(sandbox, tmp_path, "print('spinning', flush=True)\nwhile True: pass\n", wall_seconds=2)
    elapsed = time.monotonic() - start
    assert result.killed == "time limit"
    assert result.stdout == b"spinning\n"
    assert elapsed < 3.5
    assert run(sandbox, tmp_path, "print(1)").ok


def test_wall_clock_kill_while_the_job_floods_its_output(sandbox, tmp_path):
    code = """
        import sys
        while True:
            sys.stderr.write("e" * 65536)
            sys.stdout.write("o" * 100 + "\\n")
    """
    start = time.monotonic()
    result = run(sandbox, tmp_path, code, wall_seconds=2, stdout_bytes=1 << 30)
    assert result.killed == "time limit"
    assert time.monotonic() - start < 4


def test_cpu_share_is_capped(sandbox, tmp_path):
    code = """
        import time
        wall, cpu = time.monotonic(), time.process_time()
        while time.monotonic() - wall < 1.5:
            pass
        print(round((time.process_time() - cpu) / (time.monotonic() - wall), 2))
    """
    result = run(sandbox, tmp_path, code, cpus=0.5)
    assert result.ok, result.stderr_tail
    assert float(result.stdout) < 0.75  # about 0.5 of a core, not a whole one


def test_huge_allocation_is_refused(sandbox, tmp_path):
    result = run(sandbox, tmp_path, "x = b'\\1' * (10 << 30)\nprint(len(x))\n", memory_mb=512)
    assert result.killed == "memory limit" or (result.returncode == 1 and "MemoryError" in result.stderr_tail)
    assert result.stdout == b""


def test_memory_limit_kills_a_growing_job(sandbox, tmp_path):
    code = """
        import numpy
        held = []
        for i in range(32):  # 64 MB more each step, every page touched: 2 GB in all
            held.append(numpy.ones(8 << 20))
            print(i, flush=True)
    """
    result = run(sandbox, tmp_path, code, memory_mb=256)
    if sandbox.name == "docker" or IS_ROOT:  # a memory cgroup holds the job
        assert result.killed == "memory limit", (result.returncode, result.stderr_tail)
        assert result.returncode == 137
    else:  # rlimits only: the address-space limit answers first
        assert "MemoryError" in result.stderr_tail
    steps = result.stdout.split()
    assert 1 <= len(steps) < 32


def test_fork_loop_stops_at_the_pids_limit(sandbox, tmp_path):
    mark = marker()
    code = """
        import os, sys, time
        children = []
        for _ in range(64):  # bounded first: twice the limit
            try:
                pid = os.fork()
            except BlockingIOError:
                break
            if pid == 0:
                time.sleep(60)
                os._exit(0)
            children.append(pid)
        print(len(children), flush=True)
        if len(children) == 64:  # no limit binds: do not go on to the unbounded loop
            for pid in children:
                os.kill(pid, 9)
            sys.exit(3)
        end = time.monotonic() + 1.5
        while time.monotonic() < end:  # unbounded: every child forks too
            try:
                os.fork()
            except OSError:
                pass
        os._exit(0)
    """
    result = run(sandbox, tmp_path, code, args=(mark,), pids=32, wall_seconds=10)
    forked = int(result.stdout.split()[0])
    assert 20 <= forked < 32, result
    assert result.returncode != 3
    assert subprocess.run(["true"]).returncode == 0  # the host can still fork
    assert survivors(mark) == ""


def test_no_network(sandbox, tmp_path):
    address = host_ip()
    if address is None:
        pytest.skip("this machine has no non-loopback IPv4 address")
    connections = []
    with socket.create_server((address, 0)) as server:
        server.settimeout(0.2)
        port = server.getsockname()[1]
        stop = threading.Event()

        def accept():
            while not stop.is_set():
                try:
                    connections.append(server.accept())
                except (TimeoutError, OSError):
                    pass

        thread = threading.Thread(target=accept, daemon=True)
        thread.start()
        code = f"""
            import socket
            for target in [("1.1.1.1", 80), ({address!r}, {port})]:
                try:
                    socket.create_connection(target, timeout=3).close()
                    print("connected", target)
                except OSError as e:
                    print("refused", type(e).__name__)
        """
        try:
            result = run(sandbox, tmp_path, code)
        finally:
            stop.set()
            thread.join()
    assert result.ok, result.stderr_tail
    lines = result.stdout.decode().splitlines()
    assert len(lines) == 2 and all(line.startswith("refused") for line in lines), lines
    assert connections == []


def test_host_files_stay_out_of_reach(sandbox, tmp_path):
    secret = REPO_ROOT / "hw1" / "README.md"
    if not secret.exists():
        secret = Path(__file__)
    canary = Path.home() / f".dlsys-canary-{uuid.uuid4().hex}"
    escaped = Path("/tmp") / f"dlsys-escaped-{uuid.uuid4().hex}"
    canary.write_text("home")
    code = f"""
        import os
        def attempt(what, action):
            try:
                action()
                print(what, "yes")
            except OSError:
                print(what, "no")
        attempt("read repo", lambda: open({str(secret)!r}).read())
        attempt("read home canary", lambda: open({str(canary)!r}).read())
        attempt("read shadow", lambda: open("/etc/shadow").read())
        home = sorted(os.listdir("/root")) if os.access("/root", os.R_OK) else []
        print("home lists", [n for n in home if n != ".pyenv"])
        for path in ["/x", "/usr/x", "/job/x", "/etc/x"]:
            attempt("write " + path, lambda: open(path, "w").write("x"))
        attempt("write tmp", lambda: open({str(escaped)!r}, "w").write("x"))
    """
    try:
        result = run(sandbox, tmp_path, code)
    finally:
        canary.unlink()
    assert result.ok, result.stderr_tail
    assert result.stdout.decode().splitlines() == [
        "read repo no",
        "read home canary no",
        "read shadow no",
        "home lists []",
        "write /x no",
        "write /usr/x no",
        "write /job/x no",
        "write /etc/x no",
        "write tmp yes",
    ]
    assert not escaped.exists()  # the job's /tmp is its own


def test_a_gigabyte_on_stdout_is_cut_at_the_cap(sandbox, tmp_path):
    code = """
        import sys
        chunk = b"x" * (1 << 20) + b"\\n"
        for _ in range(1024):
            sys.stdout.buffer.write(chunk)
    """
    tracemalloc.start()
    try:
        start = time.monotonic()
        result = run(sandbox, tmp_path, code, stdout_bytes=4 << 20, wall_seconds=60)
        elapsed = time.monotonic() - start
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert result.killed == "output limit"
    assert len(result.stdout) == 4 << 20
    assert elapsed < 10
    assert peak < 48 << 20, f"the grader held {peak >> 20} MB"


def test_a_gigabyte_on_stderr_keeps_only_the_tail(sandbox, tmp_path):
    code = """
        import sys
        chunk = b"e" * (1 << 20)
        for _ in range(1024):
            sys.stderr.buffer.write(chunk)
        sys.stderr.write("THE END")
        print("done")
    """
    tracemalloc.start()
    try:
        result = run(sandbox, tmp_path, code, stderr_bytes=1000, wall_seconds=60)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert result.ok, result
    assert result.stdout == b"done\n"
    assert len(result.stderr_tail) <= 1000 and result.stderr_tail.endswith("eeeTHE END")
    assert peak < 48 << 20, f"the grader held {peak >> 20} MB"


def test_a_daemon_does_not_outlive_the_job(sandbox, tmp_path):
    mark = marker()
    code = f"""
        import os, shutil
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                os.execv(shutil.which("sleep"), [{mark!r}, "1000"])
            os._exit(0)
        os.wait()
        print("daemon started")
    """
    start = time.monotonic()
    result = run(sandbox, tmp_path, code, wall_seconds=20)
    assert result.ok, result.stderr_tail
    assert time.monotonic() - start < 5
    assert survivors(mark) == ""


CMAKE_LISTS = """
cmake_minimum_required(VERSION 3.18)
project(ext LANGUAGES CXX)
find_package(Python COMPONENTS Interpreter Development.Module REQUIRED)
find_package(pybind11 CONFIG REQUIRED)
pybind11_add_module(ext ext.cpp)
"""

EXT_CPP = """
#include <pybind11/pybind11.h>
PYBIND11_MODULE(ext, m) { m.def("add", [](int a, int b) { return a + b; }); }
"""


def test_cpp_extension_builds_and_loads_in_work(sandbox, tmp_path):
    if sandbox.name == "local":  # the local sandbox lends the grader's own tools
        missing = [t for t in ("cmake", "g++") if shutil.which(t) is None]
        missing += [] if importlib.util.find_spec("pybind11") else ["pybind11 (pip install pybind11)"]
        if missing:
            pytest.skip(f"this machine lacks {', '.join(missing)}")
    code = """
        import shutil, subprocess, sys
        shutil.copytree("/job/src", "/work/src")
        cmake_dir = subprocess.check_output([sys.executable, "-m", "pybind11", "--cmakedir"], text=True).strip()
        run = lambda *cmd: subprocess.run(cmd, check=True, stdout=sys.stderr)
        run("cmake", "-S", "/work/src", "-B", "/work/build", f"-Dpybind11_DIR={cmake_dir}",
            f"-DPython_EXECUTABLE={sys.executable}")
        run("cmake", "--build", "/work/build")
        sys.path.insert(0, "/work/build")
        import ext
        print(ext.add(2, 3), ext.__file__)
    """
    job = make_job(tmp_path, code, wall_seconds=180)
    (job.job_dir / "src").mkdir()
    (job.job_dir / "src" / "CMakeLists.txt").write_text(CMAKE_LISTS)
    (job.job_dir / "src" / "ext.cpp").write_text(EXT_CPP)
    result = sandbox.run(job)
    assert result.ok, result.stderr_tail
    value, path = result.stdout.decode().split()
    assert value == "5" and path.startswith("/work/build/ext")


def test_docker_image_runs_the_hosts_numpy_and_pybind11(docker_sandbox, tmp_path):
    code = """
        import sys, numpy, pybind11
        print(numpy.__version__)
        print(pybind11.__version__)
        print((numpy.float32(1) / 3).dtype, (numpy.ones(2, numpy.float32) * 2.5).dtype)
        print(sys.executable)
    """
    result = run(docker_sandbox, tmp_path, code)
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


def test_docker_wheels_are_asked_for_the_images_python_and_platform(tmp_path, monkeypatch):
    seen = []

    def fake_run(command, **kwargs):
        seen.append(command)
        return subprocess.CompletedProcess(command, 0, "", None)

    monkeypatch.setattr(image_module.subprocess, "run", fake_run)
    assert image_module._pip_download(["pip", "numpy==2.4.6"], "3.12", tmp_path) == (0, "")
    (command,) = seen
    line = " ".join(command)
    assert command[1:4] == ["-m", "pip", "download"] and command[-2:] == ["pip", "numpy==2.4.6"]
    for part in ("--only-binary=:all:", "--python-version 3.12", "--implementation cp", f"--dest {tmp_path}",
                 "--platform manylinux2014_", "--platform manylinux_2_28_"):
        assert part in line


def test_a_segfault_is_a_result_not_a_problem(sandbox, tmp_path):
    result = run(sandbox, tmp_path, "import ctypes\nprint('before', flush=True)\nctypes.string_at(0)\n")
    assert result.returncode in (139, -11)
    assert result.killed is None and result.stdout == b"before\n"
    assert run(sandbox, tmp_path, "print('still fine')").stdout == b"still fine\n"


def test_concurrent_jobs_do_not_interfere(sandbox, tmp_path):
    code = """
        import os, sys, time
        me = sys.argv[1]
        open(f"/work/{me}", "w").write(me)
        time.sleep(1)
        print(me, sorted(os.listdir("/work")), open(f"/work/{me}").read())
    """
    results = {}

    def one(name):
        results[name] = run(sandbox, tmp_path, code, args=(name,))

    threads = [threading.Thread(target=one, args=(name,)) for name in ("first", "second")]
    start = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert time.monotonic() - start < 4  # they overlapped
    for name in ("first", "second"):
        assert results[name].ok, results[name].stderr_tail
        assert results[name].stdout.decode() == f"{name} ['{name}'] {name}\n"


# ----------------------------------------------------------------------------- local, non-isolated


def test_plain_mode_emulates_job_and_work_and_keeps_limits(tmp_path):
    sandbox = LocalSandbox(isolated=False)
    code = """
        import os
        print(os.environ["DLSYS_JOB_DIR"])
        print(os.getcwd() == os.environ["DLSYS_WORK_DIR"] == os.environ["HOME"])
        open("out.txt", "w").write("w")
        try:
            x = b"\\1" * (10 << 30)
        except MemoryError:
            print("MemoryError")
    """
    job = make_job(tmp_path, code, memory_mb=512)
    result = sandbox.run(job)
    assert result.ok, result.stderr_tail
    assert result.stdout.decode().splitlines() == [str(job.job_dir.resolve()), "True", "MemoryError"]

    start = time.monotonic()
    result = run(sandbox, tmp_path, "while True: pass\n", wall_seconds=1)
    assert result.killed == "time limit" and time.monotonic() - start < 2.5


@pytest.mark.skipif(not IS_ROOT, reason="only root may unshare the network without a user namespace")
def test_plain_mode_has_no_network_as_root(tmp_path):
    code = """
        import socket
        try:
            socket.create_connection(("1.1.1.1", 80), timeout=3)
            print("connected")
        except OSError:
            print("refused")
    """
    assert run(LocalSandbox(isolated=False), tmp_path, code).stdout == b"refused\n"


# ----------------------------------------------------------------------------- pure pieces


def test_missing_bubblewrap_says_how_to_install_it(monkeypatch):
    monkeypatch.setattr(local_module.shutil, "which", lambda name: None)
    with pytest.raises(DlsysError, match="apt install bubblewrap"):
        LocalSandbox()
    assert LocalSandbox(isolated=False).name == "local-plain"


def test_a_sandbox_that_cannot_be_set_up_is_an_error_not_a_result(tmp_path):
    fake = tmp_path / "bwrap"
    fake.write_text("#!/bin/sh\necho 'bwrap: setting up uid map: Permission denied' >&2\nexit 1\n")
    fake.chmod(0o755)
    job = make_job(tmp_path, "print(1)")
    with pytest.raises(DlsysError, match="could not set up the sandbox .*uid map"):
        LocalSandbox(bwrap=str(fake)).run(job)


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


def test_container_options_hold_every_limit(tmp_path):
    job = Job(tmp_path, ("python3", "/job/x.py"), JobLimits(memory_mb=512, cpus=1.5, pids=64, scratch_mb=128))
    options = container_options(job, "img")
    assert options["network_mode"] == "none" and options["read_only"] and options["init"]
    assert options["mem_limit"] == options["memswap_limit"] == "512m"
    assert options["nano_cpus"] == 1_500_000_000 and options["pids_limit"] == 64
    assert options["user"] == "65534:65534" and options["cap_drop"] == ["ALL"]
    assert options["security_opt"] == ["no-new-privileges"]
    assert options["tmpfs"]["/work"].startswith("rw,exec,nosuid") and "size=128m" in options["tmpfs"]["/tmp"]
    assert options["volumes"] == {str(tmp_path.resolve()): {"bind": "/job", "mode": "ro"}}
    assert options["log_config"]["type"] == "none" and options["working_dir"] == "/work"
    assert options["environment"]["HOME"] == "/work" and options["environment"]["DLSYS_JOB_DIR"] == "/job"
    assert {u["name"] for u in options["ulimits"]} >= {"fsize", "nofile"}
    assert "device_requests" not in options


def test_job_folder_is_made_readable_for_the_sandbox_user_and_nothing_beyond(tmp_path):
    job_dir, outside = tmp_path / "job", tmp_path / "outside"
    (job_dir / "sub").mkdir(parents=True)
    outside.mkdir()
    (job_dir / "sub" / "data.txt").write_text("d")
    (job_dir / "run.sh").write_text("#!/bin/sh\n")
    (outside / "secret").write_text("s")
    (job_dir / "link").symlink_to(outside)
    for path, mode in [(job_dir / "sub" / "data.txt", 0o600), (job_dir / "run.sh", 0o700),
                       (job_dir / "sub", 0o700), (outside / "secret", 0o600), (job_dir, 0o700)]:
        path.chmod(mode)
    make_world_readable(job_dir)
    modes = {p.name: p.stat().st_mode & 0o777 for p in (job_dir, job_dir / "sub", job_dir / "sub" / "data.txt",
                                                         job_dir / "run.sh", outside / "secret")}
    assert modes == {"job": 0o755, "sub": 0o755, "data.txt": 0o644, "run.sh": 0o755, "secret": 0o600}


def test_gpus_only_for_gpu_jobs_on_an_nvidia_engine(tmp_path):
    gpu_job = Job(tmp_path, ("true",), needs_gpu=True)
    cpu_job = Job(tmp_path, ("true",))
    with_nvidia = {"runc": {}, "nvidia": {"path": "nvidia-container-runtime"}}
    assert gpu_wanted(gpu_job, with_nvidia) and not gpu_wanted(gpu_job, {"runc": {}})
    assert not gpu_wanted(cpu_job, with_nvidia)
    (request,) = container_options(gpu_job, gpu=True)["device_requests"]
    assert request["count"] == -1 and request["capabilities"] == [["gpu"]]
    try:
        import docker.types  # the SDK accepts the dict as a DeviceRequest
    except ImportError:
        return
    assert docker.types.DeviceRequest(**request)["Count"] == -1


def test_cgroups_are_found_on_v1_and_v2_machines(tmp_path):
    proc = tmp_path / "proc"
    proc.mkdir()
    (proc / "cgroup").write_text("4:memory:/grader\n8:pids:/\n1:cpu,cpuacct:/\n0::/\n")
    (proc / "mountinfo").write_text(
        "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
        "39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n"
        "32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n"
    )
    fs = CgroupFs.discover(proc)
    assert fs.v1 == {
        "memory": Path("/sys/fs/cgroup/memory/grader"),
        "pids": Path("/sys/fs/cgroup/pids"),
        "cpu": Path("/sys/fs/cgroup/cpu,cpuacct"),
    }
    (proc / "cgroup").write_text("0::/system.slice/grader.service\n")
    (proc / "mountinfo").write_text("30 23 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n")
    assert CgroupFs.discover(proc) == CgroupFs(v1={}, v2=Path("/sys/fs/cgroup/system.slice/grader.service"))


def test_cgroup_v2_limits_are_written(tmp_path):
    own = tmp_path / "grader"
    own.mkdir()
    (own / "cgroup.controllers").write_text("cpu memory pids\n")
    (own / "cgroup.subtree_control").write_text("\n")
    groups = JobCgroups.create(JobLimits(memory_mb=256, pids=40), CgroupFs(v1={}, v2=own))
    (folder,) = groups.dirs.values()
    assert (own / "cgroup.subtree_control").read_text() == "+memory +pids +cpu"
    assert (folder / "memory.max").read_text() == str(256 << 20)
    assert (folder / "pids.max").read_text() == "40"
    assert groups.procs_files == [str(folder / "cgroup.procs")]
    assert not groups.oom_killed()
    (folder / "memory.events").write_text("low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n")
    assert groups.oom_killed()


def test_cgroups_of_dead_graders_are_swept(tmp_path):
    pids = tmp_path / "pids"
    stale = pids / "dlsys-job-4194305-abc"  # above any pid_max: that grader is gone
    live = pids / f"dlsys-job-{os.getpid()}-def"
    other = pids / "docker"
    for folder in (stale, live, other):
        folder.mkdir(parents=True)
    assert sweep_stale_cgroups(CgroupFs(v1={"pids": pids}, v2=None)) == 1
    assert not stale.exists() and live.exists() and other.exists()


@pytest.mark.skipif(not IS_ROOT, reason="creating cgroups needs root")
def test_job_cgroups_are_created_and_removed():
    groups = JobCgroups.create(JobLimits(memory_mb=300, pids=20))
    dirs = dict(groups.dirs)
    assert dirs, "no cgroup created"
    if groups.version == 1:
        assert (dirs["memory"] / "memory.limit_in_bytes").read_text().strip() == str(300 << 20)
        assert (dirs["pids"] / "pids.max").read_text().strip() == "20"
    groups.remove()
    assert not any(folder.exists() for folder in dirs.values())


def test_output_collector_caps_stdout_and_keeps_the_stderr_tail():
    lines = []
    collector = OutputCollector(JobLimits(stdout_bytes=10, stderr_bytes=4), lines.append)
    assert collector.out(b"ab\ncd") and collector.out(b"e\n")
    assert not collector.out(b"fghijk\n")  # 13 bytes > 10
    collector.err(b"123456")
    collector.err(b"78")
    stdout, tail = collector.finish()
    assert (stdout, tail, lines) == (b"ab\ncde\nfgh", "5678", ["ab", "cde"])


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


def test_docker_module_imports_without_the_sdk(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_docker(name, *args, **kwargs):
        if name == "docker" or name.startswith("docker."):
            raise ImportError("no docker here")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_docker)
    assert docker_module.docker_available() is False
    with pytest.raises(DlsysError, match="pip install 'docker>=7'"):
        _ = DockerSandbox().client
