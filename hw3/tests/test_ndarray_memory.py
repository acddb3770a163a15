"""Views share memory, copies do not (hw3_ndarray_python). A view made by reshape, permute,
broadcast_to, __getitem__, as_strided or flat holds the very same buffer object as its base
(same `_handle`, same `_handle.ptr()`), so a write through the view shows in the base and the
other way round; compact() of a non-compact view, flip, pad and every operation's result get a
buffer of their own, and leave their inputs as they were."""
import pytest

from ndarray_checks import ALL_DEVICES, assert_matches, numbered, on

pytestmark = [pytest.mark.hw3_ndarray_python, pytest.mark.parametrize("device", ALL_DEVICES)]

VIEWS = [
    pytest.param(lambda a: a.reshape((6, 4)), id="reshape"),
    pytest.param(lambda a: a.reshape((-1,)), id="reshape-minus-one"),
    pytest.param(lambda a: a.permute((1, 0)), id="permute"),
    pytest.param(lambda a: a[1:2, :].broadcast_to((3, 4, 6)), id="broadcast_to"),
    pytest.param(lambda a: a[1:3, ::2], id="getitem"),
    pytest.param(lambda a: a[3, 5], id="getitem-ints"),
    pytest.param(lambda a: a.as_strided((3, 3), (1, 6)), id="as_strided"),
    pytest.param(lambda a: a.flat, id="flat"),
    pytest.param(lambda a: a.permute((1, 0))[1:, 2:].broadcast_to((2, 5, 2)), id="view-of-view-of-view"),
]


@pytest.mark.parametrize("view", VIEWS)
def test_views_share_the_buffer(device, view):
    a = on(device, numbered((4, 6)))
    v = view(a)
    assert v._handle is a._handle, "the view holds a different buffer object: it copied"
    assert v._handle.ptr() == a._handle.ptr(), "the view's buffer address differs from its base's"
    assert v.device == a.device


def test_writes_through_a_view_show_in_the_base_and_back(device):
    A = numbered((4, 6))
    a = on(device, A)
    rows, transposed, flat = a[1:3, :], a.permute((1, 0)), a.flat
    rows[0, 2] = -1.0
    transposed[5, 3] = -2.0
    flat[0] = -3.0
    expected = A.copy()
    expected[1, 2], expected[3, 5], expected[0, 0] = -1.0, -2.0, -3.0
    assert_matches(a, expected, what="the base after writes through three views")
    a[2, 1] = -4.0
    expected[2, 1] = -4.0
    assert_matches(rows, expected[1:3], what="a view after a write to its base")


def test_compact_of_a_non_compact_view_gets_a_new_buffer(device):
    A = numbered((4, 6))
    a = on(device, A)
    for name, view in [("a.permute((1, 0))", a.permute((1, 0))), ("a[1:3, ::2]", a[1:3, ::2]),
                       ("a[1:2, :].broadcast_to((3, 6))", a[1:2, :].broadcast_to((3, 6)))]:
        c = view.compact()
        assert c._handle.ptr() != a._handle.ptr(), f"{name}.compact() points into its base's buffer"
        c[0, 0] = 99.0
        assert_matches(a, A, what=f"the base after a write to {name}.compact()")
    assert a.compact()._handle.ptr() == a._handle.ptr(), "compact() of a compact array copied it"


def test_results_get_new_buffers_and_inputs_stay_as_they_were(device):
    A = numbered((4, 6))
    a = on(device, A)
    v = a[1:3, 1:5]
    results = {"flip": a.flip(0), "pad": a.pad(((1, 0), (0, 1))), "a + 1": a + 1, "v * 2": v * 2,
               "v.sum(0)": v.sum(axis=0), "a @ a.T": a @ a.permute((1, 0)), "v.exp()": v.exp(), "-a": -a}
    for name, result in results.items():
        assert result._handle is not a._handle and result._handle.ptr() != a._handle.ptr(), (
            f"{name} returned an array in its input's buffer")
    assert_matches(a, A, what="the input after flip, pad, ewise, sum, matmul, exp")
    assert v.strides == (6, 1) and v._offset == 7, "an op changed the layout of its input view"
