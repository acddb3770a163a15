"""Helpers for hw3's cases: devices, fixed inputs, strided layouts, kernel calls, C++/CUDA twins.

Only the standard library and numpy at import time: this module loads with the suite,
before any student code. Needle is imported inside the functions that need it.

The backend cases (parts *_cpp and *_cuda) call the device's flat kernel table
(`ndarray_backend_numpy.py` is its spec) directly, on buffers made and read with code
outside the student's regions (`NDArray(numpy array)`, `NDArray.make`, `.numpy()`). So a
backend part is graded on its kernels alone: a student whose Python views are wrong or
missing loses the Python part, not the C++ parts too. Strided layouts are described as
numpy views of a numpy base array (`layout`), so numpy itself says what a view's shape,
strides and offset are.

Every buffer a kernel writes as `out` is first filled with NaN (the backend's own `fill`,
given code). An empty kernel body (a fresh handout) then leaves NaN, which never matches,
whatever happened to be in the memory; a kernel that reads `out` before writing it (+= into
an output it never zeroed) is caught as well. Besides, no case computes the same result twice,
and no expected value is all zeros or equal to an input.
"""
import numpy as np

from dlsys_harness import case, report
from _data import normal, uniform  # noqa: F401 (the cases import them from here)

# The backend families of the manifest: each has a _cpp part (run on "cpu", nd.cpu()) and a
# _cuda part (run on "cuda", nd.cuda()).
TWIN_BACKENDS = (("cpp", "cpu"), ("cuda", "cuda"))


def backend(device):
    """The needle device a case's device name stands for: "cpu" is the C++ backend, "cuda" the GPU.

    `publish` computes the answers of the CUDA cases too with "cpu" (answers are device-independent).
    A backend that is not there fails the case with the reason: the module's own ImportError
    (not built, an undefined symbol, ...), or no usable GPU.
    """
    import importlib

    import needle.backend_ndarray as nd

    if device not in ("cpu", "cuda"):
        raise ValueError(f"hw3 cases run on 'cpu' or 'cuda', not {device!r}")
    dev = nd.cpu() if device == "cpu" else nd.cuda()
    if not dev.enabled():
        module = f"needle.backend_ndarray.ndarray_backend_{device}"
        importlib.import_module(module)  # raises what kept the backend out
        raise RuntimeError(f"{module} imports, but device {device}() is not usable (no GPU answered)")
    return dev


def twins(family, points, **settings):
    """Register `body(dev)` twice: as `<name>_cpp` in part `<family>_cpp` on "cpu" and as
    `<name>_cuda` in part `<family>_cuda` on "cuda", each worth `points`. One body, the same
    inputs, so the C++ and CUDA kernels are graded alike."""

    def register(body):
        for suffix, device in TWIN_BACKENDS:
            case(part=f"{family}_{suffix}", points=points, devices=(device,), **settings)(
                _runner(body, f"{body.__name__}_{suffix}"))
        return body

    return register


def _runner(body, name):
    def run(device):
        body(backend(device))

    run.__name__ = run.__qualname__ = name
    run.__module__ = body.__module__
    run.__doc__ = body.__doc__
    return run


# --- inputs ----------------------------------------------------------------------------



def dyadic(seed, *shape):
    """float32 multiples of 1/8 in [-8, 8]: sums of up to 2**20 of them are exact in float32
    in any order (every partial sum is a multiple of 1/8 below 2**23 in magnitude)."""
    return (np.random.default_rng(seed).integers(-64, 65, shape) / 8.0).astype(np.float32)


# --- numpy views as needle layouts -----------------------------------------------------

