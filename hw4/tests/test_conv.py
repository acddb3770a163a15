"""The conv op (NHWC input, (k, k, c_in, c_out) weights) on every device: forward and both
gradients against torch.nn.functional.conv2d (NCHW input, (c_out, c_in, k, k) weights) over
strides 1-3, paddings 0-3 (also wider than k - 1), kernel sizes 1, 3, 5, several channel counts,
H != W and sizes the stride does not divide; the output size (H + 2p - k) // stride + 1; float32
central differences on tiny cases; and clear errors for inputs that cannot be convolved.
"""
import itertools
import zlib

import numpy as np
import pytest
import torch

import needle as ndl
from devices import ALL_DEVICES
from gradcheck import gradcheck

pytestmark = pytest.mark.hw4_conv


def sample(shape, key):
    rng = np.random.default_rng(zlib.crc32(repr(key).encode()))
    return rng.standard_normal(shape).astype(np.float32)


def out_size(size, kernel, stride, padding):
    return (size + 2 * padding - kernel) // stride + 1


def torch_conv(x, w, stride, padding, out_weight):
    """torch's output (NHWC) and gradients (in needle's layouts) of sum(conv(x, w) * out_weight)."""
    x_t = torch.tensor(x.transpose(0, 3, 1, 2).copy(), requires_grad=True)  # NHWC -> NCHW
    w_t = torch.tensor(w.transpose(3, 2, 0, 1).copy(), requires_grad=True)  # (k, k, in, out) -> (out, in, k, k)
    out = torch.nn.functional.conv2d(x_t, w_t, stride=stride, padding=padding).permute(0, 2, 3, 1)
    (out * torch.tensor(out_weight, dtype=torch.float32)).sum().backward()
    return out.detach().numpy(), x_t.grad.permute(0, 2, 3, 1).numpy(), w_t.grad.permute(2, 3, 1, 0).numpy()


# (input NHWC, kernel size, c_out, stride, padding): every stride, padding and kernel size on one
# non-square input whose sizes most strides leave a remainder of, then channel counts and shapes.
GRID = [((2, 7, 10, 3), k, 2, s, p) for s, p, k in itertools.product((1, 2, 3), (0, 1, 2, 3), (1, 3, 5))]
MORE = [
    ((1, 5, 5, 1), 3, 1, 1, 1),  # one channel in and out
    ((2, 6, 6, 1), 3, 5, 2, 1),
    ((1, 6, 4, 4), 3, 1, 1, 0),
    ((3, 4, 9, 2), 3, 3, 2, 0),  # H < W
    ((1, 9, 4, 2), 3, 3, 3, 2),  # H > W
    ((2, 8, 8, 3), 5, 4, 3, 4),  # padding well beyond k - 1
    ((1, 1, 1, 2), 1, 3, 1, 0),  # a 1x1 image
    ((1, 2, 3, 2), 5, 2, 1, 2),  # a kernel larger than the image, saved by padding
    ((2, 11, 7, 16), 3, 8, 1, 1),  # more channels
]


def conv_id(x_shape, k, c_out, stride, padding):
    return f"x{x_shape}-k{k}-out{c_out}-s{stride}-p{padding}".replace(" ", "")


CASES = [pytest.param(*case, id=conv_id(*case)) for case in GRID + MORE]


@pytest.mark.parametrize("device", ALL_DEVICES)
@pytest.mark.parametrize("x_shape, k, c_out, stride, padding", CASES)
def test_conv_forward_and_gradients_match_torch(x_shape, k, c_out, stride, padding, device):
    key = (x_shape, k, c_out, stride, padding)
    x, w = sample(x_shape, ("x", key)), sample((k, k, x_shape[3], c_out), ("w", key))
    n, h, wd, _ = x_shape
    expected_shape = (n, out_size(h, k, stride, padding), out_size(wd, k, stride, padding), c_out)
    out_weight = sample(expected_shape, ("out", key))
    torch_out, torch_x_grad, torch_w_grad = torch_conv(x, w, stride, padding, out_weight)

    x_t, w_t = ndl.Tensor(x, device=device), ndl.Tensor(w, device=device)
    out = ndl.conv(x_t, w_t, stride=stride, padding=padding)
    assert out.shape == expected_shape == torch_out.shape
    assert out.device == device
    np.testing.assert_allclose(out.numpy(), torch_out, rtol=1e-4, atol=1e-4)

    out.backward(ndl.Tensor(out_weight, device=device))
    assert x_t.grad.shape == x.shape and w_t.grad.shape == w.shape
    assert x_t.grad.device == device and w_t.grad.device == device
    np.testing.assert_allclose(x_t.grad.numpy(), torch_x_grad, rtol=1e-4, atol=1e-4, err_msg="input gradient")
    np.testing.assert_allclose(w_t.grad.numpy(), torch_w_grad, rtol=1e-4, atol=1e-4, err_msg="weight gradient")


