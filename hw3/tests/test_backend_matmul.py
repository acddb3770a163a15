"""The backends' matmul (hw3_matmul_cpp, hw3_matmul_cuda), through NDArray's @: square and
non-square shapes, shapes whose three sizes are all multiples of 8 (on cpu, @ takes the tiled
kernel `matmul_tiled` for those) and shapes that are not, a 512-cube, transposed, sliced and
broadcast operands (compacted before the kernel), thin products (the shapes hw4's models make,
and edges around the CPU micro-kernel's MR x NR block and KC depth, through both kernels: `@`
and the row-major `matmul` called directly), NaN and inf, and a batch of matmuls done by slicing 3-D
arrays (A[i] keeps shape (1, m, n); reshaping it to (m, n) is a view, since a contiguous slice
reshapes without copying) against numpy's batched @. The oracle is numpy in float64 on the same
float32 inputs; the tolerance grows with the inner size n, as float32 rounding does."""
import numpy as np
import pytest

from ndarray_checks import assert_matches, backend_devices, case_id, on

DEVICES = backend_devices(pytest.mark.hw3_matmul_cpp, pytest.mark.hw3_matmul_cuda)
pytestmark = pytest.mark.parametrize("device", DEVICES)


def uniform(shape, seed):
    """float32 values in [-1, 1): each product is at most 1, so a sum of n of them is at most n."""
    return np.random.default_rng(seed).uniform(-1.0, 1.0, shape).astype(np.float32)


def assert_product(got, A, B, what):
    n = A.shape[-1]
    want = A.astype(np.float64) @ B.astype(np.float64)
    assert_matches(got, want, rtol=1e-5, atol=1e-6 * n, what=what)


SHAPES = [  # (m, n, p): (m, n) @ (n, p)
    pytest.param((1, 1, 1), id="1x1x1"),
    pytest.param((5, 5, 5), id="square-5"),
    pytest.param((3, 5, 7), id="3x5x7"),
    pytest.param((7, 5, 3), id="7x5x3"),
    pytest.param((1, 9, 1), id="row-times-column"),
    pytest.param((9, 1, 9), id="column-times-row"),
    pytest.param((15, 17, 9), id="15x17x9"),
    pytest.param((8, 8, 8), id="tiles-8x8x8"),
    pytest.param((16, 24, 8), id="tiles-16x24x8"),
    pytest.param((8, 16, 24), id="tiles-8x16x24"),
    pytest.param((64, 128, 32), id="tiles-64x128x32"),
    pytest.param((32, 32, 32), id="tiles-square-32"),
    pytest.param((8, 8, 9), id="p-not-a-multiple-of-8"),
    pytest.param((16, 7, 8), id="n-not-a-multiple-of-8"),
    pytest.param((127, 255, 129), id="127x255x129"),
]


@pytest.mark.parametrize("mnp", SHAPES)
def test_matmul_matches_numpy(device, mnp):
    m, n, p = mnp
    A, B = uniform((m, n), seed=1), uniform((n, p), seed=2)
    got = on(device, A) @ on(device, B)
    assert_product(got, A, B, what=f"({m}, {n}) @ ({n}, {p})")
    assert got.device == device and got.is_compact(), "the product is not a compact array on the operands' device"


# Thin products: few rows of A or few columns of B. The CPU gemm reads such an operand where it
# lies instead of packing it, packs only its edge sliver, and computes A's last sliver with fewer
# rows; on 2 cores it splits a thin A's columns of C between the threads (m * n * p >= 2^18).
THIN_EDGES = [(m, n, p) for m in (1, 5, 7, 13, 16, 17) for n in (1, 7, 385) for p in (1, 15, 16, 17, 33)]
MODEL_SHAPES = [  # hw4's LSTM, Transformer and ResNet9 steps
    (16, 128, 512), (16, 512, 128), (128, 16, 512), (64, 512, 256), (64, 512, 1000),
    (147, 8192, 16), (8192, 288, 16), (128, 1152, 128), (24, 1024, 1024), (100, 777, 40),
]


@pytest.mark.parametrize("mnp", THIN_EDGES + MODEL_SHAPES, ids=case_id)
def test_thin_matmul_matches_numpy(device, mnp):
    m, n, p = mnp
    A, B = uniform((m, n), seed=12), uniform((n, p), seed=13)
    a, b = on(device, A), on(device, B)
    assert_product(a @ b, A, B, what=f"({m}, {n}) @ ({n}, {p})")
    out = device.full((m, p), float("nan"))  # the row-major kernel, also where @ takes the tiled one
    device.matmul(a._handle, b._handle, out._handle, m, n, p)
    assert_product(out, A, B, what=f"matmul kernel, ({m}, {n}) @ ({n}, {p})")


