"""The CUDA GPUs this machine offers: index, name, total and free memory.

One module for `dlsys doctor`, `dlsys grade` and `dlsys worker`. cuda-python's driver API
(`cuda.bindings.driver`) is asked first; without the package (or with an old one) the CUDA probe
our build compiles answers; with neither, or without a driver, there are no GPUs, and the reason
says why. Nothing here raises: a CPU host simply has none.

`discover(fake=...)` (the service's `DLSYS_FAKE_GPUS` setting) stands in a device list for tests
and demos of the routing on a machine without a GPU: `"0:Fake A100:80,1:Fake A100:80"`
(index:name:GiB); such a worker takes GPU jobs, whose CUDA cases then fail to find a device.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Gpu:
    index: int
    name: str
    total_bytes: int
    free_bytes: int | None  # None where the probe cannot tell

    def describe(self) -> str:
        free = f", {self.free_bytes / 2**30:.0f} GiB free" if self.free_bytes is not None else ""
        return f"{self.index}: {self.name} ({self.total_bytes / 2**30:.0f} GiB{free})"

    def as_json(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Discovery:
    gpus: tuple[Gpu, ...]
    source: str  # which probe found them, or why there are none


def parse_fake(spec: str) -> tuple[Gpu, ...]:
    """`index:name:GiB` items, comma-separated; a clear error naming a malformed item."""
    gpus = []
    for item in filter(None, (part.strip() for part in spec.split(","))):
        fields = item.split(":")
        try:
            index, name, gib = int(fields[0]), fields[1], float(fields[2])
        except (IndexError, ValueError):
            raise ValueError(f"fake GPU {item!r}: expected index:name:GiB, e.g. 0:Fake A100:80") from None
        gpus.append(Gpu(index, name, int(gib * 2**30), int(gib * 2**30)))
    return tuple(gpus)


def discover(fake: str = "") -> Discovery:
    """The GPUs here: the `fake` list when given, else what the driver reports."""
    if fake:
        return Discovery(parse_fake(fake), "a fake device list (DLSYS_FAKE_GPUS)")
    found = _with_cuda_python()
    if found is not None:
        return found
    return _with_probe()


def _with_cuda_python() -> Discovery | None:
    """None when cuda-python (with `cuda.bindings`) is not installed."""
    try:
        from cuda.bindings import driver
    except ImportError:
        return None
    try:
        (error,) = driver.cuInit(0)
        if error != driver.CUresult.CUDA_SUCCESS:
            return Discovery((), f"cuda-python: {_driver_error(driver, error)}")
        error, count = driver.cuDeviceGetCount()
        if error != driver.CUresult.CUDA_SUCCESS:
            return Discovery((), f"cuda-python: {_driver_error(driver, error)}")
        gpus = []
        for index in range(count):
            _, device = driver.cuDeviceGet(index)
            _, name = driver.cuDeviceGetName(256, device)
            _, total = driver.cuDeviceTotalMem(device)
            gpus.append(Gpu(index, name.split(b"\0", 1)[0].decode(), int(total), _free_bytes(driver, device)))
        return Discovery(tuple(gpus), "cuda-python")
    except Exception as error:  # no libcuda.so, a broken driver: a CPU host, said why
        return Discovery((), f"cuda-python: {type(error).__name__}: {error}")


def _free_bytes(driver, device) -> int | None:
    """Free memory needs a context; a device busy in exclusive mode refuses one: unknown then."""
    error, context = driver.cuDevicePrimaryCtxRetain(device)
    if error != driver.CUresult.CUDA_SUCCESS:
        return None
    try:
        driver.cuCtxPushCurrent(context)
        error, free, _total = driver.cuMemGetInfo()
        driver.cuCtxPopCurrent()
        return int(free) if error == driver.CUresult.CUDA_SUCCESS else None
    finally:
        driver.cuDevicePrimaryCtxRelease(device)


def _driver_error(driver, error) -> str:
    _, text = driver.cuGetErrorString(error)
    return text.decode() if text else str(error)


def _with_probe() -> Discovery:
    try:
        from autograder.devtools import _cuda_probe
    except ImportError:
        return Discovery((), "cuda-python is not installed and the CUDA probe is not built")
    try:
        return Discovery(tuple(Gpu(index, d["name"], int(d["total_memory"]), None)
                               for index, d in enumerate(_cuda_probe.devices())), "CUDA probe")
    except RuntimeError as error:
        return Discovery((), f"CUDA probe: {error}")