@pytest.mark.parametrize("device", ALL_DEVICES)
@pytest.mark.parametrize("x_shape, k, c_out, stride, padding", [pytest.param(*case, id=conv_id(*case)) for case in [
    ((1, 4, 5, 2), 3, 2, 1, 0),
    ((1, 4, 5, 2), 3, 2, 1, 1),
    ((2, 5, 4, 1), 3, 2, 2, 1),
    ((1, 5, 6, 2), 1, 3, 2, 0),
    ((1, 3, 4, 2), 3, 1, 3, 2),
]])
def test_conv_gradients_match_central_differences(x_shape, k, c_out, stride, padding, device):
    key = ("gradcheck", x_shape, k, c_out, stride, padding)
    x, w = sample(x_shape, ("x", key)), sample((k, k, x_shape[3], c_out), ("w", key))
    gradcheck(lambda a, b: ndl.conv(a, b, stride=stride, padding=padding), x, w, device=device)


@pytest.mark.parametrize("device", ALL_DEVICES)
def test_conv_of_a_non_contiguous_input(device):
    """A transposed (H <-> W) view goes through im2col's strided view correctly."""
    x, w = sample((2, 5, 6, 3), "view x"), sample((3, 3, 3, 2), "view w")
    out = ndl.conv(ndl.transpose(ndl.Tensor(x, device=device), (1, 2)), ndl.Tensor(w, device=device),
                   stride=1, padding=1)
    expected, _, _ = torch_conv(np.ascontiguousarray(x.transpose(0, 2, 1, 3)), w, 1, 1, np.ones((2, 6, 5, 2)))
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("device", ALL_DEVICES)
def test_conv_pads_by_one_by_default(device):
    x, w = sample((1, 4, 4, 2), "default x"), sample((3, 3, 2, 1), "default w")
    out = ndl.conv(ndl.Tensor(x, device=device), ndl.Tensor(w, device=device))
    expected, _, _ = torch_conv(x, w, 1, 1, np.ones((1, 4, 4, 1)))
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-4, atol=1e-4)


# (input shape, weight shape, keyword arguments, fragments the message must contain)
BAD_CONVS = [
    pytest.param((2, 5, 5, 3), (3, 3, 4, 2), {}, ["conv", "(2, 5, 5, 3)", "(3, 3, 4, 2)"], id="channels"),
    pytest.param((5, 5, 3), (3, 3, 3, 2), {}, ["conv", "(5, 5, 3)", "(3, 3, 3, 2)"], id="input-3d"),
    pytest.param((1, 5, 5, 3), (3, 3, 3), {}, ["conv", "(1, 5, 5, 3)", "(3, 3, 3)"], id="weight-3d"),
    pytest.param((1, 2, 2, 1), (5, 5, 1, 1), {"padding": 0}, ["conv", "5x5", "(1, 2, 2, 1)"], id="kernel-too-big"),
    pytest.param((1, 5, 5, 1), (3, 3, 1, 1), {"stride": 0}, ["conv", "stride=0"], id="stride-0"),
    pytest.param((1, 5, 5, 1), (3, 3, 1, 1), {"padding": -1}, ["conv", "padding=-1"], id="padding-negative"),
]


@pytest.mark.parametrize("device", ALL_DEVICES)
@pytest.mark.parametrize("x_shape, w_shape, kwargs, fragments", BAD_CONVS)
def test_bad_convolutions_are_refused_naming_the_shapes(x_shape, w_shape, kwargs, fragments, device):
    x = ndl.Tensor(np.ones(x_shape, dtype=np.float32), device=device)
    w = ndl.Tensor(np.ones(w_shape, dtype=np.float32), device=device)
    with pytest.raises(ValueError) as raised:
        ndl.conv(x, w, **kwargs)
    for fragment in fragments:
        assert fragment in str(raised.value)
