"""NDArray's operations that write or copy (hw3_ndarray_python): flip (one, several, all and
negative axes, of views), pad (against np.pad, of views, of empty arrays), __setitem__ through
views (an NDArray or a scalar; the rest of the base untouched), NDArray(other) copying,
to(device) returning self on the same device, and compact() returning self only when there is
nothing to do. Flip and pad return new compact arrays: changing the source afterwards must not
show through."""
import numpy as np
import pytest

import needle.backend_ndarray as nd
from needle.backend_ndarray import ndarray_backend_numpy
from ndarray_checks import (ALL_DEVICES, assert_matches, assert_within_buffer, case_id, keepdims_index, normal,
                            numbered, on)

pytestmark = [pytest.mark.hw3_ndarray_python, pytest.mark.parametrize("device", ALL_DEVICES)]


# --- flip ------------------------------------------------------------------------------------

FLIPS = [
    ((5,), 0),
    ((3, 4), 0),
    ((3, 4), 1),
    ((3, 4), (0, 1)),
    ((3, 4), -1),
    ((2, 3, 4), (0, 2)),
    ((2, 3, 4), (2, 1, 0)),
    ((2, 3, 4, 5), (1, 3)),
    ((1, 4, 1), (0, 2)),
]


@pytest.mark.parametrize("shape, axes", FLIPS, ids=case_id)
def test_flip_matches_numpy(device, shape, axes):
    A = numbered(shape)
    a = on(device, A)
    b = a.flip(axes)
    assert_matches(b, np.flip(A, axes), what=f"flip {shape} over {axes}")
    assert b.is_compact(), f"flip {shape} over {axes} returned a non-compact array"
    assert_matches(nd.flip(a, axes), np.flip(A, axes), what="nd.flip")


@pytest.mark.parametrize("view, expected", [
    pytest.param(lambda a: a[1:4, 1::2], lambda A: A[1:4, 1::2], id="slice"),
    pytest.param(lambda a: a.permute((1, 0)), lambda A: A.T, id="transpose"),
    pytest.param(lambda a: a[::2, :].permute((1, 0))[1:, :], lambda A: A[::2].T[1:], id="slice-of-transposed-slice"),
    pytest.param(lambda a: a[2:3, :].broadcast_to((3, 6)), lambda A: np.broadcast_to(A[2:3], (3, 6)), id="broadcast"),
])
@pytest.mark.parametrize("axes", [0, 1, (0, 1)], ids=case_id)
def test_flip_of_views(device, view, expected, axes):
    A = numbered((5, 6))
    assert_matches(view(on(device, A)).flip(axes), np.flip(expected(A), axes), what=f"flip over {axes} of a view")


def test_flip_twice_is_the_identity_and_flip_is_a_copy(device):
    A = normal((3, 4, 5), seed=2)
    a = on(device, A)
    b = a.flip((0, 2))
    assert_matches(b.flip((0, 2)), A, what="flip twice")
    a[0, 0, 0] = 100.0
    assert_matches(b, np.flip(A, (0, 2)), what="flip after the source changed")


# --- pad -------------------------------------------------------------------------------------

PADS = [
    ((3, 4), ((1, 2), (0, 3))),
    ((3, 4), ((0, 0), (0, 0))),
    ((2, 3, 4), ((1, 1), (2, 0), (0, 1))),
    ((5,), ((3, 0),)),
    ((1, 1), ((2, 2), (2, 2))),
    ((0, 3), ((1, 1), (1, 1))),
]


@pytest.mark.parametrize("shape, axes", PADS, ids=case_id)
def test_pad_matches_numpy(device, shape, axes):
    A = normal(shape, seed=3)
    a = on(device, A)
    b = a.pad(axes)
    assert_matches(b, np.pad(A, axes), what=f"pad {shape} by {axes}")
    assert b._handle is not a._handle, "pad wrote into its source instead of a new array"
    assert_matches(a, A, what="the source after pad")


def test_pad_of_a_view(device):
    A = numbered((4, 5))
    a = on(device, A)[::2, 1:4].permute((1, 0))
    assert_matches(a.pad(((2, 1), (0, 2))), np.pad(A[::2, 1:4].T, ((2, 1), (0, 2))), what="pad of a view")


# --- __setitem__ ------------------------------------------------------------------------------

SETITEMS = [
    pytest.param((slice(1, 3), slice(None)), id="rows"),
    pytest.param((slice(None, None, 2), slice(1, 5, 3)), id="steps"),
    pytest.param((2, 3), id="one-element"),
    pytest.param((-1, slice(2, None)), id="negative-int"),
    pytest.param((slice(None), slice(None)), id="everything"),
    pytest.param((slice(3, 3), slice(None)), id="empty"),
]


