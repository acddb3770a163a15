"""Reading a job's record stream back, line by line, as it arrives.

Only records for the runs the grader asked for count; anything else on the stream (stray
output, records for runs nobody asked for) is ignored. Values are kept encoded until
they are compared, and every report of a name is kept, so a value reported twice is
visible to the scorer rather than silently replaced.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from autograder.dlsys_harness import records
from autograder.dlsys_harness.protocol import RecordKind


@dataclass
class RunRecord:
    """What came back for one (case, device) run."""

    run: str
    started: bool = False
    status: str | None = None  # a protocol.Ending; None: the run never ended (the job stopped first)
    message: str = ""
    seconds: float = 0.0
    values: dict[str, list[dict]] = field(default_factory=dict)


@dataclass
class JobRecords:
    """Everything a job reported."""

    cases: list[dict] = field(default_factory=list)  # list mode: the suite's case descriptions
    runs: dict[str, RunRecord] = field(default_factory=dict)
    build: dict | None = None
    done: bool = False


class RecordCollector:
    """Feed it stdout lines; it keeps the records of the expected runs."""

    def __init__(self, expected_runs: list[str] = ()) -> None:
        self.records = JobRecords(runs={run: RunRecord(run) for run in expected_runs})

    def feed(self, line: str) -> dict | None:
        """Take one line; return the record it held, if it was one we keep."""
        record = records.parse(line.rstrip("\n"))
        if record is None:
            return None
        kind = record["kind"]
        if kind == RecordKind.CASE:
            self.records.cases.append(record)
        elif kind == RecordKind.BUILD and self.records.build is None:
            self.records.build = record
        elif kind == RecordKind.DONE:
            self.records.done = True
        elif kind in (RecordKind.START, RecordKind.VALUE, RecordKind.END) and record.get("run") in self.records.runs:
            run = self.records.runs[record["run"]]
            if kind == RecordKind.START:
                run.started = True
            elif kind == RecordKind.VALUE and isinstance(record.get("name"), str):
                run.values.setdefault(record["name"], []).append(record.get("value"))
            elif kind == RecordKind.END:  # the harness writes the last one, after the case's process is gone
                run.status = str(record.get("status"))
                run.message = str(record.get("message", ""))[:2000]
                run.seconds = float(record.get("seconds", 0.0)) if isinstance(record.get("seconds"), (int, float)) else 0.0
        else:
            return None
        return record

    def feed_all(self, output: bytes) -> JobRecords:
        for line in output.decode("utf-8", errors="replace").splitlines():
            self.feed(line)
        return self.records
