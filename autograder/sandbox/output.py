"""The output rules every sandbox applies to a job's streams (see job.py), implemented once.

Each sandbox feeds its stdout and stderr chunks here as they arrive, whatever carries them
(pipes for LocalSandbox, the attach stream for DockerSandbox).
"""
from __future__ import annotations

from typing import Callable

from autograder.sandbox.job import JobLimits


class OutputCollector:
    """Applies the output rules to a job's streams, chunk by chunk, in bounded memory.

    stdout is kept up to `limits.stdout_bytes`; `out()` returns False once a chunk goes
    past it (the sandbox then kills the job). `on_line` gets each complete stdout line,
    decoded as UTF-8 (bad bytes replaced) and without its newline, as soon as it is
    complete; a last line without a newline is passed at `finish()`, unless the output
    limit was hit. Only the last `limits.stderr_bytes` of stderr are kept.
    """

    def __init__(self, limits: JobLimits, on_line: Callable[[str], None] | None = None) -> None:
        self._cap = limits.stdout_bytes
        self._tail_cap = limits.stderr_bytes
        self._on_line = on_line
        self.stdout = bytearray()
        self._line_start = 0
        self._tail = bytearray()
        self.overflow = False

    def out(self, data: bytes) -> bool:
        """Take a stdout chunk; False when the job went past the stdout cap."""
        if self.overflow:
            return False
        room = self._cap - len(self.stdout)
        if len(data) > room:
            data = data[:room]
            self.overflow = True
        scan_from = len(self.stdout)
        self.stdout += data
        if self._on_line is not None:
            while (end := self.stdout.find(b"\n", scan_from)) >= 0:
                line = bytes(self.stdout[self._line_start : end])
                self._line_start = scan_from = end + 1
                self._on_line(line.decode("utf-8", "replace"))
        return not self.overflow

    def err(self, data: bytes) -> None:
        """Take a stderr chunk, keeping only the tail."""
        if len(data) >= self._tail_cap:
            self._tail[:] = data[len(data) - self._tail_cap :]
            return
        self._tail += data
        if len(self._tail) > self._tail_cap:
            del self._tail[: len(self._tail) - self._tail_cap]

    def finish(self) -> tuple[bytes, str]:
        """(stdout, stderr tail) once the streams are closed."""
        if self._on_line is not None and not self.overflow and self._line_start < len(self.stdout):
            self._on_line(bytes(self.stdout[self._line_start :]).decode("utf-8", "replace"))
            self._line_start = len(self.stdout)
        return bytes(self.stdout), bytes(self._tail).decode("utf-8", "replace")
