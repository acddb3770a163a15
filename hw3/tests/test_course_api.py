"""NDArray used the way the course's notebooks and tests use it, so that course code runs unchanged.

In the course's style on purpose: a module-level device list whose CUDA entry is a
`pytest.param` with a skip mark and *no* explicit ids (pytest then asks each device for
attributes such as `__name__` to make the ids: a disabled device must answer AttributeError,
not fail the whole module at import), `nd.array` of integer numpy arrays, `_handle.ptr()` to
check views share memory, methods called by name with keyword arguments, and a numerical
check that nudges `.flat[j]` in place.
"""
import copy
import pickle

import numpy as np
import pytest

import needle as ndl
from needle import backend_ndarray as nd

_DEVICES = [nd.cpu(), pytest.param(nd.cuda(), marks=pytest.mark.skipif(not nd.cuda().enabled(), reason="No GPU"))]
_ALL_DEVICES = [nd.cpu_numpy(), nd.cpu(), nd.cuda()]


def compare_strides(a_np, a_nd):
    size = a_np.itemsize
    assert tuple([x // size for x in a_np.strides]) == a_nd.strides


def check_same_memory(original, view):
    assert original._handle.ptr() == view._handle.ptr()


@pytest.mark.hw3_ndarray_python
@pytest.mark.parametrize("device", _ALL_DEVICES, ids=["cpu_numpy", "cpu", "cuda"])
def test_a_device_enabled_or_not_behaves_as_a_python_object(device):
    assert not hasattr(device, "__name__") and not hasattr(device, "no_such_kernel")
    assert copy.copy(device) == device and copy.deepcopy(device) == device
    assert pickle.loads(pickle.dumps(device)) == device
    assert repr(device) == device.name + "()"
    pytest.param(device, marks=pytest.mark.skipif(not device.enabled(), reason="No GPU"))


@pytest.mark.hw3_ndarray_python
def test_a_kernel_of_a_disabled_device_says_which_device():
    disabled = nd.BackendDevice("cuda", None)
    with pytest.raises(RuntimeError, match=r"cuda\(\) is not available"):
        disabled.ewise_add
    with pytest.raises(AttributeError):
        disabled.__deepcopy__
    assert nd.cpu().__tile_size__ > 0 and nd.cpu().__device_name__ == "cpu"


@pytest.mark.hw3_ndarray_python
@pytest.mark.parametrize("params", [
    {"shape": (4, 4), "np_fn": lambda X: X.transpose(), "nd_fn": lambda X: X.permute((1, 0))},
    {"shape": (4, 1, 4), "np_fn": lambda X: np.broadcast_to(X, shape=(4, 5, 4)), "nd_fn": lambda X: X.broadcast_to((4, 5, 4))},
    {"shape": (4, 3), "np_fn": lambda X: X.reshape(2, 2, 3), "nd_fn": lambda X: X.reshape((2, 2, 3))},
    {"shape": (8, 8), "np_fn": lambda X: X[4:, 4:], "nd_fn": lambda X: X[4:, 4:]},
    {"shape": (7, 8), "np_fn": lambda X: X.transpose()[3:7, 2:5], "nd_fn": lambda X: X.permute((1, 0))[3:7, 2:5]},
])
@pytest.mark.parametrize("device", _DEVICES)
def test_views_share_memory_and_compact(params, device):
    _A = np.random.randint(low=0, high=10, size=params["shape"])
    A = nd.array(_A, device=device)
    view = params["nd_fn"](A)
    check_same_memory(A, view)
    compare_strides(params["np_fn"](_A), view)
    lhs = view.compact()
    assert lhs.is_compact(), "array is not compact"
    np.testing.assert_allclose(lhs.numpy(), params["np_fn"](_A), atol=1e-5, rtol=1e-5)


@pytest.mark.hw3_ewise_cpp
@pytest.mark.parametrize("device", _DEVICES)
def test_operators_and_methods_by_name(device):
    _A, _B = np.random.randn(5, 5), np.random.randn(5, 5)
    A, B = nd.array(_A, device=device), nd.array(_B, device=device)
    for fn in (lambda a, b: a * b, lambda a, b: a / b, lambda a, b: a + b, lambda a, b: a - b,
               lambda a, b: a == b, lambda a, b: a >= b):
        np.testing.assert_allclose(fn(_A, _B), fn(A, B).numpy(), atol=1e-5, rtol=1e-5)
    C = (np.random.randn(1) + 1.0).item()
    np.testing.assert_allclose(np.maximum(_A, C), A.maximum(C).numpy(), atol=1e-5, rtol=1e-5)
    np.testing.assert_allclose(np.abs(_A) ** 0.5, (nd.array(np.abs(_A), device=device) ** 0.5).numpy(), atol=1e-5, rtol=1e-5)
    for name in ("log", "exp", "tanh"):
        source = np.abs(_A) + 1
        np.testing.assert_allclose(getattr(np, name)(source), getattr(nd.array(source, device=device), name)().numpy(),
                                   atol=1e-5, rtol=1e-5)


@pytest.mark.hw3_reduce_cpp
@pytest.mark.parametrize("dims, axis", [((10,), 0), ((4, 5, 6), 0), ((4, 5, 6), 1), ((4, 5, 6), 2)])
@pytest.mark.parametrize("device", _DEVICES)
def test_reductions_with_keepdims(dims, axis, device):
    _A = np.random.randn(*dims)
    A = nd.array(_A, device=device)
    np.testing.assert_allclose(_A.sum(axis=axis, keepdims=True), A.sum(axis=axis, keepdims=True).numpy(), atol=1e-5, rtol=1e-5)
    np.testing.assert_allclose(_A.max(axis=axis, keepdims=True), A.max(axis=axis, keepdims=True).numpy(), atol=1e-5, rtol=1e-5)


@pytest.mark.hw3_compact_cpp
@pytest.mark.parametrize("device", _DEVICES)
def test_setitem_keeps_the_buffer(device):
    _A = np.random.randn(6, 6)
    A = nd.array(_A, device=device)
    start_ptr = A._handle.ptr()
    _A[1:4, 2:5] = 4.0
    A[1:4, 2:5] = 4.0
    _A[0:2, 0:3] = _A[4:6, 3:6]
    A[0:2, 0:3] = A[4:6, 3:6]
    assert A._handle.ptr() == start_ptr
    np.testing.assert_allclose(A.numpy(), _A, atol=1e-5, rtol=1e-5)


@pytest.mark.hw3_compact_cpp
@pytest.mark.parametrize("device", _DEVICES)
def test_flat_is_a_writable_view(device):
    _A = np.random.randn(3, 4).astype(np.float32)
    A = nd.array(_A, device=device)
    A.flat[5] += 1.0
    A.flat[0] -= 2.0
    _A.flat[5] += 1.0
    _A.flat[0] -= 2.0
    np.testing.assert_allclose(A.numpy(), _A, atol=1e-6)


@pytest.mark.hw3_matmul_cpp
@pytest.mark.parametrize("m, n, p", [(8, 8, 8), (1, 2, 3), (72, 73, 74)])
@pytest.mark.parametrize("device", _DEVICES)
def test_matmul_of_arrays(m, n, p, device):
    _A, _B = np.random.randn(m, n), np.random.randn(n, p)
    np.testing.assert_allclose(_A @ _B, (nd.array(_A, device=device) @ nd.array(_B, device=device)).numpy(), atol=1e-4, rtol=1e-4)


@pytest.mark.hw3_ndarray_python
def test_tensors_of_hw3_take_numpy_scalars_and_broadcast():
    x = ndl.Tensor(np.ones((2, 3), dtype=np.float32))
    assert (x / np.random.randn(1)).dtype == np.float32
    assert (x + ndl.Tensor(np.ones(3, dtype=np.float32))).shape == (2, 3)
