"""The numpy backend: the executable spec of the flat kernel table.

Every backend (this one, `ndarray_backend_cpu` in C++ and `ndarray_backend_cuda` in CUDA)
exposes the same functions over a flat float32 buffer, `Array`. `NDArray` keeps shape,
strides and offset in Python and hands the backend only flat buffers plus that
description. The C++ and CUDA kernels are tested against the functions here.

Conventions shared by all backends:
  - shapes, strides and offsets count elements, not bytes; strides may be negative (flip);
  - `out` is written, never read (except by setitem, which writes through a view);
  - every function except `to_numpy` returns nothing.
"""
import numpy as np

__device_name__ = "numpy"
_datatype = np.float32
_datatype_size = np.dtype(_datatype).itemsize


class Array:
    """A flat buffer of `size` float32 values."""

    def __init__(self, size):
        self.array = np.empty(size, dtype=_datatype)

    def ptr(self):
        """The buffer's address: two arrays that share memory share it."""
        return self.array.ctypes.data

    @property
    def size(self):
        return self.array.size


def _view(a, shape, strides, offset):
    """A numpy view of `a` with the given element shape, strides and offset (no copy)."""
    byte_strides = tuple(s * _datatype_size for s in strides)
    return np.lib.stride_tricks.as_strided(a.array[offset:], tuple(shape), byte_strides)


def to_numpy(a, shape, strides, offset):
    """A new numpy array holding the strided view of `a` (a copy, like the other backends')."""
    return _view(a, shape, strides, offset).copy()


def from_numpy(a, out):
    """Copy a compact float32 numpy array into `out` (same number of elements)."""
    out.array[:] = a.flatten()


def fill(out, val):
    """Set every element of `out` to `val`."""
    out.array.fill(val)


def compact(a, out, shape, strides, offset):
    """out (compact, prod(shape)) = the strided view (shape, strides, offset) of a, row-major."""
    out.array[:] = _view(a, shape, strides, offset).flatten()


def ewise_setitem(a, out, shape, strides, offset):
    """The strided view (shape, strides, offset) of out = a (compact, prod(shape))."""
    _view(out, shape, strides, offset)[...] = a.array[: int(np.prod(shape))].reshape(shape)


def scalar_setitem(size, val, out, shape, strides, offset):
    """The strided view (shape, strides, offset) of out, `size` elements in all, = val."""
    _view(out, shape, strides, offset)[...] = val


# --- elementwise: a, b and out are compact and of one size -------------------------------

def ewise_add(a, b, out):
    out.array[:] = a.array + b.array


def scalar_add(a, val, out):
    out.array[:] = a.array + val


def ewise_mul(a, b, out):
    out.array[:] = a.array * b.array


def scalar_mul(a, val, out):
    out.array[:] = a.array * val


def ewise_div(a, b, out):
    out.array[:] = a.array / b.array


def scalar_div(a, val, out):
    out.array[:] = a.array / val


def scalar_power(a, val, out):
    out.array[:] = a.array**val


def ewise_maximum(a, b, out):
    out.array[:] = np.maximum(a.array, b.array)


def scalar_maximum(a, val, out):
    out.array[:] = np.maximum(a.array, val)


def ewise_eq(a, b, out):
    out.array[:] = (a.array == b.array).astype(_datatype)


def scalar_eq(a, val, out):
    out.array[:] = (a.array == val).astype(_datatype)


def ewise_ge(a, b, out):
    out.array[:] = (a.array >= b.array).astype(_datatype)


def scalar_ge(a, val, out):
    out.array[:] = (a.array >= val).astype(_datatype)


def ewise_log(a, out):
    out.array[:] = np.log(a.array)


def ewise_exp(a, out):
    out.array[:] = np.exp(a.array)


def ewise_tanh(a, out):
    out.array[:] = np.tanh(a.array)


# --- matmul and reductions ---------------------------------------------------------------

def matmul(a, b, out, m, n, p):
    """out (m, p) = a (m, n) @ b (n, p), all compact and row-major."""
    out.array[:] = (a.array.reshape(m, n) @ b.array.reshape(n, p)).reshape(-1)


def matmul_batched(a, b, out, batch, m, n, p):
    """out (batch, m, p) = a (batch, m, n) @ b (batch, n, p), one product per batch entry, all compact."""
    out.array[:] = (a.array.reshape(batch, m, n) @ b.array.reshape(batch, n, p)).reshape(-1)


def reduce_max(a, out, reduce_size):
    """out[i] = max of a[i*reduce_size : (i+1)*reduce_size] (a compact)."""
    out.array[:] = a.array.reshape(-1, reduce_size).max(axis=1)


def reduce_sum(a, out, reduce_size):
    """out[i] = sum of a[i*reduce_size : (i+1)*reduce_size] (a compact)."""
    out.array[:] = a.array.reshape(-1, reduce_size).sum(axis=1)


def reduce_max_strided(a, out, reduce_size, inner_size):
    """out[o, i] = max over r of a[o, r, i], a (outer, reduce_size, inner_size) compact: a reduction
    over an axis that is not the last one, without moving it last."""
    out.array[:] = a.array.reshape(-1, reduce_size, inner_size).max(axis=1).reshape(-1)


def reduce_sum_strided(a, out, reduce_size, inner_size):
    """out[o, i] = sum over r of a[o, r, i], a (outer, reduce_size, inner_size) compact."""
    out.array[:] = a.array.reshape(-1, reduce_size, inner_size).sum(axis=1).reshape(-1)
