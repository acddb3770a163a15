"""NDArray's views, written in Python (hw3_ndarray_python): reshape, permute, broadcast_to,
__getitem__, as_strided and flat. Each view is compared with numpy doing the same thing to the
same values (shape, values, and strides where numpy's are the spec: compact strides after a
reshape, stride 0 on broadcast axes), and each must share its base's buffer. __getitem__ keeps
every axis (an int i selects i:i+1), takes one index per axis, clamps slices as Python does and
adds to the base's offset, so views of views land on the right elements. Runs on every device:
views are pure Python, but reading them back goes through each backend."""
import itertools

import numpy as np
import pytest

import needle.backend_ndarray as nd
from ndarray_checks import ALL_DEVICES, assert_matches, case_id, compact_strides, keepdims_index, normal, numbered, on

pytestmark = [pytest.mark.hw3_ndarray_python, pytest.mark.parametrize("device", ALL_DEVICES)]


def assert_is_view(view, base, what=""):
    assert view._handle is base._handle, f"{what}: made a copy (a new buffer) instead of a view"


# --- reshape ---------------------------------------------------------------------------------


@pytest.mark.parametrize("new_shape", [(24,), (4, 6), (2, 12), (1, 24, 1), (4, 3, 2), (2, 3, 2, 2), (24, 1)])
def test_reshape_is_a_view_with_compact_strides(device, new_shape):
    A = numbered((2, 3, 4))
    a = on(device, A)
    b = a.reshape(new_shape)
    assert_is_view(b, a, f"reshape to {new_shape}")
    assert b.strides == compact_strides(new_shape), f"reshape to {new_shape}: strides {b.strides}"
    assert_matches(b, A.reshape(new_shape), what=f"reshape to {new_shape}")


@pytest.mark.parametrize("new_shape", [(-1,), (3, -1), (-1, 2, 2), (2, -1, 4), (1, -1, 1)])
def test_reshape_infers_one_minus_one(device, new_shape):
    A = numbered((3, 8))
    b = on(device, A).reshape(new_shape)
    assert_matches(b, A.reshape(new_shape), what=f"reshape to {new_shape}")


def test_reshape_of_a_contiguous_slice_is_a_view_that_keeps_the_offset(device):
    A = numbered((4, 3, 2))
    a = on(device, A)
    rows = a[1:3, :, :]  # offset 6, strides compact: consecutive elements
    flat_rows = rows.reshape((12,))
    assert_is_view(flat_rows, a, "reshape of a[1:3, :, :]")
    assert_matches(flat_rows, A[1:3].reshape(12), what="reshape of a[1:3, :, :]")
    # size-1 axes may have any stride: a[2, 1, :] is consecutive too
    assert_matches(a[2, 1, :].reshape((2,)), A[2, 1, :], what="reshape of a[2, 1, :]")
    assert_matches(a[3, :, :].reshape((3, 2)), A[3], what="reshape of a[3, :, :]")


@pytest.mark.parametrize("view", [
    pytest.param(lambda a: a.permute((1, 0)), id="transposed"),
    pytest.param(lambda a: a[:, ::2], id="stepped-columns"),
    pytest.param(lambda a: a[:, 1:3], id="column-block"),
    pytest.param(lambda a: a[0:1, :].broadcast_to((3, 4)), id="broadcast"),
])
def test_reshape_refuses_a_non_contiguous_view_and_works_after_compact(device, view):
    A = numbered((3, 4))
    v = view(on(device, A))
    with pytest.raises(ValueError, match=r"non-contiguous.*compact\(\)"):
        v.reshape((v.size,))
    expected = v.numpy().reshape(-1)
    assert_matches(v.compact().reshape((v.size,)), expected, what="compact().reshape")


# --- permute ---------------------------------------------------------------------------------


@pytest.mark.parametrize("axes", list(itertools.permutations(range(3))), ids=case_id)
def test_permute_3d_matches_numpy_transpose(device, axes):
    A = numbered((2, 3, 4))
    a = on(device, A)
    b = a.permute(axes)
    assert_is_view(b, a, f"permute {axes}")
    assert b.strides == tuple(a.strides[i] for i in axes), f"permute {axes}: strides {b.strides}"
    assert_matches(b, A.transpose(axes), what=f"permute {axes}")


