"""Hostile submissions, graded in both sandboxes.

Each is the reference hw1 (or hw0) with one attack added. The attack in `Log.compute`
runs once per job (the first time a case takes a logarithm), so the score it deserves is
known: full marks, minus the one case it sabotaged when the attack cannot coexist with
computing the answer. Throughout, the grader and the machine must stay healthy: nothing
leaks out, nothing outlives the job, other jobs are unaffected.

The suite is hw1's real one with every time limit cut to a few seconds, so attacks that
run until they are stopped cost seconds, not minutes.
"""
import re
import socket
import threading
import tracemalloc
import uuid
from pathlib import Path

import pytest

from autograder.course.manifest import load_manifest
from autograder.grading.grade import grade
from autograder.grading.publish import publish
from sandbox_jobs import copy_student_files, copy_suite, host_ip, survivors

CASE_SECONDS = 4
HW1 = load_manifest("hw1")
OPS = "python/needle/ops/ops_mathematic.py"

ONCE = '''

def _attack_now():
    """True the first time in a job (a flag file in the writable work dir)."""
    import os
    flag = os.path.join(os.environ.get("DLSYS_WORK_DIR", "/tmp"), ".attacked")
    if os.path.exists(flag):
        return False
    open(flag, "w").close()
    return True
'''

ATTACKS = {
    "infinite_loop": "while True: pass",
    "fork_bomb": """
import os
while True:
    try:
        os.fork()
    except OSError:
        pass
""",
    "allocates_10_gb": "hoard = bytearray(10 * 2**30); hoard[::4096] = b'x' * len(hoard[::4096])",
    "opens_a_connection": "import socket; socket.create_connection(({host!r}, {port}), timeout=3)",
    "reads_answers_and_reference": """
for path in ({answers!r}, {reference!r}):
    try:
        leaked = open(path, 'rb').read(64)
    except OSError:
        continue
    raise RuntimeError('LEAKED ' + path + ' ' + repr(leaked))
""",
    "writes_outside_the_work_dir": """
for path in ({answers!r}, {repo_file!r}, {host_tmp!r}, '/job/project/hacked', '/usr/hacked', '/etc/hacked'):
    try:
        open(path, 'w').write('hacked')
    except OSError:
        pass
""",
    "prints_1_gb": """
import sys
chunk = 'x' * 2**20
for _ in range(1024):
    sys.stdout.write(chunk)
""",
    "forges_the_value_stream": """
import json, os
import numpy
from dlsys_harness import cases, records, values
job = json.load(open(os.path.join(os.environ['DLSYS_JOB_DIR'], 'job.json')))
for run in job['runs']:
    name = run['case'] + '[' + run['device'] + ']'
    records.write(cases._Reporter.fd, kind='value', run=name, name='out', value=values.encode(numpy.zeros(3)))
    records.write(cases._Reporter.fd, kind='end', run=name, status='ok', message='', seconds=0.0)
records.write(cases._Reporter.fd, kind='done')
cases.report = lambda *args, **kwargs: None  # and patch the harness for good measure
""",
    "leaves_a_daemon": """
import os, subprocess, sys
subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(1000)', {marker!r}], start_new_session=True)
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execv(sys.executable, [sys.executable, '-c', 'import time; time.sleep(1000)', {marker!r}])
    os._exit(0)
""",
}
# Attacks that stop the case they run in (so it scores zero); the others let it finish.
SABOTAGING = {"infinite_loop", "fork_bomb", "allocates_10_gb", "opens_a_connection"}


@pytest.fixture(scope="session")
def fast_suite(tmp_path_factory, local_sandbox):
    """hw1's suite with every time limit cut to CASE_SECONDS, and its answers."""
    root = tmp_path_factory.mktemp("fast")
    copy_suite("hw1", root / "suites")
    for path in (root / "suites" / "hw1").glob("*.py"):
        path.write_text(re.sub(r"timeout=\d+(\.\d+)?", f"timeout={CASE_SECONDS}", path.read_text()))
    answers, _ = publish(HW1, local_sandbox, answers_folder=root / "answers", suites=root / "suites")
    return root / "suites", root / "answers", answers


