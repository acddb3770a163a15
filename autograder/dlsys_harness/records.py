"""The record stream: one JSON object per line on the job's stdout, after a fixed prefix.

Lines without the prefix (a student's stray output) are ignored by the reader. The kinds
of record, and how a case run can end, are named in protocol.py.
"""
from __future__ import annotations

import json
import os

PREFIX = "@dlsys "


def write(fd: int, **record) -> None:
    """Write one record to a file descriptor in one call (so short records never interleave)."""
    write_line(fd, (PREFIX + json.dumps(record, separators=(",", ":")) + "\n").encode())


def write_line(fd: int, line: bytes) -> None:
    """Write an encoded record line, however long, all of it."""
    view = memoryview(line)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def parse(line: str) -> dict | None:
    """The record on a line, or None when the line is not a well-formed record."""
    if not line.startswith(PREFIX):
        return None
    try:
        record = json.loads(line[len(PREFIX):])
    except ValueError:
        return None
    return record if isinstance(record, dict) and isinstance(record.get("kind"), str) else None
