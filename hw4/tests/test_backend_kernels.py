"""The kernels hw4 adds to the backend table, on each device against the numpy spec
(`ndarray_backend_numpy.py`): `matmul_batched` and the strided reductions
`reduce_sum_strided` / `reduce_max_strided`.

Each kernel is called directly on buffers made with given code, and every output buffer is
first filled with NaN, so a kernel that leaves an element unwritten cannot pass by chance.
"""
import numpy as np
import pytest

import needle.backend_ndarray as nd
from needle.backend_ndarray import ndarray_backend_numpy as spec
from devices import DEVICES


def buffer(values, device):
    return nd.array(np.ascontiguousarray(values, dtype=np.float32), device=device)


def nan_filled(shape, device):
    out = nd.NDArray.make(shape, device=device)
    out.fill(float("nan"))
    return out


def expected(kernel, arrays, out_shape, *sizes):
    """The spec's answer: the same kernel on numpy-backend buffers."""
    ins = [buffer(a, nd.cpu_numpy()) for a in arrays]
    out = nan_filled(out_shape, nd.cpu_numpy())
    getattr(spec, kernel)(*[x._handle for x in ins], out._handle, *sizes)
    return out.numpy()


# (batch, m, n, p): tiny, odd edges around the vector widths, one product big enough for the
# packed GEMM path, a batch of one, and thin products big enough for GEMM (which then reads a
# thin A's B, or a thin B's A, where it lies; threaded from m * n * p >= 2^18)
BATCHED_SHAPES = [(1, 1, 1, 1), (3, 2, 5, 7), (4, 9, 17, 33), (2, 31, 8, 15), (5, 16, 32, 16),
                  (2, 64, 64, 64), (1, 70, 40, 90), (128, 8, 32, 8),
                  (2, 16, 128, 512), (3, 13, 385, 33), (2, 147, 1000, 17), (1, 64, 512, 1000)]


@pytest.mark.hw4_ops
@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("batch,m,n,p", BATCHED_SHAPES)
def test_matmul_batched(device, batch, m, n, p):
    rng = np.random.default_rng(batch * 1000 + m * 100 + n * 10 + p)
    a = rng.standard_normal((batch, m, n)).astype(np.float32)
    b = rng.standard_normal((batch, n, p)).astype(np.float32)
    out = nan_filled((batch, m, p), device)
    device.matmul_batched(buffer(a, device)._handle, buffer(b, device)._handle, out._handle, batch, m, n, p)
    want = expected("matmul_batched", [a, b], (batch, m, p), batch, m, n, p)
    np.testing.assert_allclose(out.numpy(), want, rtol=1e-4, atol=1e-4 * np.sqrt(n))
    np.testing.assert_allclose(want, a @ b, rtol=1e-4, atol=1e-4 * np.sqrt(n))  # the spec itself


# (outer, reduce_size, inner_size): one row, one column, inner wider than a 1024-column block,
# long reductions
STRIDED_SHAPES = [(1, 1, 1), (1, 5, 1), (3, 1, 4), (2, 7, 3), (4, 33, 17), (1, 3, 2500), (3, 130, 40),
                  (6, 2, 1100)]


@pytest.mark.hw4_ops
@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("kernel", ["reduce_sum_strided", "reduce_max_strided"])
@pytest.mark.parametrize("outer,reduce_size,inner", STRIDED_SHAPES)
def test_strided_reductions(device, kernel, outer, reduce_size, inner):
    rng = np.random.default_rng(outer * 10000 + reduce_size * 100 + inner)
    a = rng.standard_normal((outer, reduce_size, inner)).astype(np.float32)
    out = nan_filled((outer, inner), device)
    getattr(device, kernel)(buffer(a, device)._handle, out._handle, reduce_size, inner)
    want = expected(kernel, [a], (outer, inner), reduce_size, inner)
    oracle = a.sum(axis=1) if kernel == "reduce_sum_strided" else a.max(axis=1)
    np.testing.assert_allclose(want, oracle, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(out.numpy(), want, rtol=1e-5, atol=1e-5 * np.sqrt(reduce_size))


@pytest.mark.hw4_ops
@pytest.mark.parametrize("device", DEVICES)
def test_strided_max_propagates_nan_and_keeps_infinities(device):
    a = np.array([[[1.0, -np.inf, 2.0], [np.nan, -np.inf, np.inf], [0.0, -np.inf, 3.0]]], dtype=np.float32)
    out = nan_filled((1, 3), device)
    device.reduce_max_strided(buffer(a, device)._handle, out._handle, 3, 3)
    np.testing.assert_array_equal(out.numpy(), np.array([[np.nan, -np.inf, np.inf]], dtype=np.float32))


@pytest.mark.hw4_ops
@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("axis", [0, 1, 2, (0, 2), (0, 1), (1, 2), (0, 1, 2)])
def test_ndarray_reductions_over_any_axes_match_numpy(device, axis):
    """NDArray.sum / max (and array_functions' several-axes form) reach the strided kernels."""
    x = np.random.default_rng(7).standard_normal((5, 6, 7)).astype(np.float32)
    a = nd.array(x, device=device)
    for keepdims in (False, True):
        np.testing.assert_allclose(nd.sum(a, axis=axis, keepdims=keepdims).numpy(),
                                   x.sum(axis=axis, keepdims=keepdims), rtol=1e-5, atol=1e-5)
        np.testing.assert_array_equal(nd.max(a, axis=axis, keepdims=keepdims).numpy(),
                                      x.max(axis=axis, keepdims=keepdims))
