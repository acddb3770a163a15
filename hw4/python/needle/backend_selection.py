"""Which array library needle's Tensors compute with, chosen by $NEEDLE_BACKEND.

    NEEDLE_BACKEND=nd  (default)  needle.backend_ndarray: NDArray on cpu(), cuda(), cpu_numpy()
    NEEDLE_BACKEND=np             numpy arrays on the CPU (hw1 and hw2's backend)

It exports `array_api` (the module ops compute through), `NDArray` (its array type) and the
device functions (`cpu`, `cuda`, `cpu_numpy`, `all_devices`, `default_device`), which needle
exports at the top level. Tensors compute through this module, so ops run on every device.
"""
import os

BACKEND = os.environ.get("NEEDLE_BACKEND", "nd")

if BACKEND == "nd":
    from . import backend_ndarray as array_api
    from .backend_ndarray import BackendDevice as Device
    from .backend_ndarray import all_devices, cpu, cpu_numpy, cuda, default_device

    NDArray = array_api.NDArray
elif BACKEND == "np":
    import numpy as array_api

    from .backend_numpy import Device, all_devices, cpu, cpu_numpy, cuda, default_device

    NDArray = array_api.ndarray
else:
    raise RuntimeError(f"Unknown needle array backend NEEDLE_BACKEND={BACKEND!r}: use 'nd' (NDArray) or 'np' (numpy)")
