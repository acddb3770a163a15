"""The backends' compact, ewise_setitem and scalar_setitem (hw3_compact_cpp, hw3_compact_cuda).
compact() must copy any view into a fresh row-major buffer: permuted, sliced with steps,
broadcast (stride 0), at an offset, reversed (negative strides), views of views, 1-D to 5-D,
with size-1 and empty axes. Setitem must write an array or a scalar through the same kinds of
views and leave every other element of the base as it was. Each case is checked against numpy
doing the same to the same values; the cpu_numpy case checks the spec itself."""
import numpy as np
import pytest

from ndarray_checks import (assert_matches, assert_within_buffer, backend_devices, keepdims_index, normal, numbered,
                            on, reversed_view)

DEVICES = backend_devices(pytest.mark.hw3_compact_cpp, pytest.mark.hw3_compact_cuda)
pytestmark = pytest.mark.parametrize("device", DEVICES)


def write_through(view, index, value):
    """view[index] = value, once the region written is known to lie inside the buffer (a stray
    write would corrupt memory and crash a later test instead of failing this one)."""
    assert_within_buffer(view[index], f"the region view[{index}]")
    view[index] = value


def np_reversed(A, axes):
    return A[tuple(slice(None, None, -1) if i in axes else slice(None) for i in range(A.ndim))]


# (base shape, the view of an NDArray, the same view of a numpy array)
VIEWS = [
    pytest.param((5, 7), lambda a: a.permute((1, 0)), lambda A: A.T, id="transpose"),
    pytest.param((3, 4, 5), lambda a: a.permute((2, 0, 1)), lambda A: A.transpose(2, 0, 1), id="permute-3d"),
    pytest.param((9, 10), lambda a: a[1:8:2, ::3], lambda A: A[1:8:2, ::3], id="steps"),
    pytest.param((6, 7), lambda a: a[2:5, 3:6], lambda A: A[2:5, 3:6], id="offset-block"),
    pytest.param((6, 7), lambda a: a[2:4, :], lambda A: A[2:4], id="offset-rows"),
    pytest.param((6, 7), lambda a: a[0:2, :], lambda A: A[0:2], id="prefix-rows"),
    pytest.param((20,), lambda a: a[3:17:4], lambda A: A[3:17:4], id="1d-steps"),
    pytest.param((4, 1), lambda a: a.broadcast_to((4, 6)), lambda A: np.broadcast_to(A, (4, 6)),
                 id="broadcast-columns"),
    pytest.param((3,), lambda a: a.broadcast_to((2, 5, 3)), lambda A: np.broadcast_to(A, (2, 5, 3)),
                 id="broadcast-leading"),
    pytest.param((2, 1, 3), lambda a: a.broadcast_to((2, 4, 3)), lambda A: np.broadcast_to(A, (2, 4, 3)),
                 id="broadcast-middle"),
    pytest.param((1,), lambda a: a.broadcast_to((3, 4)), lambda A: np.broadcast_to(A, (3, 4)), id="broadcast-scalar"),
    pytest.param((5, 6), lambda a: reversed_view(a, (0,)), lambda A: A[::-1], id="reversed-rows"),
    pytest.param((5, 6), lambda a: reversed_view(a, (1,)), lambda A: A[:, ::-1], id="reversed-columns"),
    pytest.param((3, 4, 5), lambda a: reversed_view(a, (0, 1, 2)), lambda A: A[::-1, ::-1, ::-1], id="reversed-all-3d"),
    pytest.param((6, 7), lambda a: reversed_view(a[1:5:2, 2:], (0, 1)), lambda A: A[1:5:2, 2:][::-1, ::-1],
                 id="reversed-slice"),
    pytest.param((6, 7), lambda a: reversed_view(a, (0,))[1:4, ::2], lambda A: A[::-1][1:4, ::2],
                 id="slice-of-reversed"),
    pytest.param((4, 5), lambda a: a.permute((1, 0))[1:4, ::2].broadcast_to((2, 3, 2)),
                 lambda A: np.broadcast_to(A.T[1:4, ::2], (2, 3, 2)), id="broadcast-of-slice-of-transpose"),
    pytest.param((4, 5), lambda a: a[1:, 1:][::2, 1:3].permute((1, 0)), lambda A: A[1:, 1:][::2, 1:3].T,
                 id="transpose-of-slice-of-slice"),
    pytest.param((2, 3, 4, 5), lambda a: a.permute((3, 1, 0, 2))[:, 1:, ::2, 1:3],
                 lambda A: A.transpose(3, 1, 0, 2)[:, 1:, ::2, 1:3], id="4d"),
    pytest.param((2, 3, 2, 4, 3), lambda a: reversed_view(a.permute((4, 2, 0, 3, 1)), (1, 3))[::2, :, :, 1:, 1:],
                 lambda A: np_reversed(A.transpose(4, 2, 0, 3, 1), (1, 3))[::2, :, :, 1:, 1:], id="5d"),
    pytest.param((1, 5, 1), lambda a: a.permute((2, 1, 0)), lambda A: A.transpose(2, 1, 0), id="size-1-axes"),
    pytest.param((5, 6), lambda a: a[2, 3], lambda A: A[2:3, 3:4], id="one-element"),
    pytest.param((3, 0, 4), lambda a: a.permute((2, 0, 1)), lambda A: A.transpose(2, 0, 1), id="empty-axis"),
    pytest.param((5, 6), lambda a: a[3:3, ::2], lambda A: A[3:3, ::2], id="empty-slice"),
]


