"""hw4's new ops on every device: tanh, sigmoid, stack, split, flip, dilate, undilate, and the
pad/crop pair and im2col that conv builds on. Forward against numpy (and hand-written values where the layout is
the point, as for dilate), gradient against float32 central differences (gradcheck), results on
the inputs' device, the TensorTuple plumbing of stack and split, and the bad arguments each op
must refuse by name.
"""
import zlib

import numpy as np
import pytest

import needle as ndl
from devices import ALL_DEVICES
from gradcheck import gradcheck

pytestmark = pytest.mark.hw4_ops


def sample(shape, key, low=None):
    """float32 normal samples seeded by `key`; with `low`, magnitudes in [low, low + 1.5]."""
    rng = np.random.default_rng(zlib.crc32(repr(key).encode()))
    if low is None:
        return rng.standard_normal(shape).astype(np.float32)
    return (rng.choice([-1.0, 1.0], shape) * rng.uniform(low, low + 1.5, shape)).astype(np.float32)


def compact_id(value):
    """Test ids like (2,3,4) instead of shape0."""
    return str(value).replace(" ", "")


def tensor(array, device, requires_grad=True):
    return ndl.Tensor(array, device=device, requires_grad=requires_grad)


def numpy_dilate(a, axes, dilation):
    axes = [axis % a.ndim for axis in axes if -a.ndim <= axis < a.ndim]
    shape = tuple(size * (dilation + 1) if d in axes else size for d, size in enumerate(a.shape))
    out = np.zeros(shape, dtype=a.dtype)
    out[tuple(slice(None, None, dilation + 1) if d in axes else slice(None) for d in range(a.ndim))] = a
    return out


def check_forward(out, expected, device):
    assert isinstance(out, ndl.Tensor)
    assert out.device == device
    assert out.shape == expected.shape
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-5, atol=1e-6)


# --- tanh and sigmoid -----------------------------------------------------------------------

ELEMENTWISE = [
    pytest.param(ndl.tanh, np.tanh, id="tanh"),
    pytest.param(ndl.sigmoid, lambda a: 1 / (1 + np.exp(-a)), id="sigmoid"),
]


@pytest.mark.parametrize("device", ALL_DEVICES)
@pytest.mark.parametrize("shape", [(3, 4), (2, 3, 4)], ids=compact_id)
@pytest.mark.parametrize("op, reference", ELEMENTWISE)
def test_elementwise_forward_and_gradient(op, reference, shape, device):
    a = 2.0 * sample(shape, (op.__name__, shape))
    check_forward(op(tensor(a, device)), reference(a.astype(np.float64)), device)
    gradcheck(op, a, device=device)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # numpy's exp(100) overflows to inf in float32
@pytest.mark.parametrize("device", ALL_DEVICES)
def test_tanh_and_sigmoid_saturate_without_nan(device):
    a = np.array([-100.0, -20.0, 0.0, 20.0, 100.0], dtype=np.float32)
    np.testing.assert_allclose(ndl.tanh(tensor(a, device)).numpy(), np.tanh(a), atol=1e-6)
    np.testing.assert_allclose(ndl.sigmoid(tensor(a, device)).numpy(), [0.0, 2.06e-9, 0.5, 1.0, 1.0], atol=1e-6)


# --- stack and split ------------------------------------------------------------------------

# (shape of each piece, how many, axis)
STACKS = [((3, 4), 2, 0), ((3, 4), 3, 1), ((3, 4), 2, 2), ((2, 3, 4), 3, 1), ((3, 4), 2, -1), ((5,), 4, 0)]


@pytest.mark.parametrize("device", ALL_DEVICES)
@pytest.mark.parametrize("shape, count, axis", STACKS, ids=compact_id)
def test_stack_forward_and_gradient(shape, count, axis, device):
    pieces = [sample(shape, ("stack", shape, i)) for i in range(count)]
    check_forward(ndl.stack([tensor(p, device) for p in pieces], axis), np.stack(pieces, axis), device)
    gradcheck(lambda *xs: ndl.stack(xs, axis), *pieces, device=device)


# (shape, axis); every shape's sizes differ, so a split along the wrong axis shows
SPLITS = [((3, 4), 0), ((3, 4), 1), ((2, 3, 4), 0), ((2, 3, 4), 1), ((2, 3, 4), 2), ((2, 3, 4), -1)]