def layout(base, view):
    """(shape, strides, offset) in elements of `view`, a numpy view of the C-contiguous `base`."""
    size = base.itemsize
    offset = view.__array_interface__["data"][0] - base.__array_interface__["data"][0]
    if offset % size or any(s % size for s in view.strides):
        raise ValueError("view is not aligned to its base's elements")
    return tuple(int(n) for n in view.shape), tuple(int(s) // size for s in view.strides), offset // size


# --- buffers and kernels ---------------------------------------------------------------

def put(dev, array):
    """A compact NDArray on `dev` holding a copy of the float32 numpy `array`."""
    from needle.backend_ndarray import NDArray

    return NDArray(np.ascontiguousarray(array, dtype=np.float32), device=dev)


def blank(dev, size):
    """A fresh compact 1-d NDArray of `size` elements on `dev`, every element NaN."""
    from needle.backend_ndarray import NDArray

    out = NDArray.make((size,), device=dev)
    dev.fill(out._handle, float("nan"))
    return out


def compact(dev, base, view):
    """The backend's compact of `view` (a numpy view of `base`) from a copy of `base` on `dev`:
    the compact float32 values, in the view's shape."""
    shape, strides, offset = layout(base, view)
    source = put(dev, base)
    out = blank(dev, view.size)
    dev.compact(source._handle, out._handle, shape, strides, offset)
    return out.numpy().reshape(shape)


def ewise(dev, kernel, *operands):
    """out = kernel(a[, b], out) over compact 1-d buffers; `operands` are numpy arrays."""
    buffers = [put(dev, x.reshape(-1)) for x in operands]
    out = blank(dev, operands[0].size)
    getattr(dev, kernel)(*[b._handle for b in buffers], out._handle)
    return out.numpy().reshape(operands[0].shape)


def scalar(dev, kernel, a, value):
    """out = kernel(a, value, out) over a compact 1-d buffer."""
    source = put(dev, a.reshape(-1))
    out = blank(dev, a.size)
    getattr(dev, kernel)(source._handle, float(value), out._handle)
    return out.numpy().reshape(a.shape)


def reduce(dev, kernel, a, axis):
    """reduce_sum or reduce_max of numpy `a` over `axis` (None: every element), as NDArray
    calls it: the reduced axis moved last and compacted, one output per group."""
    groups = a.reshape(1, -1) if axis is None else np.moveaxis(a, axis, -1)
    source = put(dev, groups)
    out = blank(dev, groups.size // groups.shape[-1])
    getattr(dev, kernel)(source._handle, out._handle, groups.shape[-1])
    return out.numpy().reshape(groups.shape[:-1])


def matmul(dev, a, b):
    """a @ b through the backend as NDArray.__matmul__ does it: with `matmul_tiled` over the
    layout [rows/T][cols/T][T][T] when the device has it and m, n, p are multiples of its tile
    size T (the CPU backend, T = 8), with `matmul` otherwise. Tiling and untiling are numpy's."""
    (m, n), p = a.shape, b.shape[1]
    if hasattr(dev, "matmul_tiled") and all(d % dev.__tile_size__ == 0 for d in (m, n, p)):
        t = dev.__tile_size__

        def tiles(x):
            rows, cols = x.shape
            return x.reshape(rows // t, t, cols // t, t).transpose(0, 2, 1, 3)

        left, right = put(dev, tiles(a)), put(dev, tiles(b))
        out = blank(dev, m * p)
        dev.matmul_tiled(left._handle, right._handle, out._handle, m, n, p)
        return out.numpy().reshape(m // t, p // t, t, t).transpose(0, 2, 1, 3).reshape(m, p)
    left, right = put(dev, a), put(dev, b)
    out = blank(dev, m * p)
    dev.matmul(left._handle, right._handle, out._handle, m, n, p)
    return out.numpy().reshape(m, p)


# --- NDArray layouts, for the Python part ----------------------------------------------

def report_view(name, x):
    """Report an NDArray view's shape, strides, offset (int64) and values (float32).

    Strides of axes of size 1 are reported as 0: they never address a second element, so
    equally correct views may differ there."""
    shape = np.array(tuple(x.shape), dtype=np.int64)
    strides = np.array(tuple(x.strides), dtype=np.int64)
    strides[shape == 1] = 0
    report(f"{name}_shape", shape)
    report(f"{name}_strides", strides)
    report(f"{name}_offset", np.int64(x._offset))
    report(f"{name}_values", x.numpy())
