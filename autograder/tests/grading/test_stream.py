"""Reading a job's record stream back: only the runs asked for, every report of a value kept."""
import json

import numpy as np

from autograder.dlsys_harness import records, values
from autograder.dlsys_harness.protocol import Ending, RecordKind, run_id
from autograder.grading.scoring import compare
from autograder.grading.stream import RecordCollector

EXPECTED = np.array([[1.0, 2.0], [3.0, 4.0]], dtype=np.float32)


def line(**record) -> str:
    """A record as the harness writes it on the job's stdout."""
    return records.PREFIX + json.dumps(record)


def test_collector_keeps_only_expected_runs_and_the_last_end():
    collector = RecordCollector(["a[cpu]"])
    lines = ['junk', '@dlsys {"kind":"end","run":"a[cpu]","status":"ok"}', '@dlsys not json',
             '@dlsys {"kind":"value","run":"b[cpu]","name":"out","value":{}}',
             '@dlsys {"kind":"end","run":"a[cpu]","status":"crashed","message":"SIGSEGV","seconds":0.5}']
    for text in lines:
        collector.feed(text)
    assert set(collector.records.runs) == {"a[cpu]"}
    assert collector.records.runs["a[cpu]"].status == "crashed"
    assert compare("out", values.encode(EXPECTED), [], 0, 0) == "out: no value was reported"


def test_a_whole_run_is_collected_in_order_and_every_report_is_kept():
    run = run_id("cases_ops.add", "cpu")
    collector = RecordCollector([run])
    fed = [line(kind=RecordKind.BUILD, ok=True, seconds=1.0, log=""), line(kind=RecordKind.START, run=run),
           line(kind=RecordKind.VALUE, run=run, name="out", value=values.encode(EXPECTED)),
           line(kind=RecordKind.VALUE, run=run, name="out", value=values.encode(EXPECTED + 1)),
           line(kind=RecordKind.END, run=run, status=Ending.OK, message="", seconds=0.25),
           line(kind=RecordKind.DONE)]
    kept = [collector.feed(text) for text in fed]
    assert [record["kind"] for record in kept] == ["build", "start", "value", "value", "end", "done"]
    found = collector.records
    assert found.done and found.build["ok"]
    got = found.runs[run]
    assert got.started and (got.status, got.seconds) == (Ending.OK, 0.25)
    assert len(got.values["out"]) == 2  # reported twice: the scorer sees both and fails the run


def test_only_the_first_build_record_counts_and_stray_lines_are_none():
    collector = RecordCollector()
    assert collector.feed("a student's print") is None
    assert collector.feed(line(kind="nonsense")) is None
    collector.feed(line(kind=RecordKind.BUILD, ok=False, log="error: x"))
    collector.feed(line(kind=RecordKind.BUILD, ok=True, log=""))  # a forged second build record
    assert collector.records.build == {"kind": "build", "ok": False, "log": "error: x"}


def test_list_mode_records_are_case_descriptions():
    description = {"id": "cases_ops.add", "part": "forward", "points": 1.0}
    found = RecordCollector().feed_all((line(kind=RecordKind.CASE, **description) + "\n" +
                                        line(kind=RecordKind.DONE) + "\n").encode())
    assert found.cases == [{"kind": "case", **description}] and found.done