def test_permute_of_2d_4d_and_sliced_arrays(device):
    A = normal((3, 5), seed=1)
    assert_matches(on(device, A).permute((1, 0)), A.T, what="permute (1, 0)")
    B = numbered((2, 3, 4, 5))
    assert_matches(on(device, B).permute((3, 1, 0, 2)), B.transpose(3, 1, 0, 2), what="4-D permute")
    b = on(device, B)[:, 1:, ::2, 2:4]
    assert_matches(b.permute((2, 0, 3, 1)), B[:, 1:, ::2, 2:4].transpose(2, 0, 3, 1), what="permute of a slice")
    assert_matches(b.permute((2, 0, 3, 1)).permute((1, 3, 0, 2)), B[:, 1:, ::2, 2:4], what="permute back")


# --- broadcast_to ----------------------------------------------------------------------------

BROADCASTS = [
    ((3, 1), (3, 4)),
    ((1, 4), (3, 4)),
    ((4,), (2, 3, 4)),
    ((1,), (5,)),
    ((2, 1, 3), (4, 2, 5, 3)),
    ((1, 1), (1, 1)),
    ((3, 4), (3, 4)),
    ((3, 1), (2, 3, 1)),
]


@pytest.mark.parametrize("shape, new_shape", BROADCASTS, ids=case_id)
def test_broadcast_to_uses_stride_zero_and_matches_numpy(device, shape, new_shape):
    A = numbered(shape)
    a = on(device, A)
    b = a.broadcast_to(new_shape)
    assert_is_view(b, a, f"broadcast {shape} to {new_shape}")
    want = np.broadcast_to(A, new_shape)
    # numpy's strides are the spec on every axis longer than 1 (a size-1 axis may have any stride)
    expected = tuple(s // 4 if n > 1 else None for s, n in zip(want.strides, new_shape))
    got = tuple(s if n > 1 else None for s, n in zip(b.strides, new_shape))
    assert got == expected, (f"broadcast {shape} to {new_shape}: strides {b.strides}, expected {expected} on the "
                             "axes longer than 1 (0 on every axis that repeats, new leading axes included)")
    assert_matches(b, want, what=f"broadcast {shape} to {new_shape}")
    assert_matches(nd.broadcast_to(a, new_shape), want, what="nd.broadcast_to")


def test_broadcast_of_a_view_keeps_its_offset_and_strides(device):
    A = numbered((3, 4))
    column = on(device, A)[:, 2:3]  # shape (3, 1), offset 2, strides (4, 1)
    assert_matches(column.broadcast_to((2, 3, 5)), np.broadcast_to(A[:, 2:3], (2, 3, 5)), what="broadcast of a[:, 2:3]")
    transposed_row = on(device, A).permute((1, 0))[:, 1:2]  # shape (4, 1), strides (1, 4), offset 4
    assert_matches(transposed_row.broadcast_to((4, 3)), np.broadcast_to(A.T[:, 1:2], (4, 3)),
                   what="broadcast of a.permute((1, 0))[:, 1:2]")


# --- __getitem__ ------------------------------------------------------------------------------

INDICES = [
    pytest.param((2, 2), id="ints"),
    pytest.param((-1, -6), id="negative-ints"),
    pytest.param((slice(1, 4), slice(None)), id="row-block"),
    pytest.param((slice(None, None, 2), slice(1, None, 3)), id="steps"),
    pytest.param((slice(0, 5, 3), slice(5, 6, 4)), id="steps-not-dividing"),
    pytest.param((slice(-3, -1), slice(-100, 2)), id="negative-bounds"),
    pytest.param((slice(2, 100), slice(-2, 50)), id="clamped-stops"),
    pytest.param((slice(0, 5, 7), slice(None)), id="step-beyond-the-axis"),
    pytest.param((slice(3, 1), slice(None)), id="empty-start-after-stop"),
    pytest.param((slice(4, 4), slice(2, 2)), id="empty"),
    pytest.param((1, slice(None, None, 2)), id="int-and-slice"),
    pytest.param((slice(1, None, 2), -2), id="slice-and-negative-int"),
    pytest.param((np.int64(3), slice(None)), id="numpy-int"),
]


@pytest.mark.parametrize("index", INDICES)
def test_getitem_selects_what_numpy_does_and_keeps_every_axis(device, index):
    A = numbered((5, 6))
    a = on(device, A)
    b = a[index]
    assert_is_view(b, a, f"a[{index}]")
    assert_matches(b, A[keepdims_index(index)], what=f"a[{index}]")


def test_getitem_strides_are_the_base_strides_times_the_steps(device):
    a = on(device, numbered((6, 7, 8)))
    b = a[1:5:2, :, 3::3]
    assert b.shape == (2, 7, 2)
    assert b.strides == (56 * 2, 8, 3), f"a[1:5:2, :, 3::3]: strides {b.strides}"
    assert b._offset == 56 + 3, f"a[1:5:2, :, 3::3]: offset {b._offset}"


def test_single_ints_keep_every_axis(device):
    A = numbered((3, 4, 5))
    a = on(device, A)
    assert_matches(a[2, 2, 2], A[2:3, 2:3, 2:3], what="a[2, 2, 2]")
    assert_matches(a[0, -1, 1], A[0:1, 3:4, 1:2], what="a[0, -1, 1]")
    assert_matches(on(device, numbered((7,)))[3], np.array([3.0]), what="a[3] of a 1-D array")


@pytest.mark.parametrize("view, expected", [
    pytest.param(lambda a: a[1:, 1:][1:, ::2], lambda A: A[1:, 1:][1:, ::2], id="slice-of-slice"),
    pytest.param(lambda a: a[1:4, :][2, 1:], lambda A: A[1:4][2:3, 1:], id="int-of-slice"),
    pytest.param(lambda a: a[2:, 3:][-1, -1], lambda A: A[-1:, -1:], id="negative-int-of-slice"),
    pytest.param(lambda a: a.permute((1, 0))[1:5, ::2], lambda A: A.T[1:5, ::2], id="slice-of-transpose"),
    pytest.param(lambda a: a[::2, 1:].permute((1, 0))[2:, 1:], lambda A: A[::2, 1:].T[2:, 1:],
                 id="slice-of-transposed-slice"),
    pytest.param(lambda a: a[1:2, :].broadcast_to((4, 6))[1:3, 2::2],
                 lambda A: np.broadcast_to(A[1:2], (4, 6))[1:3, 2::2], id="slice-of-broadcast"),
    pytest.param(lambda a: a[1:3, :].reshape((2, 2, 3))[1, :, 1:], lambda A: A[1:3].reshape(2, 2, 3)[1:2, :, 1:],
                 id="slice-of-reshaped-slice"),
])
def test_getitem_of_views_adds_to_their_offset(device, view, expected):
    A = numbered((5, 6))
    a = on(device, A)
    assert_matches(view(a), expected(A), what="view of a view")


def test_getitem_of_3d_and_5d(device):
    A = numbered((4, 5, 6))
    a = on(device, A)
    index = (slice(1, 4, 2), 3, slice(-4, None, 3))
    assert_matches(a[index], A[keepdims_index(index)], what=f"a[{index}]")
    B = numbered((2, 3, 2, 4, 3))
    index = (1, slice(None, None, 2), slice(None), slice(1, 4, 2), -1)
    assert_matches(on(device, B)[index], B[keepdims_index(index)], what=f"b[{index}]")


# --- as_strided and flat ----------------------------------------------------------------------


def test_as_strided_makes_sliding_windows_and_transposes(device):
    A = numbered((10,))
    a = on(device, A)
    windows = a.as_strided((8, 3), (1, 1))
    assert_is_view(windows, a, "as_strided")
    assert_matches(windows, np.lib.stride_tricks.sliding_window_view(A, 3), what="as_strided((8, 3), (1, 1))")
    B = numbered((3, 4))
    assert_matches(on(device, B).as_strided((4, 3), (1, 4)), B.T, what="as_strided((4, 3), (1, 4))")
    # as_strided keeps the view's offset
    assert_matches(a[2:].as_strided((3, 2), (2, 1)), A[2:8].reshape(3, 2), what="as_strided of a[2:]")


def test_flat_is_the_row_major_view(device):
    A = numbered((3, 4))
    a = on(device, A)
    assert_is_view(a.flat, a, "flat")
    assert_matches(a.flat, A.ravel(), what="a.flat")
    assert_matches(a[1:3, :].flat, A[1:3].ravel(), what="a[1:3, :].flat")
    with pytest.raises(ValueError, match="non-contiguous"):
        a.permute((1, 0)).flat
