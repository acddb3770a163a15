"""The in-sandbox harness: each case in its own process, values out, how a case ended.

Jobs here run as plain subprocesses (the harness does not depend on the sandbox); the
sandboxes have their own tests. The toy suite is sandbox_jobs.TOY_SUITE.
"""
import os
import subprocess

import numpy as np

from autograder.course.manifest import load_manifest
from autograder.dlsys_harness import values
from autograder.dlsys_harness.protocol import run_id
from autograder.grading.job_folder import HARNESS_COMMAND, prepare_job
from autograder.grading.stream import RecordCollector


def run_job(job_dir, work):
    work.mkdir()
    env = {**os.environ, "DLSYS_JOB_DIR": str(job_dir), "DLSYS_WORK_DIR": str(work)}
    return subprocess.run(HARNESS_COMMAND, cwd=work, env=env, capture_output=True, timeout=120)


def test_list_mode_describes_every_case(toy_suites, tmp_path):
    manifest = load_manifest("hw1")
    job = prepare_job(manifest, manifest.root, tmp_path / "job", mode="list", suites=toy_suites)
    found = RecordCollector().feed_all(run_job(job, tmp_path / "work").stdout)
    ids = [case["id"] for case in found.cases]
    assert ids[:3] == ["cases_toy.adds", "cases_toy.gets_the_device", "cases_toy.loops_forever"]
    assert found.cases[1]["devices"] == ["cpu", "cuda"] and found.cases[2]["timeout"] == 1.0
    assert found.done


def test_each_case_ends_in_its_own_way_and_the_rest_still_run(toy_suites, tmp_path):
    manifest = load_manifest("hw1")
    names = ["adds", "loops_forever", "segfaults", "not_implemented", "raises", "exits_early",
             "reports_a_string", "leaves_a_child_behind"]
    runs = [(f"cases_toy.{name}", "cpu") for name in names] + [("cases_toy.gets_the_device", "cuda")]
    job = prepare_job(manifest, manifest.root, tmp_path / "job", mode="grade", runs=runs, suites=toy_suites)
    completed = run_job(job, tmp_path / "work")
    found = RecordCollector([run_id(c, d) for c, d in runs]).feed_all(completed.stdout)
    run = {name: found.runs[f"cases_toy.{name}[cpu]"] for name in names}

    np.testing.assert_array_equal(values.decode(run["adds"].values["out"][0]),
                                  np.arange(1, 7, dtype=np.float32).reshape(2, 3))
    assert run["adds"].status == "ok" and run["adds"].seconds < 10
    assert run["loops_forever"].status == "timeout" and "1 s" in run["loops_forever"].message
    assert run["segfaults"].status == "crashed" and "SIGSEGV" in run["segfaults"].message
    assert run["not_implemented"].status == "not_implemented"
    assert run["raises"].status == "error" and "KeyError" in run["raises"].message
    assert run["exits_early"].status == "error" and "without finishing" in run["exits_early"].message
    assert run["reports_a_string"].status == "error" and "cannot report" in run["reports_a_string"].message
    assert run["leaves_a_child_behind"].status == "ok"
    assert values.decode(found.runs["cases_toy.gets_the_device[cuda]"].values["is_cpu"][0]) == 0
    assert found.done
    # Student output goes to stderr, never into the record stream.
    assert b"stray output" in completed.stderr and b"stray output" not in completed.stdout


def test_a_case_missing_from_the_suite_is_an_error_not_a_crash(toy_suites, tmp_path):
    manifest = load_manifest("hw1")
    job = prepare_job(manifest, manifest.root, tmp_path / "job", mode="grade", runs=[("cases_toy.nope", "cpu")],
                      suites=toy_suites)
    found = RecordCollector(["cases_toy.nope[cpu]"]).feed_all(run_job(job, tmp_path / "work").stdout)
    assert found.runs["cases_toy.nope[cpu]"].status == "error"


TOY_RUNS = [(f"cases_toy.{name}", "cpu") for name in
            ["adds", "loops_forever", "segfaults", "not_implemented", "raises", "exits_early", "reports_a_string",
             "leaves_a_child_behind"]] + [("cases_toy.gets_the_device", "cuda"), ("cases_toy.nope", "cpu")]


def stream_without_times(stdout: bytes) -> list[dict]:
    """The records of a job's stdout, in order, without the seconds each run took."""
    from autograder.dlsys_harness import records

    kept = [records.parse(line) for line in stdout.decode().splitlines()]
    return [{k: v for k, v in record.items() if k != "seconds"} for record in kept if record]


def test_cases_run_side_by_side_write_the_same_stream_in_the_same_order(toy_suites, tmp_path):
    manifest = load_manifest("hw1")
    streams = {}
    for workers in (1, 4):
        job = prepare_job(manifest, manifest.root, tmp_path / f"job{workers}", mode="grade", runs=TOY_RUNS,
                          suites=toy_suites, workers=workers)
        streams[workers] = stream_without_times(run_job(job, tmp_path / f"work{workers}").stdout)
    assert streams[4] == streams[1]
    kinds = [(record["kind"], record.get("run")) for record in streams[1]]
    expected = []
    for case_id, device in TOY_RUNS:
        run = run_id(case_id, device)
        expected += [("start", run)] + [("value", run)] * sum(r == ("value", run) for r in kinds) + [("end", run)]
    assert kinds == expected + [("done", None)]  # each run whole, in the order asked for


