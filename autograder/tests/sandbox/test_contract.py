"""The job contract (job.py), held by both sandboxes: the same hostile little jobs run in
LocalSandbox and DockerSandbox.

Each job is a tiny Python script written into a fresh job folder and run as
`python3 /job/x.py` (conftest.make_job). The sandbox fixtures are in conftest.py: a sandbox
that is missing skips, unless DLSYS_REQUIRE_SANDBOXES=1 (then it fails); the grader image is
built once per session.
"""
from __future__ import annotations

import importlib.metadata
import importlib.util
import shutil
import socket
import subprocess
import threading
import time
import tracemalloc
import uuid
from pathlib import Path

import pytest

from autograder.paths import REPO_ROOT
from sandbox_jobs import IS_ROOT, host_ip, make_job, marker, run_code, survivors


def test_exit_code_and_stdout_round_trip(sandbox, tmp_path):
    result = run_code(sandbox, tmp_path, "import sys\nprint('a 1')\nprint('b 2.5')\nsys.exit(3)\n")
    assert (result.returncode, result.stdout, result.killed) == (3, b"a 1\nb 2.5\n", None)
    assert not result.ok
    assert run_code(sandbox, tmp_path, "print('fine')").ok


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
    result = run_code(sandbox, tmp_path, code, on_line=lambda line: seen.append((time.monotonic() - start, line)))
    end = time.monotonic() - start
    assert [line for _, line in seen] == ["line 0", "line 1", "line 2", "tail without newline"]
    assert seen[0][0] < end - 0.6, "the first line arrived only at the end: not streamed"
    assert result.ok


def test_a_job_that_closes_its_output_is_still_waited_for(sandbox, tmp_path):
    code = "import os, time\nprint('bye', flush=True)\nos.close(1)\nos.close(2)\ntime.sleep(1)\nos._exit(7)\n"
    result = run_code(sandbox, tmp_path, code, wall_seconds=10)
    assert (result.returncode, result.killed, result.stdout) == (7, None, b"bye\n")
    assert result.seconds >= 1


def test_an_error_in_on_line_still_ends_the_job(sandbox, tmp_path):
    mark = marker()

    def explode(line):
        raise RuntimeError(f"display broke on {line!r}")

    code = "import time\nprint('first', flush=True)\ntime.sleep(30)\n"
    with pytest.raises(RuntimeError, match="display broke on 'first'"):
        run_code(sandbox, tmp_path, code, args=(mark,), on_line=explode, wall_seconds=30)
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
    result = run_code(sandbox, tmp_path, code, memory_mb=512, cpus=2)
    assert result.ok, result.stderr_tail
    lines = result.stdout.decode().splitlines()
    assert lines[0] == "65534 /work /work /job /work"
    assert lines[1] == "400"  # numpy and a threaded matmul work under the memory limit
    assert lines[2] in ("job EROFS", "job EACCES")
    assert lines[3] == "True w"  # only the job's own processes are visible


def test_wall_clock_kill(sandbox, tmp_path):
    start = time.monotonic()
    result = run_code(sandbox, tmp_path, "print('spinning', flush=True)\nwhile True: pass\n", wall_seconds=2)
    elapsed = time.monotonic() - start
    assert result.killed == "time limit"
    assert result.stdout == b"spinning\n"
    assert elapsed < 3.5
    assert run_code(sandbox, tmp_path, "print(1)").ok


def test_wall_clock_kill_while_the_job_floods_its_output(sandbox, tmp_path):
    code = """
        import sys
        while True:
            sys.stderr.write("e" * 65536)
            sys.stdout.write("o" * 100 + "\\n")
    """
    start = time.monotonic()
    result = run_code(sandbox, tmp_path, code, wall_seconds=2, stdout_bytes=1 << 30)
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
    result = run_code(sandbox, tmp_path, code, cpus=0.5)
    assert result.ok, result.stderr_tail
    assert float(result.stdout) < 0.75  # about 0.5 of a core, not a whole one


def test_huge_allocation_is_refused(sandbox, tmp_path):
    result = run_code(sandbox, tmp_path, "x = b'\\1' * (10 << 30)\nprint(len(x))\n", memory_mb=512)
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
    result = run_code(sandbox, tmp_path, code, memory_mb=256)
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
    result = run_code(sandbox, tmp_path, code, args=(mark,), pids=32, wall_seconds=10)
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
            result = run_code(sandbox, tmp_path, code)
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
        result = run_code(sandbox, tmp_path, code)
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
        result = run_code(sandbox, tmp_path, code, stdout_bytes=4 << 20, wall_seconds=60)
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
        result = run_code(sandbox, tmp_path, code, stderr_bytes=1000, wall_seconds=60)
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
    result = run_code(sandbox, tmp_path, code, wall_seconds=20)
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


def test_a_segfault_is_a_result_not_a_problem(sandbox, tmp_path):
    result = run_code(sandbox, tmp_path, "import ctypes\nprint('before', flush=True)\nctypes.string_at(0)\n")
    assert result.returncode in (139, -11)
    assert result.killed is None and result.stdout == b"before\n"
    assert run_code(sandbox, tmp_path, "print('still fine')").stdout == b"still fine\n"


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
        results[name] = run_code(sandbox, tmp_path, code, args=(name,))

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
