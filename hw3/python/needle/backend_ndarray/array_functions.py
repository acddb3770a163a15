"""numpy-style free functions over NDArrays: `nd.array(...)`, `nd.sum(a, axis=0)`, ...

They live apart from ndarray.py so that `sum` and `max` here never shadow Python's
built-ins inside the NDArray class.
"""
from .ndarray import NDArray, _checked_dtype, default_device

__all__ = ["array", "empty", "full", "broadcast_to", "reshape", "maximum", "log", "exp", "tanh",
           "sum", "max", "flip"]


def array(a, dtype="float32", device=None):
    """An NDArray copy of `a` (NDArray, numpy array or nested lists) on `device`."""
    _checked_dtype(dtype)
    return NDArray(a, device=device)


def empty(shape, dtype="float32", device=None):
    device = device if device is not None else default_device()
    return device.empty(shape, dtype)


def full(shape, fill_value, dtype="float32", device=None):
    device = device if device is not None else default_device()
    return device.full(shape, fill_value, dtype)


def broadcast_to(array, new_shape):
    return array.broadcast_to(new_shape)


def reshape(array, new_shape):
    return array.reshape(new_shape)


def maximum(a, b):
    return a.maximum(b)


def log(a):
    return a.log()


def exp(a):
    return a.exp()


def tanh(a):
    return a.tanh()


def sum(a, axis=None, keepdims=False):
    return a.sum(axis=axis, keepdims=keepdims)


def max(a, axis=None, keepdims=False):
    return a.max(axis=axis, keepdims=keepdims)


def flip(a, axes):
    return a.flip(axes)
