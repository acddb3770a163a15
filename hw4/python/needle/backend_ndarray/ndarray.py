"""NDArray: an n-dimensional float32 array as shape, strides and offset over a flat buffer.

The buffer (`_handle`) lives on a device: numpy (`cpu_numpy()`), C++ (`cpu()`) or CUDA
(`cuda()`). Everything about *where* elements sit is decided here in Python; the device
backend only runs kernels over flat buffers (see `ndarray_backend_numpy.py`, the spec).

    import needle.backend_ndarray as nd
    a = nd.array(np.arange(12).reshape(3, 4), device=nd.cpu())
    b = a.permute((1, 0))          # a view: same _handle, strides (1, 4)
    c = b[1:3, ::2]                # a view of a view: shape (2, 2), offset 1
    d = (c + 1).numpy()            # kernels run on compact copies

Views never copy: reshape, permute, broadcast_to, __getitem__, as_strided and flat share the
handle. compact() copies a view into a fresh row-major buffer (and returns `self` when there
is nothing to do); elementwise ops, reductions and matmul work on compact arrays.
"""
import math
from functools import cache, lru_cache

import numpy as np

from . import ndarray_backend_numpy

__all__ = ["BackendDevice", "NDArray", "cuda", "cpu", "cpu_numpy", "default_device", "all_devices", "prod"]

try:  # the C++ backend, built by `pip install -e .` next to this file
    from . import ndarray_backend_cpu
except ImportError:  # not built yet: cpu() reports itself disabled
    ndarray_backend_cpu = None


# The names a device forwards to its backend module: the flat kernel table (as the numpy
# backend, the spec, defines it) and two constants of the compiled backends.
_TABLE_CONSTANTS = ("__device_name__", "__tile_size__")
_KERNEL_NAMES = frozenset(
    name for name in dir(ndarray_backend_numpy) if not name.startswith("_")
    and callable(getattr(ndarray_backend_numpy, name))
) | frozenset(_TABLE_CONSTANTS)


def prod(x):
    """The product of a sequence of ints (1 for an empty one)."""
    return math.prod(x)


@lru_cache(maxsize=4096)
def _compact_strides(shape):
    """Row-major strides of a shape (a tuple), in elements; cached: every new array asks."""
    stride = 1
    res = []
    for i in range(1, len(shape) + 1):
        res.append(stride)
        stride *= shape[-i]
    return tuple(res[::-1])


class BackendDevice:
    """A device: a name and the backend module whose flat kernel table runs on it.

    Attribute lookups fall through to the module, so `device.ewise_add(...)` calls the
    backend's kernel. Random draws come from numpy's global generator on the host, so a
    seeded draw is the same on every device.
    """

    def __init__(self, name, mod):
        self.name = name
        self.mod = mod

    def __eq__(self, other):
        return isinstance(other, BackendDevice) and self.name == other.name

    def __hash__(self):
        return hash(self.name)

    def __repr__(self):
        return self.name + "()"

    def __getattr__(self, name):
        # Only names the object lacks get here. The backend's table (its kernels and the
        # constants __device_name__ and __tile_size__) falls through to its module; any other
        # name, dunders included, raises AttributeError, so hasattr(), copy, pickle and pytest's
        # parametrize ids work on every device, a disabled one too.
        if name == "mod" or (name.startswith("_") and name not in _TABLE_CONSTANTS):
            raise AttributeError(f"{type(self).__name__} object has no attribute {name!r}")
        if self.mod is None:
            if name in _KERNEL_NAMES:
                raise RuntimeError(
                    f"device {self!r} is not available (its backend is not built or no GPU is usable): "
                    f"cannot run {name}"
                )
            raise AttributeError(f"device {self!r} has no kernel {name!r}")
        try:
            value = getattr(self.mod, name)
        except AttributeError:
            raise AttributeError(f"device {self!r} has no kernel {name!r}") from None
        self.__dict__[name] = value  # kept: every op looks its kernel up, and this method is slow
        return value

    def __reduce__(self):
        # A device pickles (and copies) as the call that makes it: cpu(), cuda(), cpu_numpy().
        return (_DEVICE_FACTORIES[self.name], ())

    def enabled(self):
        return self.mod is not None

    def randn(self, *shape, dtype="float32"):
        return NDArray(np.random.randn(*shape).astype(_checked_dtype(dtype)), device=self)

    def rand(self, *shape, dtype="float32"):
        return NDArray(np.random.rand(*shape).astype(_checked_dtype(dtype)), device=self)

    def one_hot(self, n, i, dtype="float32"):
        return NDArray(np.eye(n, dtype=_checked_dtype(dtype))[i], device=self)

    def empty(self, shape, dtype="float32"):
        _checked_dtype(dtype)
        return NDArray.make(shape, device=self)

    def full(self, shape, fill_value, dtype="float32"):
        arr = self.empty(shape, dtype)
        arr.fill(fill_value)
        return arr


