"""nn.Conv and nn.BatchNorm2d against torch.nn.Conv2d and torch.nn.BatchNorm2d, with the same weights.

needle keeps a convolution's weight as (k, k, in, out); torch's is (out, in, k, k).
"""
import math

import numpy as np
import pytest
import torch

import needle as ndl
import needle.nn as nn
from devices import ALL_DEVICES, DEVICES

TOL = dict(rtol=1e-4, atol=1e-4)


def _tensor(array, device):
    return ndl.Tensor(array.astype(np.float32), device=device)


def _torch_conv(conv):
    """A torch.nn.Conv2d holding `conv`'s weights."""
    reference = torch.nn.Conv2d(conv.in_channels, conv.out_channels, conv.kernel_size, stride=conv.stride,
                                padding=conv.kernel_size // 2, bias=conv.bias is not None)
    with torch.no_grad():
        reference.weight.copy_(torch.tensor(conv.weight.numpy().transpose(3, 2, 0, 1)))
        if conv.bias is not None:
            reference.bias.copy_(torch.tensor(conv.bias.numpy()))
    return reference


CONV_CASES = [  # (in_channels, out_channels, kernel_size, stride, H, W, bias)
    (2, 3, 1, 1, 4, 4, True),
    (3, 4, 3, 1, 5, 5, True),
    (3, 4, 3, 2, 5, 5, True),
    (2, 3, 3, 2, 6, 7, False),
    (1, 2, 5, 1, 7, 6, True),
    (2, 2, 5, 2, 7, 7, True),
    (4, 1, 3, 1, 3, 3, False),
]


@pytest.mark.hw4_nn_conv
@pytest.mark.parametrize("cin,cout,k,stride,H,W,bias", CONV_CASES)
@pytest.mark.parametrize("device", DEVICES)
def test_conv_forward_backward_matches_torch(cin, cout, k, stride, H, W, bias, device):
    rng = np.random.default_rng(0)
    np.random.seed(0)
    conv = nn.Conv(cin, cout, k, stride=stride, bias=bias, device=device)
    reference = _torch_conv(conv)
    x_np = rng.standard_normal((2, cin, H, W)).astype(np.float32)

    x = _tensor(x_np, device)
    y = conv(x)
    x_t = torch.tensor(x_np, requires_grad=True)
    y_t = reference(x_t)
    assert y.shape == tuple(y_t.shape)
    np.testing.assert_allclose(y.numpy(), y_t.detach().numpy(), **TOL)

    out_grad = rng.standard_normal(y.shape).astype(np.float32)  # not all ones: each output weighs differently
    (y * _tensor(out_grad, device)).sum().backward()
    (y_t * torch.tensor(out_grad)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), x_t.grad.numpy(), **TOL)
    np.testing.assert_allclose(conv.weight.grad.numpy(), reference.weight.grad.numpy().transpose(2, 3, 1, 0), **TOL)
    if bias:
        np.testing.assert_allclose(conv.bias.grad.numpy(), reference.bias.grad.numpy(), **TOL)


@pytest.mark.hw4_nn_conv
@pytest.mark.parametrize("device", DEVICES)
def test_conv_parameters_shapes_bounds_and_device(device):
    np.random.seed(1)
    conv = nn.Conv(3, 5, 3, stride=2, device=device)
    assert (conv.in_channels, conv.out_channels, conv.kernel_size, conv.stride, conv.padding) == (3, 5, 3, 2, 1)
    assert conv.weight.shape == (3, 3, 3, 5) and conv.bias.shape == (5,)
    assert [p.device for p in conv.parameters()] == [device, device]
    assert len(conv.parameters()) == 2
    # kaiming_uniform with fan_in = in * k * k; the bias on +-1/sqrt(fan_in)
    fan_in = 3 * 3 * 3
    weight_bound, bias_bound = math.sqrt(2) * math.sqrt(3 / fan_in), 1 / math.sqrt(fan_in)
    weight, bias = conv.weight.numpy(), conv.bias.numpy()
    assert np.abs(weight).max() <= weight_bound and np.abs(weight).max() > 0.5 * weight_bound
    assert np.abs(bias).max() <= bias_bound

    no_bias = nn.Conv(3, 5, 1, bias=False, device=device)
    assert no_bias.bias is None and len(no_bias.parameters()) == 1 and no_bias.padding == 0