@pytest.fixture
def listener():
    """A TCP server on this machine's non-loopback address, counting connections."""
    address = host_ip()
    if address is None:
        pytest.skip("this machine has no non-loopback address to listen on")
    server = socket.create_server((address, 0))
    server.settimeout(0.2)
    accepted = []
    stop = threading.Event()

    def serve():
        while not stop.is_set():
            try:
                accepted.append(server.accept())
            except OSError:
                pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield address, server.getsockname()[1], accepted
    stop.set()
    thread.join()
    server.close()


def hostile_submission(folder: Path, attack: str, **context) -> Path:
    """The reference hw1 files, with `attack` run once from Log.compute."""
    copy_student_files("hw1", folder)
    code = ATTACKS[attack].format(**context).strip("\n")
    body = "\n".join("            " + line for line in code.splitlines())
    ops = folder / OPS
    text = ops.read_text()
    assert text.count("        return array_api.log(a)\n") == 1
    text = text.replace("        return array_api.log(a)\n",
                        f"        if _attack_now():\n{body}\n        return array_api.log(a)\n")
    ops.write_text(text + ONCE)
    return folder


def grade_attack(tmp_path, sandbox, fast_suite, attack, **context):
    suites, answers_folder, _ = fast_suite
    submission = hostile_submission(tmp_path / "submission", attack, **context)
    return grade(HW1, submission, sandbox, suites=suites, answers_folder=answers_folder)


def assert_deserved(result, attack):
    """Full marks, except the one case the attack sabotaged when it cannot coexist with the answer."""
    missed = [c for c in result.cases if c.status != "passed"]
    assert result.job_stopped is None, result.notices
    if attack in SABOTAGING:
        assert len(missed) == 1, [(c.run, c.status, c.feedback) for c in missed]
        assert missed[0].score == 0
        assert result.score == result.max_score - missed[0].points
    else:
        assert missed == [], [(c.run, c.status, c.feedback) for c in missed]
        assert result.score == result.max_score


def test_an_infinite_loop_costs_its_case_only(tmp_path, sandbox, fast_suite):
    result = grade_attack(tmp_path, sandbox, fast_suite, "infinite_loop")
    assert_deserved(result, "infinite_loop")
    assert [c.status for c in result.cases if c.status != "passed"] == ["time limit"]


def test_a_fork_bomb_is_contained_and_other_jobs_carry_on(tmp_path, sandbox, fast_suite):
    suites, answers_folder, _ = fast_suite
    honest = {}

    def grade_honestly():
        honest["result"] = grade(HW1, HW1.root, sandbox, suites=suites, answers_folder=answers_folder)

    neighbour = threading.Thread(target=grade_honestly)
    neighbour.start()
    result = grade_attack(tmp_path, sandbox, fast_suite, "fork_bomb")
    neighbour.join()
    assert_deserved(result, "fork_bomb")
    assert honest["result"].score == honest["result"].max_score  # the job beside it was unaffected
    assert survivors("dlsys_harness") == ""  # and nothing of either job is left


def test_allocating_10_gb_costs_its_case_only(tmp_path, sandbox, fast_suite):
    result = grade_attack(tmp_path, sandbox, fast_suite, "allocates_10_gb")
    assert_deserved(result, "allocates_10_gb")
    [missed] = [c for c in result.cases if c.status != "passed"]
    # Refused (MemoryError under the address-space limit), killed by the memory cgroup (SIGKILL),
    # or stopped at its time limit while the kernel reclaims pages: never more than this case.
    assert (missed.status, "MemoryError" in missed.feedback or "SIGKILL" in missed.feedback) in (
        ("error", True), ("crashed", True), ("time limit", False))


def test_no_connection_leaves_the_sandbox(tmp_path, sandbox, fast_suite, listener):
    address, port, accepted = listener
    result = grade_attack(tmp_path, sandbox, fast_suite, "opens_a_connection", host=address, port=port)
    assert_deserved(result, "opens_a_connection")
    [missed] = [c for c in result.cases if c.status != "passed"]
    assert "unreachable" in missed.feedback.lower() or "Errno" in missed.feedback
    assert accepted == []


