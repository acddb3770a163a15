"""hw3 compact_cpp / compact_cuda: the backend's compact, ewise_setitem and scalar_setitem.

Each body runs twice, as `<name>_cpp` on "cpu" (nd.cpu(), part compact_cpp) and as
`<name>_cuda` on "cuda" (nd.cuda(), part compact_cuda), on the same inputs. The kernels
are called directly with the (shape, strides, offset) of numpy views of a base array:
permutations of 4-d and 5-d arrays with size-1 axes, steps and offsets, 0-strides of
broadcasts, negative strides of flips (whose offset points at the base's far end), and
mixes of them. Any loop order is right as long as the result is row-major.

setitem keeps the buffer outside the view, so those cases report the whole base buffer
after the writes. compact's `out` starts as NaN (see _hw3), so an empty kernel never passes.
Values are copied, never computed: the tolerance is zero.
"""
import numpy as np

from dlsys_harness import report
from _hw3 import compact, layout, normal, put, twins

EXACT = dict(rtol=0.0, atol=0.0, timeout=30)


@twins("compact", points=2, **EXACT)
def compact_permuted_axes(dev):
    x = normal(4101, 2, 3, 1, 4, 5)
    report("5d", compact(dev, x, x.transpose(4, 0, 2, 3, 1)))
    report("5d_reversed_axes", compact(dev, x, x.transpose(4, 3, 2, 1, 0)))
    m = normal(4102, 37, 23)
    report("transpose_37x23", compact(dev, m, m.T))
    y = normal(4103, 3, 1, 6, 7)
    report("4d_swap_middle", compact(dev, y, y.transpose(0, 2, 1, 3)))


@twins("compact", points=2, **EXACT)
def compact_slices_with_steps_and_offsets(dev):
    x = normal(4111, 5, 7, 6, 9)
    report("4d_steps", compact(dev, x, x[1:5:2, 2:, ::3, 4:9:2]))
    report("4d_single_rows", compact(dev, x, x[3:4, 1:6, 2:3, :]))
    flat = normal(4112, 211)
    report("1d_every_7th_from_13", compact(dev, flat, flat[13:200:7]))
    y = normal(4113, 4, 3, 6, 2, 5)
    report("5d_slice_then_permute", compact(dev, y, y[1:, ::2, 1:5, :, 3:].transpose(2, 4, 0, 1, 3)))


@twins("compact", points=2, **EXACT)
def compact_broadcasts(dev):
    x = normal(4121, 3, 1, 5)
    report("leading_and_unit_axes", compact(dev, x, np.broadcast_to(x, (4, 3, 6, 5))))
    m = normal(4122, 8, 11)
    column = m[2:7, 4:5]  # offset 26, strides (11, 1)
    report("column_of_a_matrix", compact(dev, m, np.broadcast_to(column, (3, 5, 7))))
    row = normal(4123, 1, 9)
    report("row_to_rows_transposed", compact(dev, row, np.broadcast_to(row, (6, 9)).T))


@twins("compact", points=2, **EXACT)
def compact_negative_strides(dev):
    x = normal(4131, 5, 8, 7)
    report("first_axis_flipped", compact(dev, x, x[::-1]))
    report("two_axes_flipped_with_steps", compact(dev, x, x[::-1, 2:7:2, ::-3]))
    m = normal(4132, 9, 10)
    report("flipped_transpose_of_a_slice", compact(dev, m, m[1:8, 3:9][::-1, ::-1].T))
    y = normal(4133, 2, 1, 6, 3)
    report("flipped_broadcast", compact(dev, y, np.broadcast_to(y, (4, 2, 5, 6, 3))[:, ::-1, :, ::-2]))


def _setitem_base(seed, *shape):
    return normal(seed, *shape, scale=3.0, shift=1.0)


@twins("compact", points=1, **EXACT)
def ewise_setitem_through_views(dev):
    """a (compact) is written through a strided view of `out`; the rest of `out` stays."""
    x = _setitem_base(4141, 6, 5, 8)
    base = put(dev, x)
    target = x[1:6:2, ::-2, 3:]  # offset, negative stride, step
    shape, strides, offset = layout(x, target)
    values = put(dev, normal(4142, *shape, scale=0.5, shift=-4.0))
    dev.ewise_setitem(values._handle, base._handle, shape, strides, offset)
    report("strided_view", base.numpy())

    m = _setitem_base(4143, 7, 9)
    square = put(dev, m)
    target = m[2:8, 1:8:3].T  # a transposed view, offset 19
    shape, strides, offset = layout(m, target)
    values = put(dev, normal(4144, *shape, scale=0.5, shift=6.0))
    dev.ewise_setitem(values._handle, square._handle, shape, strides, offset)
    report("transposed_view", square.numpy())


@twins("compact", points=1, **EXACT)
def scalar_setitem_through_views(dev):
    """A number is written through a strided view of `out`; the rest of `out` stays."""
    x = _setitem_base(4151, 4, 6, 3, 5)
    base = put(dev, x)
    target = x[1:3, ::-2, 1:, 2:4]
    shape, strides, offset = layout(x, target)
    dev.scalar_setitem(target.size, -7.25, base._handle, shape, strides, offset)
    report("4d_view", base.numpy())

    flat = _setitem_base(4152, 100)
    line = put(dev, flat)
    target = flat[97:3:-5]
    shape, strides, offset = layout(flat, target)
    dev.scalar_setitem(target.size, 11.5, line._handle, shape, strides, offset)
    report("every_5th_backwards", line.numpy())

