"""The native modules the one build produces (keep in step with CMakeLists.txt).

A test reads CMakeLists.txt and checks this table against it, so the two cannot
drift apart silently.
"""
from dataclasses import dataclass
from pathlib import Path

from autograder.paths import REPO_ROOT


@dataclass(frozen=True)
class NativeModule:
    """A pybind11 module: its import name, the folder it is built into, and whether it is CUDA."""

    name: str
    folder: str
    cuda: bool = False

    def built_file(self, root: Path = REPO_ROOT) -> Path | None:
        """The compiled file, if the build has produced it."""
        matches = sorted((root / self.folder).glob(f"{self.name}.*.so")) + sorted(
            (root / self.folder).glob(f"{self.name}.*.pyd")
        )
        return matches[0] if matches else None


NATIVE_MODULES = (
    NativeModule("simple_ml_ext", "hw0/src"),
    NativeModule("ndarray_backend_cpu", "hw3/python/needle/backend_ndarray"),
    NativeModule("ndarray_backend_cuda", "hw3/python/needle/backend_ndarray", cuda=True),
    NativeModule("ndarray_backend_cpu", "hw4/python/needle/backend_ndarray"),
    NativeModule("ndarray_backend_cuda", "hw4/python/needle/backend_ndarray", cuda=True),
    NativeModule("_cuda_probe", "autograder/devtools", cuda=True),
)