def test_side_by_side_a_looping_case_costs_its_own_limit_not_its_neighbours_time(toy_suites, tmp_path):
    manifest = load_manifest("hw1")
    runs = [("cases_toy.loops_forever", "cpu"), ("cases_toy.adds", "cpu")]
    job = prepare_job(manifest, manifest.root, tmp_path / "job", mode="grade", runs=runs, suites=toy_suites,
                      timeouts=[3.0, 30.0], workers=2)
    found = RecordCollector([run_id(c, d) for c, d in runs]).feed_all(run_job(job, tmp_path / "work").stdout)
    looped, added = found.runs["cases_toy.loops_forever[cpu]"], found.runs["cases_toy.adds[cpu]"]
    assert looped.status == "timeout" and "3 s" in looped.message  # job.json's limit, not the case's 1 s
    assert added.status == "ok" and added.seconds < looped.seconds  # ran beside it, not after it


def test_a_case_cannot_write_records_for_another_run(toy_suites, tmp_path):
    (toy_suites / "hw1" / "cases_forger.py").write_text(
        "import os\nfrom dlsys_harness import case, report\nfrom dlsys_harness import records\n"
        "from dlsys_harness.cases import _Reporter\n\n"
        "@case(part='forward', points=1)\ndef forges():\n"
        "    report('mine', 1)\n"
        "    records.write(_Reporter.fd, kind='end', run='cases_toy.adds[cpu]', status='ok', message='')\n"
        "    records.write(_Reporter.fd, kind='value', run='cases_toy.adds[cpu]', name='out', value={})\n"
        "    for fd in range(3, 64):\n"
        "        try:\n            os.write(fd, b'@dlsys {\"kind\": \"done\"}\\n')\n"
        "        except OSError:\n            pass\n")
    manifest = load_manifest("hw1")
    runs = [("cases_forger.forges", "cpu"), ("cases_toy.adds", "cpu")]
    job = prepare_job(manifest, manifest.root, tmp_path / "job", mode="grade", runs=runs, suites=toy_suites, workers=2)
    stream = stream_without_times(run_job(job, tmp_path / "work").stdout)
    assert [(r["kind"], r.get("run"), r.get("name")) for r in stream] == [
        ("start", "cases_forger.forges[cpu]", None), ("value", "cases_forger.forges[cpu]", "mine"),
        ("end", "cases_forger.forges[cpu]", None),
        ("start", "cases_toy.adds[cpu]", None), ("value", "cases_toy.adds[cpu]", "out"),
        ("end", "cases_toy.adds[cpu]", None), ("done", None, None)]


def test_a_case_killed_while_another_ran_beside_it_is_run_again_alone(toy_suites, tmp_path):
    # `killed_in_company` dies from SIGKILL, as the job's memory limit would kill it, whenever
    # `keeps_busy` runs at the same time; alone it reports its value.
    (toy_suites / "hw1" / "cases_company.py").write_text(
        "import os, signal, time\nfrom dlsys_harness import case, report\n\n"
        "BUSY = os.path.join(os.environ['DLSYS_WORK_DIR'], 'busy')\n\n"
        "@case(part='forward', points=1)\ndef keeps_busy():\n"
        "    open(BUSY, 'w').close()\n    time.sleep(1.5)\n    os.remove(BUSY)\n    report('done', 1)\n\n"
        "@case(part='forward', points=1)\ndef killed_in_company():\n"
        "    report('before', 1)\n"
        "    time.sleep(0.5)\n"
        "    if os.path.exists(BUSY):\n        os.kill(os.getpid(), signal.SIGKILL)\n"
        "    report('alone', 1)\n")
    manifest = load_manifest("hw1")
    runs = [("cases_company.keeps_busy", "cpu"), ("cases_company.killed_in_company", "cpu"),
            ("cases_toy.adds", "cpu")]
    streams = {}
    for workers in (1, 2):
        job = prepare_job(manifest, manifest.root, tmp_path / f"job{workers}", mode="grade", runs=runs,
                          suites=toy_suites, workers=workers)
        streams[workers] = stream_without_times(run_job(job, tmp_path / f"work{workers}").stdout)
    assert streams[2] == streams[1]
    ends = {record["run"]: record["status"] for record in streams[2] if record["kind"] == "end"}
    assert ends == dict.fromkeys([run_id(c, d) for c, d in runs], "ok")
    names = [record["name"] for record in streams[2] if record.get("run") == "cases_company.killed_in_company[cpu]"
             and record["kind"] == "value"]
    assert names == ["before", "alone"]  # the killed run's values are gone; the run alone's count