@pytest.mark.parametrize("device", ALL_DEVICES)
@pytest.mark.parametrize("shape, axis", SPLITS, ids=compact_id)
def test_split_returns_a_tensor_tuple_of_the_slices(shape, axis, device):
    a = sample(shape, ("split", shape, axis))
    pieces = ndl.split(tensor(a, device), axis)
    assert isinstance(pieces, ndl.TensorTuple)
    assert len(pieces) == shape[axis]
    for i, piece in enumerate(pieces.tuple()):
        check_forward(piece, np.take(a, i, axis=axis), device)


@pytest.mark.parametrize("device", ALL_DEVICES)
@pytest.mark.parametrize("shape, axis", SPLITS, ids=compact_id)
def test_gradient_flows_through_split(shape, axis, device):
    a = sample(shape, ("split-gradient", shape, axis))

    def pieces_combined(x):
        """Uses some pieces twice, skips none, weights each differently."""
        pieces = ndl.split(x, axis)
        out = pieces[0] * pieces[len(pieces) - 1]
        for i in range(1, len(pieces)):
            out = out + pieces[i] * float(i + 1)
        return out

    gradcheck(pieces_combined, a, device=device)
    gradcheck(lambda x: ndl.split(x, axis)[1], a, device=device)  # the other pieces get zeros


@pytest.mark.parametrize("device", ALL_DEVICES)
def test_pieces_split_off_but_never_used_get_exactly_zero_gradient(device):
    a = sample((5, 3), "split-unused")
    x = tensor(a, device)
    pieces = ndl.split(x, 0)
    (pieces[1] * 2.0 + pieces[3] * pieces[3]).sum().backward()
    expected = np.zeros_like(a)
    expected[1] = 2.0
    expected[3] = 2 * a[3]
    np.testing.assert_array_equal(x.grad.numpy()[[0, 2, 4]], 0.0)
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-6)


@pytest.mark.parametrize("device", ALL_DEVICES)
@pytest.mark.parametrize("axis", [0, 1, 2])
def test_stack_gradient_is_a_tensor_tuple_split_along_the_stack_axis(axis, device):
    pieces = [tensor(sample((3, 4), ("stack-gradient", i)), device) for i in range(2)]
    out = ndl.stack(pieces, axis)
    out_grad = tensor(sample(out.shape, "out_grad"), device)  # requires_grad keeps the op in the graph
    grad = out.op.gradient(out_grad, out)
    assert isinstance(grad, ndl.TensorTuple)
    assert isinstance(grad.op, ndl.ops.Split) and grad.op.axis == axis
    for i, piece in enumerate(grad.tuple()):
        check_forward(piece, np.take(out_grad.numpy(), i, axis=axis), device)


@pytest.mark.parametrize("device", ALL_DEVICES)
def test_split_then_stack_is_the_identity(device):
    a = sample((2, 3, 4), "round trip")
    for axis in range(3):
        out = ndl.stack(ndl.split(tensor(a, device), axis), axis)
        np.testing.assert_array_equal(out.numpy(), a)


# --- flip -----------------------------------------------------------------------------------

FLIPS = [((3, 4), (0,)), ((3, 4), (1,)), ((3, 4), (0, 1)), ((2, 3, 4), (0, 2)), ((2, 3, 4), (1,)),
         ((2, 3, 4, 5), (1, 2)), ((2, 3, 4), (-1,))]


@pytest.mark.parametrize("device", ALL_DEVICES)
@pytest.mark.parametrize("shape, axes", FLIPS, ids=compact_id)
def test_flip_forward_and_gradient(shape, axes, device):
    a = sample(shape, ("flip", shape, axes))
    check_forward(ndl.flip(tensor(a, device), axes), np.flip(a, axes), device)
    gradcheck(lambda x: ndl.flip(x, axes), a, device=device)


@pytest.mark.parametrize("device", ALL_DEVICES)
def test_flip_of_a_transposed_input(device):
    a = sample((3, 4), "flip view")
    out = ndl.flip(ndl.transpose(tensor(a, device)), (0,))
    np.testing.assert_array_equal(out.numpy(), np.flip(a.T, 0))


# --- dilate and undilate --------------------------------------------------------------------

@pytest.mark.parametrize("device", ALL_DEVICES)
def test_dilate_puts_zeros_after_every_element_including_the_last(device):
    out = ndl.dilate(tensor(np.array([1.0, 2.0, 3.0], dtype=np.float32), device), (0,), 2)
    np.testing.assert_array_equal(out.numpy(), [1, 0, 0, 2, 0, 0, 3, 0, 0])
    assert out.device == device


