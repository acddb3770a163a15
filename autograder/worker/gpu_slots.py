"""One grading job per GPU: a worker's GPU runs each take a free device and are pinned to it."""
from __future__ import annotations

import dataclasses
import threading
from contextlib import contextmanager

from autograder.grading.sandboxes import Sandbox


class GpuSlots:
    """The worker's devices; `take()` waits for a free one."""

    def __init__(self, indices: list[int]):
        self._free = list(indices)
        self._available = threading.Condition()

    @contextmanager
    def take(self):
        with self._available:
            self._available.wait_for(lambda: self._free)
            index = self._free.pop(0)
        try:
            yield index
        finally:
            with self._available:
                self._free.append(index)
                self._available.notify()


class PinnedSandbox:
    """`sandbox`, with every job it runs pinned to one GPU: Docker gets that device only
    (`Job.gpu_ids`), and the job's CUDA sees only it (CUDA_VISIBLE_DEVICES)."""

    def __init__(self, sandbox: Sandbox, gpu_index: int):
        self.inner, self.gpu_index = sandbox, gpu_index
        self.name = sandbox.name

    def run(self, job, on_line=None):
        pinned = dataclasses.replace(job, gpu_ids=(str(self.gpu_index),),
                                     env=job.env | {"CUDA_VISIBLE_DEVICES": str(self.gpu_index)})
        return self.inner.run(pinned, on_line)

    def __getattr__(self, name):
        return getattr(self.inner, name)