def _checked_dtype(dtype):
    """NDArray holds float32 only; None means float32."""
    if dtype is None or np.dtype(dtype) == np.float32:
        return "float32"
    raise ValueError(f"NDArray supports dtype float32 only, got {dtype!r}")


@cache
def _cuda_module():
    """The CUDA backend if it is built and a GPU answers (one tiny allocation), else None."""
    try:
        from . import ndarray_backend_cuda
        ndarray_backend_cuda.Array(1)
    except (ImportError, RuntimeError, AttributeError):  # not built, no GPU, or a broken build
        return None
    return ndarray_backend_cuda


@cache  # one object per device, so the kernels it has looked up stay with it
def cuda():
    """The GPU; disabled (`.enabled()` is False) when the CUDA backend or a GPU is missing."""
    return BackendDevice("cuda", _cuda_module())


@cache
def cpu_numpy():
    """The CPU through the numpy backend (the reference)."""
    return BackendDevice("cpu_numpy", ndarray_backend_numpy)


@cache
def cpu():
    """The CPU through the C++ backend."""
    return BackendDevice("cpu", ndarray_backend_cpu)


def default_device():
    return cpu_numpy()


def all_devices():
    """Every device of this backend, enabled or not."""
    return [cpu(), cuda(), cpu_numpy()]


_DEVICE_FACTORIES = {"cpu": cpu, "cuda": cuda, "cpu_numpy": cpu_numpy}