def test_the_answers_and_the_reference_cannot_be_read(tmp_path, sandbox, fast_suite):
    _, answers_folder, _ = fast_suite
    result = grade_attack(tmp_path, sandbox, fast_suite, "reads_answers_and_reference",
                          answers=str(answers_folder / "hw1.json"), reference=str(HW1.root / OPS))
    assert not any("LEAKED" in c.feedback for c in result.cases)
    assert_deserved(result, "reads_answers_and_reference")


def test_nothing_outside_the_work_dir_can_be_written(tmp_path, sandbox, fast_suite):
    _, answers_folder, _ = fast_suite
    answers_file = answers_folder / "hw1.json"
    before = answers_file.read_bytes()
    repo_file = HW1.root / f"hacked-{uuid.uuid4().hex}"
    host_tmp = Path("/tmp") / f"dlsys-hacked-{uuid.uuid4().hex}"
    result = grade_attack(tmp_path, sandbox, fast_suite, "writes_outside_the_work_dir",
                          answers=str(answers_file), repo_file=str(repo_file), host_tmp=str(host_tmp))
    assert_deserved(result, "writes_outside_the_work_dir")
    assert answers_file.read_bytes() == before
    assert not repo_file.exists() and not host_tmp.exists()


def test_printing_1_gb_neither_floods_the_grader_nor_costs_marks(tmp_path, sandbox, fast_suite):
    tracemalloc.start()
    try:
        result = grade_attack(tmp_path, sandbox, fast_suite, "prints_1_gb")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 64 * 2**20  # the grader kept a tail, not a gigabyte
    missed = [c for c in result.cases if c.status != "passed"]
    # Pushing 1 GB through a pipe may outlast the case's few seconds: then that case, only, is lost.
    assert len(missed) <= 1 and all(c.status == "time limit" for c in missed)
    assert result.score == result.max_score - sum(c.points for c in missed)


def test_forging_the_value_stream_or_patching_the_harness_earns_nothing(tmp_path, sandbox, fast_suite):
    _, _, answers = fast_suite
    honest = grade(HW1, HW1.root, sandbox, suites=fast_suite[0], answers_folder=fast_suite[1])
    result = grade_attack(tmp_path, sandbox, fast_suite, "forges_the_value_stream")
    assert result.score <= honest.score
    reports_out = {case.id for case in answers.cases if "out" in case.values}
    assert reports_out, "the forged name must be one the suite really reports"
    # A case reports into a file of its own, and the harness passes on only that run's values:
    # the records forged for every other run never reach the stream, so only the case that ran
    # the attack (its own report patched away) can lose; every other case keeps its real values.
    missed = [case for case in result.cases if case.status != "passed"]
    assert len(missed) <= 1, [(c.run, c.status, c.feedback) for c in missed]


def test_no_daemon_outlives_the_job(tmp_path, sandbox, fast_suite):
    mark = f"dlsys-daemon-{uuid.uuid4().hex}"
    result = grade_attack(tmp_path, sandbox, fast_suite, "leaves_a_daemon", marker=mark)
    assert_deserved(result, "leaves_a_daemon")
    assert survivors(mark) == ""


def test_a_segfault_in_a_cpp_extension_costs_only_the_cpp_part(tmp_path, sandbox, published_answers):
    manifest = load_manifest("hw0")
    copy_student_files("hw0", tmp_path)
    source = tmp_path / "src/simple_ml_ext.cpp"
    source.write_text(source.read_text().replace(
        "    // BEGIN YOUR SOLUTION\n", "    // BEGIN YOUR SOLUTION\n    *(volatile int *)nullptr = 0;\n", 1))
    result = grade(load_manifest("hw0"), tmp_path, sandbox, answers_folder=published_answers)
    cpp = [c for c in result.cases if c.part == "cpp"]
    assert cpp and all(c.status == "crashed" and "SIGSEGV" in c.feedback for c in cpp)
    assert all(c.status == "passed" for c in result.cases if c.part != "cpp")
    assert result.score == manifest.points - manifest.part("cpp").points
