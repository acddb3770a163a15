"""Declaring grading cases, and reporting their values.

A case is a function that calls student code on fixed, hidden inputs and reports what
came back. Its points belong to one graded part of the homework's manifest; each
device in `devices` runs it once and is worth `points`. Values are compared outside
the sandbox with `rtol`/`atol`; shape and dtype must match exactly.
"""
from __future__ import annotations

import inspect
from dataclasses import asdict, dataclass
from typing import Callable

from . import records, values
from .protocol import GRADING_DEVICES, RecordKind


@dataclass(frozen=True)
class Case:
    """A hidden grading case. `id` is `<suite module>.<function name>`."""

    id: str
    part: str
    points: float
    rtol: float
    atol: float
    devices: tuple[str, ...]
    timeout: float
    function: Callable

    def describe(self) -> dict:
        """What the grader needs to know about the case, without its function."""
        described = asdict(self)
        del described["function"]
        described["devices"] = list(self.devices)
        return described

    def call(self, device: str) -> None:
        """Run the case; it takes the device name if it has a parameter for it."""
        if inspect.signature(self.function).parameters:
            self.function(device)
        else:
            self.function()


REGISTRY: list[Case] = []


def case(*, part: str, points: float, rtol: float = 1e-5, atol: float = 1e-6,
         devices: tuple[str, ...] = ("cpu",), timeout: float = 30.0):
    """Register the decorated function as a grading case."""
    if points <= 0 or timeout <= 0 or rtol < 0 or atol < 0:
        raise ValueError(f"case in part {part!r}: points and timeout must be positive, tolerances non-negative")
    unknown = set(devices) - set(GRADING_DEVICES)
    if not devices or unknown:
        raise ValueError(f"case in part {part!r}: devices must be a non-empty subset of {GRADING_DEVICES}, got {devices}")

    def register(function: Callable) -> Callable:
        module = function.__module__.rpartition(".")[2]
        found = Case(f"{module}.{function.__name__}", part, float(points), float(rtol), float(atol),
                     tuple(devices), float(timeout), function)
        if any(c.id == found.id for c in REGISTRY):
            raise ValueError(f"two cases are named {found.id}")
        REGISTRY.append(found)
        return function

    return register


class _Reporter:
    """Where `report` writes: set by the runner for the case being run."""

    fd: int | None = None
    run_id: str | None = None


def report(name: str, value) -> None:
    """Report one value of the running case under `name` (numbers or numeric arrays)."""
    if _Reporter.fd is None:
        raise RuntimeError("report() is only available while the grading harness runs a case")
    if not isinstance(name, str) or not name:
        raise TypeError("report(name, value): name must be a non-empty string")
    records.write(_Reporter.fd, kind=RecordKind.VALUE, run=_Reporter.run_id, name=name, value=values.encode(value))