@pytest.mark.parametrize("shape, view, np_view", VIEWS)
def test_compact_copies_the_view_row_major(device, shape, view, np_view):
    A = normal(shape, seed=1)
    a = on(device, A)
    v = view(a)
    assert_within_buffer(v, "the view")
    c = v.compact()
    assert c is not v and c._handle is not a._handle, "compact() of a view returned the view's own buffer"
    assert c.is_compact(), f"compact() gave strides {c.strides}, offset {c._offset}"
    assert_matches(c, np_view(A), what="compact() of the view")
    assert_matches(a, A, what="the base after compact()")


@pytest.mark.parametrize("shape, view, np_view", VIEWS)
def test_elementwise_ops_on_views_read_the_right_elements(device, shape, view, np_view):
    # ops compact their inputs first: a second route through compact, with two views at once
    A = normal(shape, seed=2)
    a = on(device, A)
    assert_matches(view(a) * 2.0 + view(a), np_view(A) * 3.0, rtol=1e-6, what="view * 2 + view")


# (base shape, the view written through, numpy's same view, the index used in a[index] = ...)
TARGETS = [
    pytest.param((6, 7), lambda a: a, lambda A: A, (slice(2, 4), slice(None)), id="rows"),
    pytest.param((6, 7), lambda a: a, lambda A: A, (slice(1, 6, 2), slice(None, None, 3)), id="steps"),
    pytest.param((6, 7), lambda a: a, lambda A: A, (2, 3), id="one-element"),
    pytest.param((6, 7), lambda a: a, lambda A: A, (slice(None), slice(None)), id="everything"),
    pytest.param((20,), lambda a: a, lambda A: A, (slice(3, 17, 4),), id="1d-steps"),
    pytest.param((6, 7), lambda a: a.permute((1, 0)), lambda A: A.T, (slice(1, 5), slice(2, 4)), id="transpose"),
    pytest.param((6, 7), lambda a: reversed_view(a, (0,)), lambda A: A[::-1], (slice(0, 3), slice(1, 7, 2)),
                 id="reversed"),
    pytest.param((6, 7), lambda a: reversed_view(a, (0, 1)), lambda A: A[::-1, ::-1], (slice(None), slice(None)),
                 id="reversed-everything"),
    pytest.param((3, 4, 5), lambda a: a.permute((2, 0, 1)), lambda A: A.transpose(2, 0, 1),
                 (slice(1, 4), slice(None), slice(1, 3)), id="permuted-3d"),
    pytest.param((6, 7), lambda a: a[1:, 2:], lambda A: A[1:, 2:], (slice(1, 4, 2), slice(None, None, 2)),
                 id="slice-of-slice"),
    pytest.param((2, 3, 4, 5), lambda a: a, lambda A: A, (slice(None), slice(1, 3), slice(None, None, 2), 3), id="4d"),
    pytest.param((2, 3, 2, 4, 3), lambda a: a.permute((4, 3, 2, 1, 0)), lambda A: A.transpose(4, 3, 2, 1, 0),
                 (slice(None, None, 2), slice(1, None), 1, slice(None), slice(None, 1)), id="5d"),
    pytest.param((6, 7), lambda a: a, lambda A: A, (slice(3, 3), slice(None)), id="empty"),
]


@pytest.mark.parametrize("shape, target, np_target, index", TARGETS)
def test_ewise_setitem_writes_through_the_view_and_nowhere_else(device, shape, target, np_target, index):
    A = numbered(shape)
    a = on(device, A)
    expected = A.copy()
    region = np_target(expected)[keepdims_index(index)]
    values = normal(region.shape, seed=3) + 1000.0  # unlike every value already there
    region[...] = values
    write_through(target(a), index, on(device, values))
    assert_matches(a, expected, what=f"setitem of an array through view[{index}]")


@pytest.mark.parametrize("shape, target, np_target, index", TARGETS)
def test_ewise_setitem_from_a_non_compact_source(device, shape, target, np_target, index):
    A = numbered(shape)
    a = on(device, A)
    expected = A.copy()
    region = np_target(expected)[keepdims_index(index)]
    source = normal(region.shape[::-1], seed=4) - 1000.0  # stored transposed: the source is a view
    region[...] = source.T
    axes = tuple(reversed(range(len(shape))))
    write_through(target(a), index, on(device, source).permute(axes))
    assert_matches(a, expected, what=f"setitem of a transposed array through view[{index}]")


@pytest.mark.parametrize("shape, target, np_target, index", TARGETS)
def test_scalar_setitem_writes_through_the_view_and_nowhere_else(device, shape, target, np_target, index):
    A = numbered(shape)
    a = on(device, A)
    expected = A.copy()
    np_target(expected)[keepdims_index(index)] = -3.25
    write_through(target(a), index, -3.25)
    assert_matches(a, expected, what=f"setitem of -3.25 through view[{index}]")