@pytest.mark.parametrize("device", ALL_DEVICES)
def test_dilate_of_a_matrix_by_hand(device):
    a = np.array([[1.0, 2.0], [3.0, 4.0]], dtype=np.float32)
    rows = ndl.dilate(tensor(a, device), (0,), 1).numpy()
    np.testing.assert_array_equal(rows, [[1, 2], [0, 0], [3, 4], [0, 0]])
    both = ndl.dilate(tensor(a, device), (0, 1), 1).numpy()
    np.testing.assert_array_equal(both, [[1, 0, 2, 0], [0, 0, 0, 0], [3, 0, 4, 0], [0, 0, 0, 0]])


# (shape, axes, dilation)
DILATIONS = [((3, 4), (0,), 1), ((3, 4), (1,), 2), ((3, 4), (0, 1), 1), ((2, 3, 4), (1, 2), 2),
             ((2, 3, 4, 2), (1, 2), 1), ((3, 4), (0, 5), 1), ((3, 4), (1,), 0), ((3, 4), (0, 1), 0),
             ((2, 3, 4), (-1,), 1), ((3, 4), (-2,), 2)]


@pytest.mark.parametrize("device", ALL_DEVICES)
@pytest.mark.parametrize("shape, axes, dilation", DILATIONS, ids=compact_id)
def test_dilate_forward_and_gradient(shape, axes, dilation, device):
    a = sample(shape, ("dilate", shape, axes, dilation))
    out = ndl.dilate(tensor(a, device), axes, dilation)
    expected = numpy_dilate(a, axes, dilation)
    # n -> n * (dilation + 1) on each named axis that exists (-1 is the last); the rest keep their size
    named = {axis % len(shape) for axis in axes if axis < len(shape)}
    assert out.shape == tuple(size * (dilation + 1) if d in named else size for d, size in enumerate(shape))
    check_forward(out, expected, device)
    gradcheck(lambda x: ndl.dilate(x, axes, dilation), a, device=device)


@pytest.mark.parametrize("device", ALL_DEVICES)
def test_dilate_by_zero_is_the_identity_and_axes_beyond_the_shape_are_ignored(device):
    a = sample((3, 4), "identity")
    np.testing.assert_array_equal(ndl.dilate(tensor(a, device), (0, 1), 0).numpy(), a)
    np.testing.assert_array_equal(ndl.dilate(tensor(a, device), (2, 3), 3).numpy(), a)


@pytest.mark.parametrize("device", ALL_DEVICES)
@pytest.mark.parametrize("shape, axes, dilation", DILATIONS, ids=compact_id)
def test_undilate_inverts_dilate_and_has_the_right_gradient(shape, axes, dilation, device):
    a = sample(shape, ("undilate", shape, axes, dilation))
    dilated = numpy_dilate(a, axes, dilation)
    check_forward(ndl.undilate(tensor(dilated, device), axes, dilation), a, device)
    # undilate keeps the elements at multiples of dilation + 1 whatever the others hold
    full = dilated + (numpy_dilate(np.ones_like(a), axes, dilation) == 0) * 7.0
    check_forward(ndl.undilate(tensor(full.astype(np.float32), device), axes, dilation), a, device)
    gradcheck(lambda x: ndl.undilate(x, axes, dilation), dilated, device=device)


# --- pad and crop ---------------------------------------------------------------------------

@pytest.mark.parametrize("device", ALL_DEVICES)
@pytest.mark.parametrize("widths", [((1, 2), (0, 3)), ((0, 0), (2, 2)), ((1, 0), (0, 1))], ids=compact_id)
def test_pad_forward_and_gradient(widths, device):
    a = sample((3, 4), ("pad", widths))
    check_forward(ndl.pad(tensor(a, device), widths), np.pad(a, widths), device)
    gradcheck(lambda x: ndl.pad(x, widths), a, device=device)


@pytest.mark.parametrize("device", ALL_DEVICES)
@pytest.mark.parametrize("starts, shape", [((1, 2), (2, 3)), ((0, 0), (4, 5)), ((3, 0), (1, 2))], ids=compact_id)
def test_crop_forward_and_gradient(starts, shape, device):
    a = sample((4, 5), ("crop", starts, shape))
    block = tuple(slice(s, s + n) for s, n in zip(starts, shape))
    check_forward(ndl.crop(tensor(a, device), starts, shape), a[block], device)
    gradcheck(lambda x: ndl.crop(x, starts, shape), a, device=device)


# --- im2col ---------------------------------------------------------------------------------

