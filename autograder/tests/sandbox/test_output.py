"""The output rules every sandbox applies: a capped stdout, lines as they come, the stderr tail."""
from __future__ import annotations

from autograder.sandbox import JobLimits, OutputCollector


def test_output_collector_caps_stdout_and_keeps_the_stderr_tail():
    lines = []
    collector = OutputCollector(JobLimits(stdout_bytes=10, stderr_bytes=4), lines.append)
    assert collector.out(b"ab\ncd") and collector.out(b"e\n")
    assert not collector.out(b"fghijk\n")  # 13 bytes > 10
    collector.err(b"123456")
    collector.err(b"78")
    stdout, tail = collector.finish()
    assert (stdout, tail, lines) == (b"ab\ncde\nfgh", "5678", ["ab", "cde"])