@pytest.mark.parametrize("mnp", [(16, 385, 33), (200, 385, 16), (64, 512, 256)], ids=case_id)
def test_matmul_propagates_nan_and_inf(device, mnp):
    m, n, p = mnp
    A, B = uniform((m, n), seed=14), uniform((n, p), seed=15)
    A[3, 5], B[7, p - 1], B[9, 0] = np.nan, np.inf, -np.inf  # a NaN row, inf in an edge column
    A[m - 1, 9] = 0.0  # 0 * -inf: a NaN in the last row
    with np.errstate(invalid="ignore"):  # numpy warns of the NaN it makes, on cpu_numpy too
        want = A.astype(np.float64) @ B.astype(np.float64)
        got = (on(device, A) @ on(device, B)).numpy()
    assert np.array_equal(np.isnan(got), np.isnan(want)), "NaN where numpy has none, or none where it has"
    assert np.array_equal(np.isposinf(got), np.isposinf(want)) and np.array_equal(np.isneginf(got), np.isneginf(want))
    finite = np.isfinite(want)
    np.testing.assert_allclose(got[finite], want[finite], rtol=1e-5, atol=1e-6 * n)


@pytest.mark.parametrize("size", [512])
def test_large_matmul(device, size):
    A, B = uniform((size, size), seed=3), uniform((size, size), seed=4)
    assert_product(on(device, A) @ on(device, B), A, B, what=f"{size}-cube")


@pytest.mark.parametrize("mnp", [(3, 5, 7), (16, 24, 8)], ids=case_id)
def test_matmul_of_non_compact_operands(device, mnp):
    m, n, p = mnp
    At, B2, row = uniform((n, m), seed=5), uniform((2 * n, p + 3), seed=6), uniform((1, n), seed=7)
    a_transposed = on(device, At).permute((1, 0))  # (m, n), strides (1, m)
    b_sliced = on(device, B2)[::2, 3:]  # (n, p), stepped rows, offset 3
    assert_product(a_transposed @ b_sliced, At.T, B2[::2, 3:], what="transposed @ sliced")
    assert_product(b_sliced.permute((1, 0)) @ a_transposed.permute((1, 0)), B2[::2, 3:].T, At,
                   what="sliced.T @ transposed.T")
    broadcast_rows = on(device, row).broadcast_to((m, n))  # stride 0 down the rows
    assert_product(broadcast_rows @ b_sliced, np.broadcast_to(row, (m, n)), B2[::2, 3:], what="broadcast @ sliced")


@pytest.mark.parametrize("mnp", [(0, 3, 2), (2, 0, 3), (2, 3, 0), (8, 0, 8), (0, 8, 16)], ids=case_id)
def test_matmul_with_a_zero_size(device, mnp):
    # an inner size of 0 gives zeros (nothing to add up): the output must be written, not left as it was
    m, n, p = mnp
    A, B = np.ones((m, n), np.float32), np.ones((n, p), np.float32)
    assert_matches(on(device, A) @ on(device, B), np.zeros((m, p)), what=f"({m}, {n}) @ ({n}, {p})")


@pytest.mark.parametrize("bmnp", [(4, 6, 5, 3), (3, 16, 8, 24), (2, 1, 7, 1)], ids=case_id)
def test_batched_matmul_by_slicing(device, bmnp):
    batch, m, n, p = bmnp
    A, B = uniform((batch, m, n), seed=8), uniform((batch, n, p), seed=9)
    a, b = on(device, A), on(device, B)
    out = device.empty((batch, m, p))
    for i in range(batch):
        a_i = a[i, :, :].reshape((m, n))
        assert a_i._handle is a._handle, f"A[{i}].reshape((m, n)) copied instead of being a view"
        out[i, :, :] = (a_i @ b[i, :, :].reshape((n, p))).reshape((1, m, p))
    assert_product(out, A, B, what=f"batch of {batch} ({m}, {n}) @ ({n}, {p})")


def test_batched_matmul_with_a_transposed_batch(device):
    # B stored as (batch, p, n): B[i] transposed is a non-contiguous view, so compact before reshape
    batch, m, n, p = 3, 8, 16, 8
    A, Bt = uniform((batch, m, n), seed=10), uniform((batch, p, n), seed=11)
    a, b = on(device, A), on(device, Bt).permute((0, 2, 1))
    out = device.empty((batch, m, p))
    for i in range(batch):
        out[i, :, :] = a[i, :, :].reshape((m, n)) @ b[i, :, :].compact().reshape((n, p))
    assert_product(out, A, Bt.transpose(0, 2, 1), what="batch with transposed right operands")