@pytest.mark.hw4_nn_conv
def test_conv_seeded_draw_order():
    """The weight is drawn first, then the bias: seeded models match the course's."""
    cin, cout, k = 2, 3, 3
    np.random.seed(7)
    conv = nn.Conv(cin, cout, k)
    np.random.seed(7)
    weight_bound = math.sqrt(2) * math.sqrt(3 / (cin * k * k))
    bias_bound = 1 / math.sqrt(cin * k * k)
    weight = np.random.rand(k, k, cin, cout).astype(np.float32) * 2 * weight_bound - weight_bound
    bias = np.random.rand(cout).astype(np.float32) * 2 * bias_bound - bias_bound
    np.testing.assert_allclose(conv.weight.numpy(), weight, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(conv.bias.numpy(), bias, rtol=1e-5, atol=1e-6)


@pytest.mark.hw4_nn_conv
def test_conv_accepts_kernel_pair_and_rejects_wrong_input():
    conv = nn.Conv(3, 4, (3, 3))
    assert conv.kernel_size == 3 and conv.weight.shape == (3, 3, 3, 4)
    with pytest.raises(ValueError, match=r"\(N, 3, H, W\).*\(2, 4, 5, 5\)"):
        conv(ndl.Tensor(np.zeros((2, 4, 5, 5), dtype=np.float32)))
    with pytest.raises(ValueError, match="kernel_size"):
        nn.Conv(3, 4, (3, 5))


@pytest.mark.hw4_nn_conv
@pytest.mark.parametrize("device", ALL_DEVICES)
def test_conv_runs_on_the_input_device(device):
    conv = nn.Conv(2, 3, 3, device=device)
    y = conv(_tensor(np.ones((1, 2, 4, 4)), device))
    y.sum().backward()
    assert y.device == device and conv.weight.grad.device == device and conv.bias.grad.device == device


def _bn_reference(bn):
    reference = torch.nn.BatchNorm2d(bn.dim, eps=bn.eps, momentum=bn.momentum)
    with torch.no_grad():
        reference.weight.copy_(torch.tensor(bn.weight.numpy()))
        reference.bias.copy_(torch.tensor(bn.bias.numpy()))
    return reference


@pytest.mark.hw4_nn_conv
@pytest.mark.parametrize("shape", [(2, 3, 4, 5), (4, 1, 3, 3)])
@pytest.mark.parametrize("device", DEVICES)
def test_batchnorm2d_train_matches_torch(shape, device):
    rng = np.random.default_rng(1)
    C = shape[1]
    bn = nn.BatchNorm2d(C, momentum=0.2, device=device)
    # a non-trivial scale and shift, so that swapping channels cannot go unnoticed
    bn.weight.data = _tensor(rng.uniform(0.5, 1.5, C), device)
    bn.bias.data = _tensor(rng.standard_normal(C), device)
    reference = _bn_reference(bn)
    channel_shift = np.arange(C).reshape(1, C, 1, 1) * 2.0  # each channel its own mean

    running_var = np.ones(C)
    for step in range(2):
        x_np = (rng.standard_normal(shape) * 1.5 + channel_shift).astype(np.float32)
        x = _tensor(x_np, device)
        y = bn(x)
        x_t = torch.tensor(x_np, requires_grad=True)
        y_t = reference(x_t)
        np.testing.assert_allclose(y.numpy(), y_t.detach().numpy(), **TOL)

        out_grad = rng.standard_normal(shape).astype(np.float32)
        bn.weight.grad = bn.bias.grad = None
        reference.zero_grad()
        (y * _tensor(out_grad, device)).sum().backward()
        (y_t * torch.tensor(out_grad)).sum().backward()
        np.testing.assert_allclose(x.grad.numpy(), x_t.grad.numpy(), **TOL)
        np.testing.assert_allclose(bn.weight.grad.numpy(), reference.weight.grad.numpy(), **TOL)
        np.testing.assert_allclose(bn.bias.grad.numpy(), reference.bias.grad.numpy(), **TOL)

        np.testing.assert_allclose(bn.running_mean.numpy(), reference.running_mean.numpy(), **TOL)
        # needle's running variance follows the biased batch variance (BatchNorm1d, as in the course);
        # torch's the unbiased one, so it is checked against numpy instead
        running_var = 0.8 * running_var + 0.2 * x_np.var(axis=(0, 2, 3))
        np.testing.assert_allclose(bn.running_var.numpy(), running_var, **TOL)


@pytest.mark.hw4_nn_conv
@pytest.mark.parametrize("device", DEVICES)
def test_batchnorm2d_eval_uses_running_stats(device):
    rng = np.random.default_rng(2)
    bn = nn.BatchNorm2d(3, device=device)
    bn(_tensor(rng.standard_normal((4, 3, 3, 3)) * 2 + 1, device))  # move the running statistics
    bn.eval()
    reference = _bn_reference(bn).eval()
    with torch.no_grad():
        reference.running_mean.copy_(torch.tensor(bn.running_mean.numpy()))
        reference.running_var.copy_(torch.tensor(bn.running_var.numpy()))
    x_np = rng.standard_normal((2, 3, 4, 2)).astype(np.float32)
    before = bn.running_mean.numpy().copy()
    np.testing.assert_allclose(bn(_tensor(x_np, device)).numpy(), reference(torch.tensor(x_np)).detach().numpy(), **TOL)
    np.testing.assert_array_equal(bn.running_mean.numpy(), before)  # eval leaves the statistics alone


@pytest.mark.hw4_nn_conv
def test_batchnorm2d_rejects_wrong_input():
    bn = nn.BatchNorm2d(3)
    with pytest.raises(ValueError, match=r"\(N, 3, H, W\).*\(2, 4, 5, 5\)"):
        bn(ndl.Tensor(np.zeros((2, 4, 5, 5), dtype=np.float32)))
    with pytest.raises(ValueError, match=r"\(2, 3\)"):
        bn(ndl.Tensor(np.zeros((2, 3), dtype=np.float32)))
