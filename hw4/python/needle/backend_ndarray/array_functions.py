"""numpy-style free functions over NDArrays: `nd.array(...)`, `nd.sum(a, axis=0)`, ...

They live apart from ndarray.py so that `sum` and `max` here never shadow Python's
built-ins inside the NDArray class. In hw4 needle's ops compute through this module (as
`array_api`), so it offers the numpy functions they call, with numpy's signatures:
an op's `compute` then runs unchanged on NDArray and, with NEEDLE_BACKEND=np, on numpy.
"""
import builtins

from .ndarray import NDArray, _checked_dtype, default_device, prod

__all__ = ["array", "empty", "full", "zeros", "broadcast_to", "reshape", "maximum", "log", "exp", "tanh",
           "sum", "max", "flip", "negative", "power", "swapaxes", "matmul", "stack", "pad", "as_strided"]


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


def zeros(shape, dtype="float32", device=None):
    return full(shape, 0.0, dtype, device)


def broadcast_to(array, new_shape):
    return array.broadcast_to(new_shape)


def reshape(array, new_shape):
    """`array` in a new shape; a view when its elements are contiguous, else a compact copy."""
    try:
        return array.reshape(new_shape)
    except ValueError:
        if array.is_compact():
            raise  # the sizes differ: the message names both shapes
        return array.compact().reshape(new_shape)


def maximum(a, b):
    return a.maximum(b)


def log(a):
    return a.log()


def exp(a):
    return a.exp()


def tanh(a):
    return a.tanh()


def negative(a):
    return -a


def power(a, b):
    """a ** b: b a number, or an NDArray of a's shape (then computed as exp(b log a), for a > 0)."""
    if isinstance(b, NDArray):
        return (a.log() * b).exp()
    return a ** b


def _reduce(a, axis, keepdims, method):
    """Reduce over one axis, all axes (None), or several: one axis at a time, highest first,
    as the course's needle does (the order of float additions, hence the last bits, follow)."""
    if axis is None or isinstance(axis, int):
        return getattr(a, method)(axis=axis, keepdims=keepdims)
    axes = sorted({ax % a.ndim for ax in axis}, reverse=True)
    if not axes:
        return a
    for ax in axes:
        a = getattr(a, method)(axis=ax, keepdims=keepdims)
    return a


def sum(a, axis=None, keepdims=False):
    return _reduce(a, axis, keepdims, "sum")


def max(a, axis=None, keepdims=False):
    return _reduce(a, axis, keepdims, "max")


def flip(a, axes):
    return a.flip(axes)


def swapaxes(a, axis1, axis2):
    """A view with two axes exchanged."""
    order = list(range(a.ndim))
    order[axis1], order[axis2] = order[axis2], order[axis1]
    return a.permute(tuple(order))


def matmul(a, b):
    """a @ b over the last two axes, leading (batch) axes broadcast as in numpy.

    A 2-D right operand multiplies all of a's rows at once; otherwise both operands are
    broadcast to the batch shape and compacted, and one `matmul_batched` kernel call does
    every product (a broadcast operand is copied once per batch entry).
    """
    if a.ndim < 2 or b.ndim < 2 or a.shape[-1] != b.shape[-2]:
        raise ValueError(f"matmul: shapes {a.shape} and {b.shape} are not aligned")
    m, n, p = a.shape[-2], a.shape[-1], b.shape[-1]
    if a.ndim == 2 and b.ndim == 2:
        return a @ b
    if b.ndim == 2:
        return (reshape(a, (prod(a.shape[:-1]), n)) @ b).reshape(a.shape[:-1] + (p,))
    if b.device != a.device:
        raise ValueError(f"matmul needs both arrays on one device, got {a.device} and {b.device}")
    batch = _broadcast_shapes(a.shape[:-2], b.shape[:-2])
    count = prod(batch)
    a3 = reshape(a.broadcast_to(batch + (m, n)), (count, m, n)).compact()
    b3 = reshape(b.broadcast_to(batch + (n, p)), (count, n, p)).compact()
    out = NDArray.make((count, m, p), device=a.device)
    a.device.matmul_batched(a3._handle, b3._handle, out._handle, count, m, n, p)
    return out.reshape(batch + (m, p))


def _broadcast_shapes(s1, s2):
    ndim = builtins.max(len(s1), len(s2))
    s1, s2 = (1,) * (ndim - len(s1)) + tuple(s1), (1,) * (ndim - len(s2)) + tuple(s2)
    if any(x != y and 1 not in (x, y) for x, y in zip(s1, s2)):
        raise ValueError(f"matmul: batch shapes {s1} and {s2} cannot be broadcast together")
    return tuple(builtins.max(x, y) for x, y in zip(s1, s2))


def stack(arrays, axis=0):
    """Join equal-shaped arrays along a new axis."""
    arrays = list(arrays)
    if not arrays:
        raise ValueError("stack: needs at least one array")
    shape = arrays[0].shape
    for x in arrays:
        if x.shape != shape:
            raise ValueError(f"stack: arrays must have one shape, got {shape} and {x.shape}")
    axis = axis % (len(shape) + 1)
    device = arrays[0].device
    out = NDArray.make(shape[:axis] + (len(arrays),) + shape[axis:], device=device)
    # array i is written through the view of out at index i of `axis`: out's strides without
    # that axis, offset i times its stride (the kernel directly: an RNN stacks many small arrays)
    strides = out.strides[:axis] + out.strides[axis + 1:]
    for i, x in enumerate(arrays):
        device.ewise_setitem(x.to(device).compact()._handle, out._handle, shape, strides, i * out.strides[axis])
    return out


def pad(a, pad_width):
    """Zeros around each axis: pad_width[i] = (before, after) for axis i (numpy's signature)."""
    return a.pad(pad_width)


def as_strided(a, shape, strides):
    """A view of compact `a` with any shape and strides (in elements)."""
    return a.compact().as_strided(shape, strides)
