"""What hw3's tests share: the devices to run on, inputs, and one check of an NDArray against numpy.

Devices. Every test runs on the three devices: `cpu_numpy()` (the numpy backend, the spec),
`cpu()` (the C++ backend) and `cuda()`. cuda skips when no GPU answers (or the CUDA backend is
not built); cpu never skips, so a missing C++ build fails loudly.

  - The Python part (`hw3_ndarray_python`) runs on `ALL_DEVICES`; its files mark every test.
  - A backend part runs on `backend_devices(cpu_part, cuda_part)`: the cpu case carries the C++
    part's marker, the cuda case the CUDA twin's, and the cpu_numpy case none (it checks the
    spec itself against numpy, so it counts toward no part).

The markers are spelled out in each test file (`pytest.mark.hw3_compact_cpp`, ...), so that a
reader, and the layout check that every declared part has tests, sees them there.
"""
import numpy as np
import pytest

import needle.backend_ndarray as nd

NO_GPU = pytest.mark.skipif(not nd.cuda().enabled(),
                            reason="no GPU: the CUDA backend is not built or no GPU answers")

ALL_DEVICES = [
    pytest.param(nd.cpu_numpy(), id="cpu_numpy"),
    pytest.param(nd.cpu(), id="cpu"),
    pytest.param(nd.cuda(), id="cuda", marks=NO_GPU),
]


def backend_devices(cpu_part, cuda_part):
    """The three devices for the tests of one backend part; cpu and cuda carry the part's markers."""
    return [
        pytest.param(nd.cpu_numpy(), id="cpu_numpy"),
        pytest.param(nd.cpu(), id="cpu", marks=cpu_part),
        pytest.param(nd.cuda(), id="cuda", marks=[cuda_part, NO_GPU]),
    ]


def case_id(value):
    """A test id without spaces, so that `-k` can name it: (2, 3) -> "(2,3)"."""
    return str(value).replace(" ", "")


def normal(shape, seed=0):
    """float32 standard normal values of `shape`, from a seeded generator."""
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def numbered(shape):
    """float32 0, 1, 2, ... in row-major order: every element tells where it came from."""
    return np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape)


def on(device, values):
    """An NDArray copy of the numpy array `values` on `device`."""
    return nd.array(values, device=device)


def compact_strides(shape):
    """numpy's row-major strides of `shape`, in elements (the oracle for NDArray's strides)."""
    return tuple(s // 4 for s in np.empty(shape, dtype=np.float32).strides)


def keepdims_index(index):
    """The numpy index selecting what NDArray's `index` selects: an int i becomes i:i+1, since
    NDArray keeps every axis (A[2, 2] of a 2-D array has shape (1, 1))."""
    index = index if isinstance(index, tuple) else (index,)
    return tuple(slice(i, i + 1 or None) if isinstance(i, (int, np.integer)) else i for i in index)


def reversed_view(a, axes):
    """A view of `a` with axes `axes` reversed: negative strides, the offset at each axis' last
    element. No copy (unlike NDArray.flip, which compacts), so kernels meet negative strides."""
    strides, offset = list(a.strides), a._offset
    for axis in axes:
        offset += (a.shape[axis] - 1) * strides[axis]
        strides[axis] = -strides[axis]
    return nd.NDArray.make(a.shape, strides=strides, device=a.device, handle=a._handle, offset=offset)


def assert_within_buffer(a, what=""):
    """Every element of the view `a` lies inside its buffer. No backend checks this, and reading
    through a view that strays outside (a wrong offset or stride) can crash the interpreter, so
    the checks below look before they read."""
    if a.size == 0:
        return
    reach = [(n - 1) * s for n, s in zip(a.shape, a.strides)]
    first = a._offset + sum(r for r in reach if r < 0)
    last = a._offset + sum(r for r in reach if r > 0)
    assert 0 <= first and last < a._handle.size, (
        f"{what + ': ' if what else ''}the view (shape {a.shape}, strides {a.strides}, offset {a._offset}) reaches "
        f"elements {first} to {last} of a buffer of {a._handle.size}")


def assert_matches(got, want, rtol=0.0, atol=0.0, what=""):
    """`got` is an NDArray with `want`'s shape and values (exactly, unless tolerances are given;
    NaN matches NaN, and bool oracles count as 1.0 and 0.0)."""
    where = f"{what}: " if what else ""
    assert isinstance(got, nd.NDArray), f"{where}expected an NDArray, got {type(got).__name__}"
    assert_within_buffer(got, what)
    want = np.asarray(want)
    want = want.astype(np.float32) if want.dtype == bool else want
    assert got.shape == want.shape, f"{where}shape {got.shape}, expected {want.shape}"
    values = got.numpy()
    assert values.dtype == np.float32, f"{where}numpy() gave dtype {values.dtype}, expected float32"
    np.testing.assert_allclose(values, want, rtol=rtol, atol=atol, equal_nan=True, err_msg=what)