class NDArray:
    """A float32 array: `shape`, `strides` (in elements, may be negative) and `_offset`
    over the flat buffer `_handle` on `device`.

    NDArray(other, device=None) copies `other` (an NDArray, a numpy array or anything
    numpy turns into one) onto `device` (default: other's device, else cpu_numpy()).
    """

    def __init__(self, other, device=None):
        if isinstance(other, NDArray):
            if device is None:
                device = other.device
            self._init(other.to(device) + 0.0)  # + 0.0 makes a compact copy
        elif isinstance(other, np.ndarray):
            device = device if device is not None else default_device()
            array = self.make(other.shape, device=device)
            array.device.from_numpy(np.ascontiguousarray(other, dtype=np.float32), array._handle)
            self._init(array)
        else:
            self._init(NDArray(np.array(other, dtype=np.float32), device=device))

    # Whether the layout is compact, known once asked (or at birth, for a kernel's output): every
    # kernel call asks of each operand, and a layout never changes after the array is made.
    _compact = None

    def _init(self, other):
        self._shape = other._shape
        self._strides = other._strides
        self._offset = other._offset
        self._device = other._device
        self._handle = other._handle
        self._compact = other._compact

    @staticmethod
    def compact_strides(shape):
        """Row-major strides of a shape, in elements."""
        return _compact_strides(tuple(shape))

    @staticmethod
    def make(shape, strides=None, device=None, handle=None, offset=0):
        """An NDArray with the given layout over `handle`, or over a new buffer of
        prod(shape) elements (uninitialised) when `handle` is None."""
        array = NDArray.__new__(NDArray)
        array._shape = tuple(map(int, shape))
        array._strides = _compact_strides(array._shape) if strides is None else tuple(map(int, strides))
        array._offset = int(offset)
        array._device = device if device is not None else default_device()
        array._handle = array._device.Array(math.prod(array._shape)) if handle is None else handle
        if handle is not None:
            array._check_within_buffer()
        return array

    @staticmethod
    def _empty(shape, device):
        """A compact array over a new buffer: `make` for a kernel's output, whose shape is
        already a tuple of ints (every op makes one, so the conversions are skipped)."""
        array = NDArray.__new__(NDArray)
        array._shape = shape
        array._strides = _compact_strides(shape)
        array._offset = 0
        array._device = device
        array._handle = device.Array(math.prod(shape))
        array._compact = True
        return array

    def _check_within_buffer(self):
        """A view must only reach elements of its buffer: a wrong stride or offset would make a
        kernel read or write outside it (a crash at best), so it is refused here, in Python."""
        if 0 in self._shape:
            return
        low = high = self._offset
        for n, s in zip(self._shape, self._strides):
            if s < 0:
                low += (n - 1) * s
            else:
                high += (n - 1) * s
        if low < 0 or high >= self._handle.size:
            raise IndexError(f"a view of shape {self._shape}, strides {self._strides} and offset {self._offset} "
                             f"reaches elements {low}..{high}, outside its buffer of {self._handle.size} elements")

    # --- properties --------------------------------------------------------------------

    @property
    def shape(self):
        return self._shape

    @property
    def strides(self):
        return self._strides

    @property
    def device(self):
        return self._device

    @property
    def dtype(self):
        return "float32"

    @property
    def ndim(self):
        return len(self._shape)

    @property
    def size(self):
        return prod(self._shape)

    def __repr__(self):
        return "NDArray(" + self.numpy().__str__() + f", device={self.device})"

    def __str__(self):
        return self.numpy().__str__()

    # --- memory ------------------------------------------------------------------------

    def fill(self, value):
        """Set every element of this array to `value`, in place (through the view if it is one)."""
        if self.is_compact():
            self._device.fill(self._handle, value)
        else:
            self.device.scalar_setitem(self.size, value, self._handle, self.shape, self.strides, self._offset)

    def to(self, device):
        """This array on `device`: `self` if it is already there, else a copy."""
        if device == self.device:
            return self
        return NDArray(self.numpy(), device=device)

    def numpy(self):
        """A numpy copy of the array."""
        return self.device.to_numpy(self._handle, self.shape, self.strides, self._offset)

    def is_compact(self):
        """Row-major strides, offset 0, and the buffer holds exactly these elements."""
        compact = self._compact
        if compact is None:
            compact = self._compact = (self._offset == 0 and self._strides == _compact_strides(self._shape)
                                       and math.prod(self._shape) == self._handle.size)
        return compact

    def compact(self):
        """A compact array with the same values: `self` if already compact, else a copy."""
        if self._compact or self.is_compact():
            return self
        out = NDArray._empty(self._shape, self._device)
        self.device.compact(self._handle, out._handle, self.shape, self.strides, self._offset)
        return out

    def as_strided(self, shape, strides):
        """A view with the given shape and strides over the same buffer and offset."""
        if len(shape) != len(strides):
            raise ValueError(f"as_strided: shape {tuple(shape)} and strides {tuple(strides)} differ in length")
        return NDArray.make(shape, strides=strides, device=self.device, handle=self._handle, offset=self._offset)

    @property
    def flat(self):
        return self.reshape((self.size,))

    def _is_contiguous(self):
        """Row-major strides over consecutive elements (any offset): a reshape stays a view."""
        return all(stride == compact or size == 1
                   for size, stride, compact in zip(self._shape, self._strides, self.compact_strides(self._shape)))

    # --- views -------------------------------------------------------------------------

    def reshape(self, new_shape):
        """A view with `new_shape` (one entry may be -1) over the same elements, no copy.

        Raises ValueError if the sizes differ, or if the array is not contiguous (a
        permuted or broadcast view): call `.compact()` first.
        """
        new_shape = _resolve_reshape(self.shape, new_shape)
        if not self._is_contiguous():
            raise ValueError(f"cannot reshape a non-contiguous array of shape {self.shape} with strides "
                             f"{self.strides} into {new_shape} without copying; call .compact() first")
        ### BEGIN YOUR SOLUTION
        return self.as_strided(new_shape, self.compact_strides(new_shape))
        ### END YOUR SOLUTION

    def permute(self, new_axes):
        """A view with the axes reordered, no copy: axis i of the result is axis new_axes[i].

        For a 2-D array, permute((1, 0)) is the transpose.
        """
        new_axes = tuple(new_axes)
        if sorted(new_axes) != list(range(self.ndim)):
            raise ValueError(f"permute: axes {new_axes} are not a permutation of the {self.ndim} axes of "
                             f"shape {self.shape}")
        ### BEGIN YOUR SOLUTION
        return self.as_strided(tuple(self.shape[a] for a in new_axes), tuple(self.strides[a] for a in new_axes))
        ### END YOUR SOLUTION

    def broadcast_to(self, new_shape):
        """A view with `new_shape`, no copy: axes of size 1 repeat through stride 0, and new
        leading axes may be added (numpy's rule, without implicit broadcasting elsewhere)."""
        new_shape = tuple(new_shape)
        lead = len(new_shape) - self.ndim
        if lead < 0 or any(old != 1 and old != new for old, new in zip(self.shape, new_shape[lead:])):
            raise ValueError(f"cannot broadcast an array of shape {self.shape} to shape {new_shape}")
        ### BEGIN YOUR SOLUTION
        strides = (0,) * lead + tuple(0 if old == 1 and new != 1 else stride
                                      for old, new, stride in zip(self.shape, new_shape[lead:], self.strides))
        return self.as_strided(new_shape, strides)
        ### END YOUR SOLUTION

    # --- indexing ----------------------------------------------------------------------

    def process_slice(self, sl, dim):
        """Turn a slice of axis `dim` into slice(start, stop, step) with 0 <= start <= stop <=
        shape[dim] and step > 0, as Python normalises slices (negative bounds count from the end)."""
        if sl.step is not None and sl.step <= 0:
            raise ValueError(f"slice {sl} of axis {dim}: only positive steps are supported (use flip to reverse)")
        start, stop, step = sl.indices(self.shape[dim])
        return slice(start, max(start, stop), step)

    def _process_index(self, index, dim):
        """An int index i of axis `dim` as the slice i:i+1 (so no axis is dropped)."""
        if isinstance(index, slice):
            return self.process_slice(index, dim)
        if not isinstance(index, (int, np.integer)) or isinstance(index, bool):
            raise TypeError(f"NDArray index {index!r} for axis {dim} is not an int or a slice")
        size = self.shape[dim]
        if not -size <= index < size:
            raise IndexError(f"index {index} is out of range for axis {dim} of an array of shape {self.shape}")
        index = int(index) % size
        return slice(index, index + 1, 1)

    def __getitem__(self, idxs):
        """A view of the elements selected by one int or slice per axis, no copy.

        An int i selects i:i+1, so the result keeps every axis: A[2, 2] of a 2-D array has
        shape (1, 1). Axis d of the result has ceil((stop - start) / step) elements.
        """
        if not isinstance(idxs, tuple):
            idxs = (idxs,)
        if len(idxs) != self.ndim:
            raise IndexError(f"NDArray needs one index per axis: got {len(idxs)} for an array of shape {self.shape}")
        idxs = tuple(self._process_index(s, i) for i, s in enumerate(idxs))
        ### BEGIN YOUR SOLUTION
        shape = tuple(math.ceil((s.stop - s.start) / s.step) for s in idxs)
        strides = tuple(stride * s.step for stride, s in zip(self.strides, idxs))
        offset = self._offset + sum(stride * s.start for stride, s in zip(self.strides, idxs))
        return NDArray.make(shape, strides=strides, device=self.device, handle=self._handle, offset=offset)
        ### END YOUR SOLUTION

    def __setitem__(self, idxs, other):
        """Write `other` (an NDArray of the view's size, or a number) through the view self[idxs]."""
        view = self.__getitem__(idxs)
        if isinstance(other, NDArray):
            if view.size != other.size:
                raise ValueError(f"cannot assign an array of shape {other.shape} to a view of shape {view.shape}")
            self.device.ewise_setitem(other.to(self.device).compact()._handle, view._handle,
                                      view.shape, view.strides, view._offset)
        else:
            self.device.scalar_setitem(view.size, other, view._handle, view.shape, view.strides, view._offset)

    # --- elementwise -------------------------------------------------------------------

    def ewise_or_scalar(self, other, ewise_func, scalar_func):
        """Run the elementwise kernel on two equal-shaped arrays, or the scalar kernel."""
        out = NDArray._empty(self._shape, self._device)
        if isinstance(other, NDArray):
            if self.shape != other.shape:
                raise ValueError(f"elementwise op needs equal shapes (broadcast explicitly), got {self.shape} "
                                 f"and {other.shape}")
            if other._device is not self._device and other._device != self._device:
                raise ValueError(f"elementwise op needs both arrays on one device, got {self.device} and {other.device}")
            ewise_func(self.compact()._handle, other.compact()._handle, out._handle)
        else:
            scalar_func(self.compact()._handle, other, out._handle)
        return out

    def __add__(self, other):
        return self.ewise_or_scalar(other, self.device.ewise_add, self.device.scalar_add)

    __radd__ = __add__

    def __sub__(self, other):
        return self + (-other)

    def __rsub__(self, other):
        return other + (-self)

    def __mul__(self, other):
        return self.ewise_or_scalar(other, self.device.ewise_mul, self.device.scalar_mul)

    __rmul__ = __mul__

    def __truediv__(self, other):
        return self.ewise_or_scalar(other, self.device.ewise_div, self.device.scalar_div)

    def __rtruediv__(self, other):
        return self ** -1.0 * other

    def __neg__(self):
        return self * (-1)

    def __pow__(self, other):
        if isinstance(other, NDArray):
            raise TypeError("NDArray ** takes a scalar exponent, not an array")
        out = NDArray._empty(self._shape, self._device)
        self.device.scalar_power(self.compact()._handle, other, out._handle)
        return out

    def maximum(self, other):
        return self.ewise_or_scalar(other, self.device.ewise_maximum, self.device.scalar_maximum)

    # Comparisons return float32 arrays of 1.0 and 0.0.
    def __eq__(self, other):
        return self.ewise_or_scalar(other, self.device.ewise_eq, self.device.scalar_eq)

    def __ge__(self, other):
        return self.ewise_or_scalar(other, self.device.ewise_ge, self.device.scalar_ge)

    def __ne__(self, other):
        return 1 - (self == other)

    def __gt__(self, other):
        return (self >= other) * (self != other)

    # a < b as -a > -b (negation is exact), so a NaN on either side gives 0.0, as in numpy
    def __lt__(self, other):
        return (-self) > (-other)

    def __le__(self, other):
        return (-self) >= (-other)

    __hash__ = None  # == is elementwise, so NDArrays cannot be dict keys

    def log(self):
        out = NDArray._empty(self._shape, self._device)
        self.device.ewise_log(self.compact()._handle, out._handle)
        return out

    def exp(self):
        out = NDArray._empty(self._shape, self._device)
        self.device.ewise_exp(self.compact()._handle, out._handle)
        return out

    def tanh(self):
        out = NDArray._empty(self._shape, self._device)
        self.device.ewise_tanh(self.compact()._handle, out._handle)
        return out

    # --- matmul ------------------------------------------------------------------------

    def __matmul__(self, other):
        """Matrix product of two 2-D arrays, by the device's `matmul` kernel on compact operands.

        The CPU backend's `matmul_tiled` (hw3) multiplies operands stored tile by tile; it is
        not used here: the C++ matmul packs its operands into blocks itself, so copying them
        into tiles first and the result back (three extra passes) would only cost time.
        """
        if self.ndim != 2 or other.ndim != 2 or self.shape[1] != other.shape[0]:
            raise ValueError(f"matmul needs 2-D arrays (m, n) and (n, p), got {self.shape} and {other.shape}")
        if other.device != self.device:
            raise ValueError(f"matmul needs both arrays on one device, got {self.device} and {other.device}")
        m, n, p = self.shape[0], self.shape[1], other.shape[1]
        out = NDArray.make((m, p), device=self.device)
        self.device.matmul(self.compact()._handle, other.compact()._handle, out._handle, m, n, p)
        return out

    # --- reductions --------------------------------------------------------------------

    def reduce_view_out(self, axis, keepdims=False):
        """A compact view whose last axis is the one to reduce, and the array to reduce into.

        axis=None reduces every element into shape (1,) ((1,)*ndim with keepdims); an int
        (or a 1-tuple) reduces that axis, kept as size 1 with keepdims.
        """
        if isinstance(axis, (tuple, list)):
            if len(axis) != 1:
                raise ValueError(f"NDArray reduces over one axis or all (None), got axis={tuple(axis)}")
            axis = axis[0]
        if axis is None:
            view = self.compact().reshape((1,) * (self.ndim - 1) + (self.size,))
            out = NDArray.make((1,) * self.ndim if keepdims else (1,), device=self.device)
        else:
            if not -self.ndim <= axis < self.ndim:
                raise ValueError(f"axis {axis} is out of range for an array of shape {self.shape}")
            axis %= self.ndim
            view = self.permute(tuple(a for a in range(self.ndim) if a != axis) + (axis,))
            kept = tuple(1 if i == axis else s for i, s in enumerate(self.shape))
            out = NDArray.make(kept if keepdims else tuple(s for i, s in enumerate(self.shape) if i != axis),
                               device=self.device)
        if view.shape[-1] == 0:
            raise ValueError(f"cannot reduce over an empty axis of an array of shape {self.shape}")
        return view, out

    def _reduce(self, axis, keepdims, rows_kernel, strided_kernel):
        """All elements, or the last axis, by the kernel over consecutive groups; any other axis
        by the strided kernel over (outer, reduced, inner), in memory order: compacting the view
        with that axis moved last would first copy a transposed array."""
        view, out = self.reduce_view_out(axis, keepdims=keepdims)
        axis = axis[0] if isinstance(axis, (tuple, list)) else axis
        if axis is None or axis % self.ndim == self.ndim - 1:
            rows_kernel(view.compact()._handle, out._handle, view.shape[-1])
        elif out.size:
            axis %= self.ndim
            strided_kernel(self.compact()._handle, out._handle, self.shape[axis], prod(self.shape[axis + 1:]))
        return out

    def sum(self, axis=None, keepdims=False):
        return self._reduce(axis, keepdims, self.device.reduce_sum, self.device.reduce_sum_strided)

    def max(self, axis=None, keepdims=False):
        return self._reduce(axis, keepdims, self.device.reduce_max, self.device.reduce_max_strided)

    # --- copies with a new layout ------------------------------------------------------

    def flip(self, axes):
        """A compact copy with the order of elements reversed along `axes` (an int or a tuple).

        Built as a view with negative strides, then compacted.
        """
        axes = (axes,) if isinstance(axes, int) else tuple(axes)
        if any(not -self.ndim <= a < self.ndim for a in axes):
            raise ValueError(f"flip: axes {axes} out of range for an array of shape {self.shape}")
        axes = tuple(a % self.ndim for a in axes)
        ### BEGIN YOUR SOLUTION
        strides = list(self.strides)
        offset = self._offset
        for a in set(axes):
            offset += (self.shape[a] - 1) * strides[a]
            strides[a] = -strides[a]
        view = NDArray.make(self.shape, strides=strides, device=self.device, handle=self._handle, offset=offset)
        return view.compact()
        ### END YOUR SOLUTION

    def pad(self, axes):
        """A new array with zeros added around each axis: axes[i] = (before, after) for axis i."""
        axes = tuple(tuple(a) for a in axes)
        if len(axes) != self.ndim or any(len(a) != 2 or min(a) < 0 for a in axes):
            raise ValueError(f"pad needs one (before, after) pair of non-negative ints per axis of shape "
                             f"{self.shape}, got {axes}")
        ### BEGIN YOUR SOLUTION
        out = self.device.full(tuple(s + before + after for s, (before, after) in zip(self.shape, axes)), 0.0)
        if self.size:
            out[tuple(slice(before, before + s) for s, (before, _) in zip(self.shape, axes))] = self
        return out
        ### END YOUR SOLUTION


def _resolve_reshape(shape, new_shape):
    """new_shape as a tuple, with one -1 inferred; ValueError naming both shapes if sizes differ."""
    new_shape = tuple(int(s) for s in new_shape)
    unknown = [i for i, s in enumerate(new_shape) if s == -1]
    known = prod(s for s in new_shape if s != -1)
    if len(unknown) > 1 or any(s < -1 for s in new_shape):
        raise ValueError(f"cannot reshape an array of shape {shape} into {new_shape}: "
                         "sizes must be non-negative, with at most one -1")
    if unknown:
        if known == 0 or prod(shape) % known:
            raise ValueError(f"cannot reshape an array of shape {shape} ({prod(shape)} elements) into "
                             f"{new_shape}: no size for -1 makes the sizes agree")
        new_shape = new_shape[:unknown[0]] + (prod(shape) // known,) + new_shape[unknown[0] + 1:]
    if prod(new_shape) != prod(shape):
        raise ValueError(f"cannot reshape an array of shape {shape} into {new_shape}: sizes "
                         f"{prod(shape)} and {prod(new_shape)} differ")
    return new_shape