def numpy_im2col(x, kernel_size, stride, padding):
    """Window by window, as the definition reads: row (n, i, j) lists X_pad[n, i*s + kh, j*s + kw, c]."""
    (k_h, k_w), s = kernel_size, stride
    x = np.pad(x, ((0, 0), (padding, padding), (padding, padding), (0, 0)))
    n, h, w, c = x.shape
    rows = [x[b, i * s:i * s + k_h, j * s:j * s + k_w, :].reshape(-1)
            for b in range(n) for i in range((h - k_h) // s + 1) for j in range((w - k_w) // s + 1)]
    return np.stack(rows)


# (input NHWC, kernel size, stride, padding): overlapping and disjoint windows, strides the size
# does not divide, a non-square kernel, padding wider than the kernel.
IM2COLS = [
    ((2, 4, 5, 3), 3, 1, 1),
    ((1, 5, 5, 2), (3, 3), 2, 0),
    ((2, 6, 7, 1), (2, 3), 3, 1),
    ((1, 3, 4, 2), 1, 1, 2),
    ((1, 7, 6, 2), (3, 2), 2, 2),
]


@pytest.mark.parametrize("device", ALL_DEVICES)
@pytest.mark.parametrize("x_shape, kernel_size, stride, padding", IM2COLS, ids=compact_id)
def test_im2col_forward_and_gradient(x_shape, kernel_size, stride, padding, device):
    x = sample(x_shape, ("im2col", x_shape, kernel_size, stride, padding))
    square = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
    check_forward(ndl.im2col(tensor(x, device), kernel_size, stride, padding),
                  numpy_im2col(x, square, stride, padding), device)
    gradcheck(lambda t: ndl.im2col(t, kernel_size, stride, padding), x, device=device)


@pytest.mark.parametrize("device", ALL_DEVICES)
def test_im2col_of_a_non_contiguous_input(device):
    x = sample((2, 3, 4, 5), "im2col-transposed")
    transposed = ndl.transpose(tensor(np.ascontiguousarray(x.transpose(0, 1, 3, 2)), device), (2, 3))
    check_forward(ndl.im2col(transposed, 2, 1, 1), numpy_im2col(x, (2, 2), 1, 1), device)


# --- bad arguments --------------------------------------------------------------------------

def ones(device, *shapes):
    return [tensor(np.ones(shape, dtype=np.float32), device) for shape in shapes]


# (call on a device, fragments the message must contain)
BAD_ARGUMENTS = [
    pytest.param(lambda d: ndl.stack(ones(d, (2, 3), (3, 2)), 0), ["stack", "(2, 3)", "(3, 2)"], id="stack-shapes"),
    pytest.param(lambda d: ndl.stack(ones(d, (2, 3), (2, 3)), 3), ["stack", "axis 3", "(2, 3)"], id="stack-axis"),
    pytest.param(lambda d: ndl.split(*ones(d, (2, 3)), 2), ["split", "axis 2", "(2, 3)"], id="split-axis"),
    pytest.param(lambda d: ndl.flip(*ones(d, (2, 3)), (2,)), ["flip", "axis 2", "(2, 3)"], id="flip-axis"),
    pytest.param(lambda d: ndl.dilate(*ones(d, (2, 3)), (0,), -1), ["dilate", "-1"], id="dilate-negative"),
    pytest.param(lambda d: ndl.undilate(*ones(d, (2, 3)), (0,), -1), ["undilate", "-1"], id="undilate-negative"),
    pytest.param(lambda d: ndl.pad(*ones(d, (2, 3)), ((1, 1),)), ["pad", "(2, 3)"], id="pad-widths"),
    pytest.param(lambda d: ndl.crop(*ones(d, (2, 3)), (1, 1), (2, 2)), ["crop", "(2, 2)", "(2, 3)"], id="crop-fit"),
    pytest.param(lambda d: ndl.im2col(*ones(d, (1, 2, 2, 3)), 4, 1, 0), ["im2col", "4x4", "(1, 2, 2, 3)"], id="im2col-fit"),
    pytest.param(lambda d: ndl.im2col(*ones(d, (2, 2, 3)), 1), ["im2col", "(2, 2, 3)"], id="im2col-ndim"),
    pytest.param(lambda d: ndl.im2col(*ones(d, (1, 2, 2, 3)), 1, 0), ["im2col", "stride 0"], id="im2col-stride"),
]


@pytest.mark.parametrize("device", ALL_DEVICES)
@pytest.mark.parametrize("call, fragments", BAD_ARGUMENTS)
def test_bad_arguments_are_refused_by_name(call, fragments, device):
    with pytest.raises(ValueError) as raised:
        call(device)
    for fragment in fragments:
        assert fragment in str(raised.value)
