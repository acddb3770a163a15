"""hw3 ndarray_python: NDArray's views and copies in Python: reshape, permute, broadcast_to,
__getitem__ (ints keep their axis, steps, negative and out-of-range bounds), views of views,
flip, pad, and setitem through views.

Every case runs on `nd.cpu_numpy()`, whatever device the harness names: the numpy backend is
given code, so this part's grade never depends on the student's C++ or CUDA. Views are
graded by their layout and their values: shape, strides and offset (int64; strides of axes
of size 1 are reported as 0, since they address no second element and equally correct views
may differ there) and `.numpy()` (float32). Values are copied, never computed, so the
tolerance is zero.

Where a case needs a view to start from (an offset, a transpose, a broadcast), it builds it
with `NDArray.make` over the base's buffer, which is given code: a wrong `permute` costs the
permute case, not every case that starts from a transposed view. Only the views-of-views
case chains the student's own `__getitem__`. Inputs are Gaussian float32 numbers, so any
misplaced element shows.
"""
import numpy as np

from dlsys_harness import case, report
from _hw3 import normal, report_view

EXACT = dict(part="ndarray_python", rtol=0.0, atol=0.0, timeout=20)


def _numpy_device():
    import needle.backend_ndarray as nd

    return nd.cpu_numpy()


def _array(seed, *shape):
    import needle.backend_ndarray as nd

    return nd.array(normal(seed, *shape), device=_numpy_device())


def _view(base, shape, strides, offset):
    """A view of `base`'s buffer with the given layout, built with given code only."""
    from needle.backend_ndarray import NDArray

    return NDArray.make(shape, strides=strides, device=base.device, handle=base._handle, offset=offset)


@case(points=3, **EXACT)
def reshape_is_a_view_that_keeps_the_offset():
    a = _array(3101, 4, 6, 5)
    report_view("to_5x4x6", a.reshape((5, 4, 6)))
    report_view("minus_one_and_a_unit_axis", a.reshape((2, -1, 1, 3)))
    rows = _view(a, (2, 6, 5), (30, 5, 1), 30)  # a[1:3]: contiguous, at offset 30
    report_view("rows_flat", rows.reshape((60,)))
    report_view("rows_as_3x1x20", rows.reshape((3, 1, 20)))
    column = _array(3102, 1, 7, 1)
    report_view("squeezed", column.reshape((7,)))
    report_view("unit_axes_added", column.reshape((1, 1, 7, 1, 1)))


@case(points=3, **EXACT)
def permute_reorders_shape_and_strides():
    a = _array(3111, 2, 3, 1, 4, 5)
    p = a.permute((4, 0, 2, 3, 1))
    report_view("5d", p)
    report_view("permute_of_permute", p.permute((1, 4, 3, 0, 2)))
    m = _array(3112, 9, 8)
    every_other = _view(m, (4, 3), (16, 2), 3)  # m[0:8:2, 3:9:2]
    report_view("transpose_of_a_strided_view", every_other.permute((1, 0)))
    report_view("3d_cycle", _array(3113, 3, 5, 2).permute((2, 0, 1)))


@case(points=3, **EXACT)
def broadcast_to_repeats_through_zero_strides():
    a = _array(3121, 3, 1, 5)
    report_view("leading_axis_and_unit_axis", a.broadcast_to((2, 3, 4, 5)))
    report_view("unit_axis_kept", a.broadcast_to((1, 3, 1, 5)))
    report_view("one_to_4x1x6", _array(3122, 1).broadcast_to((4, 1, 6)))
    m = _array(3123, 6, 4)
    column = _view(m, (6, 1), (4, 1), 2)  # m[:, 2:3], at offset 2
    report_view("column_of_a_matrix", column.broadcast_to((3, 6, 5)))
    row = _view(m, (1, 4), (4, 1), 12)  # m[3:4, :]
    report_view("row_of_a_matrix", row.broadcast_to((5, 4)))


@case(points=3, **EXACT)
def getitem_sizes_steps_and_bounds():
    a = _array(3131, 7, 9, 4)
    report_view("ints_keep_their_axes", a[2, -3, 1])
    report_view("steps_and_negative_start", a[1:6:2, ::4, -3:])
    report_view("sizes_round_up", a[0:7:3, 2:9:3, ::5])
    report_view("out_of_range_bounds", a[-100:3, 5:100, -1:])
    report_view("negative_bounds", a[-5:-1, 1:-1:2, -4:-2])
    report_view("ints_and_slices", a[3, 1:8:3, -2])
    report("empty_shape", np.array(a[4:4, :, 1:3].shape, dtype=np.int64))


@case(points=2, **EXACT)
def getitem_views_of_views():
    base = _array(3141, 6, 8, 5)
    v1 = base[1:5, ::3, 2:]
    report_view("slice", v1)
    v2 = v1[2:, 1:, ::2]
    report_view("slice_of_slice", v2)
    report_view("ints_of_slice_of_slice", v2[1, :, -1])
    transposed = _view(base, (5, 8, 6), (1, 5, 40), 0)  # base.permute((2, 1, 0))
    report_view("slice_of_transposed", transposed[-2:, 3::2, 1:5:3])
    broadcast = _view(base, (4, 3, 5), (0, 40, 1), 5)  # base[:3, 1] broadcast to 4 rows
    report_view("slice_of_broadcast", broadcast[1:3, ::2, 2:])


@case(points=2, **EXACT)
def flip_reverses_axes_into_a_compact_copy():
    a = _array(3151, 5, 4, 7)
    report("axes_0_and_2", a.flip((0, 2)).numpy())
    report("last_axis_as_negative_int", a.flip(-1).numpy())
    report("all_axes", a.flip((0, 1, 2)).numpy())
    sliced = _view(a, (3, 2, 4), (28, 14, 2), 28)  # a[1:4, ::2, ::2]
    report("of_a_sliced_view", sliced.flip((1, 2)).numpy())
    transposed = _view(a, (7, 5), (1, 28), 7)  # a[:, 1, :].T
    report("of_a_transposed_view", transposed.flip(0).numpy())


@case(points=2, **EXACT)
def pad_adds_zeros_around():
    report("asymmetric_2d", _array(3161, 3, 4).pad(((1, 2), (0, 3))).numpy())
    report("4d_some_axes", _array(3162, 2, 3, 1, 2).pad(((0, 0), (2, 1), (0, 0), (1, 1))).numpy())
    m = _array(3163, 3, 4)
    report("of_a_transposed_view", _view(m, (4, 3), (1, 4), 0).pad(((2, 0), (1, 1))).numpy())


@case(points=2, **EXACT)
def setitem_writes_through_views():
    import needle.backend_ndarray as nd

    dev = _numpy_device()
    a = _array(3171, 5, 6, 4)
    a[1:4:2, ::2, -1] = 7.5
    a[0, 1:4, 1:3] = nd.array(normal(3172, 3, 2), device=dev)
    report("after_slice_writes", a.numpy())
    transposed = _view(a, (4, 6, 5), (1, 4, 24), 0)  # a.permute((2, 1, 0))
    transposed[1:3, 4:, ::2] = nd.array(normal(3173, 2, 2, 3), device=dev)
    transposed[-1, 0, :] = -2.25
    report("after_writes_through_a_transpose", a.numpy())
