"""The backends' reduce_sum and reduce_max (hw3_reduce_cpp, hw3_reduce_cuda), through NDArray's
sum and max: over each axis (negative too) of 1-D to 4-D arrays, with and without keepdims,
over everything (axis=None gives shape (1,), or (1,) * ndim with keepdims), of non-compact
views, of rows of length 1, of long rows (a million elements: the sum within 1e-4 of float64,
and exactly when every partial sum is an integer float32 holds), of all-negative rows (a max that starts from 0 fails), and with inf and NaN
(numpy's max propagates NaN wherever it sits in the row)."""
import numpy as np
import pytest

from ndarray_checks import assert_matches, backend_devices, case_id, normal, numbered, on

DEVICES = backend_devices(pytest.mark.hw3_reduce_cpp, pytest.mark.hw3_reduce_cuda)
pytestmark = pytest.mark.parametrize("device", DEVICES)

SHAPES = [(7,), (4, 5), (3, 4, 5), (2, 3, 4, 5)]


def expected(reduce, A, axis, keepdims):
    """numpy's sum (in float64, the exact oracle) or max, shaped as NDArray's: axis=None gives (1,)."""
    if reduce == "sum":
        result = A.astype(np.float64).sum(axis=axis, keepdims=keepdims)
    else:
        result = A.max(axis=axis, keepdims=keepdims)
    if axis is None:
        return np.full((1,) * A.ndim if keepdims else (1,), result.item())
    return result


def check(reduce, a, A, axis, keepdims, what):
    got = getattr(a, reduce)(axis=axis, keepdims=keepdims)
    assert_matches(got, expected(reduce, A, axis, keepdims), rtol=1e-5, atol=1e-6,
                   what=f"{what}.{reduce}(axis={axis}, keepdims={keepdims})")


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("reduce", ["sum", "max"])
@pytest.mark.parametrize("shape", SHAPES, ids=case_id)
def test_reduce_over_each_axis(device, shape, reduce, keepdims):
    A = normal(shape, seed=1)
    a = on(device, A)
    for axis in [*range(len(shape)), -1]:
        check(reduce, a, A, axis, keepdims, f"array {shape}")


@pytest.mark.parametrize("reduce", ["sum", "max"])
@pytest.mark.parametrize("shape", SHAPES, ids=case_id)
def test_reduce_over_everything(device, shape, reduce):
    A = normal(shape, seed=2)
    a = on(device, A)
    assert_matches(getattr(a, reduce)(), expected(reduce, A, None, False), rtol=1e-5, atol=1e-6,
                   what=f"{reduce}() of {shape}")
    check(reduce, a, A, None, True, f"array {shape}")


@pytest.mark.parametrize("reduce", ["sum", "max"])
def test_reduce_of_views_and_a_one_tuple_axis(device, reduce):
    A = normal((6, 5, 4), seed=3)
    a = on(device, A)
    views = [("permuted", a.permute((2, 0, 1)), A.transpose(2, 0, 1)),
             ("sliced", a[1::2, :4, 1:], A[1::2, :4, 1:]),
             ("broadcast", a[2:3, :, :].broadcast_to((3, 5, 4)), np.broadcast_to(A[2:3], (3, 5, 4)))]
    for name, v, V in views:
        for axis in [0, 1, 2, None]:
            check(reduce, v, V, axis, False, name)
    assert_matches(getattr(a, reduce)(axis=(1,)), expected(reduce, A, 1, False), rtol=1e-5, atol=1e-6,
                   what=f"{reduce}(axis=(1,))")


@pytest.mark.parametrize("reduce", ["sum", "max"])
def test_reduce_rows_of_length_one(device, reduce):
    A = normal((5, 1), seed=4)
    assert_matches(getattr(on(device, A), reduce)(axis=1), A[:, 0], what=f"{reduce} over an axis of length 1")
    assert_matches(getattr(on(device, A), reduce)(axis=1, keepdims=True), A, what=f"{reduce} keepdims, length 1")
    B = normal((1, 6), seed=5)
    assert_matches(getattr(on(device, B), reduce)(axis=0), B[0], what=f"{reduce} over axis 0 of (1, 6)")
    assert_matches(getattr(on(device, np.array([2.5], np.float32)), reduce)(), [2.5], what=f"{reduce} of one element")


def test_max_of_negative_rows_and_infinities(device):
    A = -np.abs(normal((4, 6), seed=6)) - 1.0  # every value below -1
    A[3] = -np.inf
    A[2, 4] = np.inf
    assert_matches(on(device, A).max(axis=1), A.max(axis=1), what="max of all-negative and -inf rows")
    assert_matches(on(device, A).max(axis=0), A.max(axis=0), what="max down all-negative columns")
    assert_matches(on(device, A).sum(axis=1), A.astype(np.float64).sum(axis=1), rtol=1e-6, what="sum of rows with inf")


def test_max_and_sum_propagate_nan(device):
    A = normal((5, 7), seed=7)
    A[0, 0] = A[1, 3] = A[2, 6] = np.nan  # first, middle and last element of a row
    A[3, 2] = np.inf  # row 3 and column 2 hold no NaN: their max is inf
    for axis in [0, 1, None]:
        assert_matches(on(device, A).max(axis=axis), expected("max", A, axis, False),
                       what=f"max(axis={axis}) with NaN at the start, middle and end of rows")
        assert_matches(on(device, A).sum(axis=axis), expected("sum", A, axis, False), rtol=1e-5, atol=1e-6,
                       what=f"sum(axis={axis}) with NaN")


def test_sum_of_a_long_row_is_accurate(device):
    # A sum of a million values within 1e-4 of float64: one float32 running sum (2.9e-5 off here)
    # passes, a sum that drops or repeats elements does not. Partial sums over SIMD lanes or a GPU
    # block's threads, or a double accumulator, are far better (about 1e-7).
    A = np.random.default_rng(18).random(1_000_000).astype(np.float32)
    total = A.astype(np.float64).sum()
    assert_matches(on(device, A).sum(), [total], rtol=1e-4, what="sum of 1e6 values in [0, 1) against float64")


def test_long_rows_exactly_when_float32_can_be_exact(device):
    # integers 0..15: every partial sum stays an integer below 2**24, exact in float32 in any order
    A = np.random.default_rng(9).integers(0, 16, (2, 1_000_000)).astype(np.float32)
    A[1, -1] = 16.0  # the maximum in the very last element
    assert_matches(on(device, A).sum(axis=1), A.astype(np.int64).sum(axis=1), what="exact sums of two long rows")
    assert_matches(on(device, A).max(axis=1), [15.0, 16.0], what="max of two long rows")
    B = numbered((1000, 3))
    assert_matches(on(device, B).sum(axis=1), B.sum(axis=1), what="sum of many short rows")
    assert_matches(on(device, B).max(axis=0), B[-1], what="max of long columns")


def test_reduce_a_non_empty_axis_of_an_empty_array(device):
    E = np.zeros((0, 3), np.float32)
    assert_matches(on(device, E).sum(axis=1), np.zeros(0), what="sum(axis=1) of a (0, 3) array")
    assert_matches(on(device, E).max(axis=1, keepdims=True), np.zeros((0, 1)), what="max(axis=1, keepdims) of (0, 3)")
    assert_matches(on(device, E.T).sum(axis=0), np.zeros(0), what="sum(axis=0) of a (3, 0) array")
