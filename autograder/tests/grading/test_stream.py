"""Reading a job's record stream back: only the runs asked for, every report of a value kept."""
import json

import numpy as np

from autograder.dlsys_harness import records, values
from autograder.dlsys_harness.protocol import Ending, RecordKind, run_id
from autograder.grading.scoring import compare
from autograder.grading.stream import RecordCollector

EXPECTED = np.array([[1.0, 2.0], [3.0, 4.0]], dtype=np.float32)


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