@pytest.mark.parametrize("index", SETITEMS)
def test_setitem_an_array_writes_only_the_selected_elements(device, index):
    A = numbered((4, 6))
    a = on(device, A)
    expected = A.copy()
    region = expected[keepdims_index(index)]
    values = normal(region.shape, seed=4)
    region[...] = values
    assert_within_buffer(a[index], f"a[{index}]")
    a[index] = on(device, values)
    assert_matches(a, expected, what=f"a[{index}] = array")


@pytest.mark.parametrize("index", SETITEMS)
def test_setitem_a_scalar_writes_only_the_selected_elements(device, index):
    A = numbered((4, 6))
    a = on(device, A)
    expected = A.copy()
    expected[keepdims_index(index)] = -7.5
    assert_within_buffer(a[index], f"a[{index}]")
    a[index] = -7.5
    assert_matches(a, expected, what=f"a[{index}] = -7.5")


def test_setitem_through_views_reaches_the_base(device):
    A = numbered((4, 6))
    a = on(device, A)
    expected = A.copy()
    a.permute((1, 0))[1:4, 2] = on(device, np.array([[10.0], [11.0], [12.0]], dtype=np.float32))
    expected.T[1:4, 2:3] = [[10.0], [11.0], [12.0]]
    a[1:, 1:][::2, 3] = 20.0
    expected[1:, 1:][::2, 3:4] = 20.0
    a.reshape((3, 8))[2, 1:3] = 30.0
    expected.reshape(3, 8)[2:3, 1:3] = 30.0
    assert_matches(a, expected, what="writes through views")


def test_setitem_from_a_non_compact_array_or_another_device(device):
    A = numbered((4, 6))
    a = on(device, A)
    source = normal((3, 2), seed=5)
    a[1:3, 0:3] = on(device, source).permute((1, 0))  # a (2, 3) view with strides (1, 2)
    a[3, 4:6] = nd.array(np.array([[8.0, 9.0]], dtype=np.float32), device=nd.cpu_numpy())
    expected = A.copy()
    expected[1:3, 0:3] = source.T
    expected[3, 4:6] = [8.0, 9.0]
    assert_matches(a, expected, what="setitem from a transposed view and from cpu_numpy()")


# --- copies, to(), compact() ------------------------------------------------------------------


def test_ndarray_of_an_ndarray_is_a_compact_copy(device):
    A = numbered((3, 4))
    a = on(device, A)
    b = nd.NDArray(a)
    assert b.device == device and b._handle is not a._handle, "NDArray(a) shares a's buffer"
    a[0, 0] = 50.0
    assert_matches(b, A, what="NDArray(a) after a changed")
    changed = A.copy()
    changed[0, 0] = 50.0
    c = nd.NDArray(a[1:, ::2].permute((1, 0)))
    assert c.is_compact(), f"NDArray(view) has strides {c.strides} and offset {c._offset}"
    assert_matches(c, A[1:, ::2].T, what="NDArray of a view")
    d = nd.NDArray(a, device=nd.cpu_numpy())
    assert d.device == nd.cpu_numpy()
    assert_matches(d, changed, what="NDArray(a, device=cpu_numpy())")


def test_to_the_same_device_is_self_and_to_another_copies(device):
    A = normal((2, 3), seed=6)
    a = on(device, A)
    assert a.to(device) is a, "to(its own device) must return the array itself"
    other = nd.cpu_numpy() if device != nd.cpu_numpy() else nd.BackendDevice("numpy_twin", ndarray_backend_numpy)
    host = a.to(other)
    assert host.device == other
    assert host is not a and host._handle is not a._handle
    assert_matches(host, A, what=f"{device}.to(another device)")


def test_compact_returns_self_only_when_there_is_nothing_to_do(device):
    A = numbered((4, 5))
    a = on(device, A)
    assert a.is_compact() and a.compact() is a, "compact() of a compact array must return it"
    assert a.reshape((2, 10)).compact()._handle is a._handle
    for name, view, expected in [
        ("a[1:3, :] (offset 5)", a[1:3, :], A[1:3]),
        ("a[0:2, :] (offset 0, but the buffer holds 20 elements)", a[0:2, :], A[0:2]),
        ("a.permute((1, 0))", a.permute((1, 0)), A.T),
    ]:
        assert not view.is_compact(), f"{name} claims to be compact"
        c = view.compact()
        assert c.is_compact() and c._handle is not a._handle, f"{name}.compact() is not a fresh compact array"
        assert c._handle.size == view.size, f"{name}.compact() has a buffer of {c._handle.size} elements"
        assert_matches(c, expected, what=f"{name}.compact()")


def test_fill_of_a_view_writes_only_the_view(device):
    A = numbered((4, 5))
    base = on(device, A)
    base[1:3, ::2].fill(-7.0)
    A[1:3, ::2] = -7.0
    assert_matches(base, A, what="the base after filling a view")
    base.fill(2.5)
    assert_matches(base, np.full((4, 5), 2.5, dtype=np.float32), what="a filled compact array")
