"""hw4 nn_conv: nn.Conv (NCHW in and out, "same" padding k // 2, seeded parameters) and
nn.BatchNorm2d (each channel normalized over N * H * W values; running statistics; eval).

The seeded case builds layers right after `np.random.seed` and reports their parameters and
an output: Conv's weight comes from kaiming_uniform(c_in k^2, c_out k^2) with shape
(k, k, c_in, c_out), then its bias uniform on +-1 / sqrt(c_in k^2). The other Conv cases set
`weight` and `bias` to values of their own, so they grade the computation alone.

Tolerances: rtol = atol = 1e-4 (sums of up to 75 float32 products; BatchNorm's variance over
up to 150 well-conditioned values, however it is computed). Seeded parameters: rtol = 1e-6,
atol = 1e-7 (a different draw is off by order 1).
"""
import numpy as np

from dlsys_harness import case, report
from _hw4 import backward_with_weight, device, f64, normal, set_parameter, tensor

LAYER = dict(rtol=1e-4, atol=1e-4, timeout=30)


def _conv_layer(dev, seed, c_in, c_out, k, stride=1, bias=True):
    """An nn.Conv whose weight and bias are fixed values drawn from `seed`."""
    import needle.nn as nn

    layer = nn.Conv(c_in, c_out, k, stride=stride, bias=bias, device=dev)
    set_parameter(layer, "weight", normal(seed, k, k, c_in, c_out, scale=0.3))
    if bias:
        set_parameter(layer, "bias", normal(seed + 1, c_out))
    return layer


@case(part="nn_conv", points=2, rtol=1e-6, atol=1e-7, timeout=30)
def conv_layer_seeded_parameters(device_name):
    import needle.nn as nn

    dev = device(device_name)
    np.random.seed(5501)
    layer = nn.Conv(3, 5, 3, device=dev)
    report("k3_weight", f64(layer.weight))
    report("k3_bias", f64(layer.bias))
    np.random.seed(5502)
    wide = nn.Conv(2, 4, 5, stride=2, bias=False, device=dev)
    report("k5_no_bias_weight", f64(wide.weight))
    np.random.seed(5503)
    seeded = nn.Conv(2, 3, 3, device=dev)
    report("seeded_out", f64(seeded(tensor(normal(5504, 2, 2, 5, 6), dev))))


@case(part="nn_conv", points=2.5, **LAYER)
def conv_layer_forward(device_name):
    dev = device(device_name)
    x = tensor(normal(5511, 2, 3, 7, 6), dev)  # NCHW
    report("k3", f64(_conv_layer(dev, 5521, 3, 4, 3)(x)))
    report("k3_stride_2", f64(_conv_layer(dev, 5523, 3, 2, 3, stride=2)(x)))  # odd sizes: ceil(7 / 2)
    report("k1", f64(_conv_layer(dev, 5525, 3, 5, 1)(x)))
    report("k5_no_bias", f64(_conv_layer(dev, 5527, 3, 2, 5, bias=False)(x)))
    report("k5_stride_3", f64(_conv_layer(dev, 5529, 3, 3, 5, stride=3)(x)))
    report("one_channel", f64(_conv_layer(dev, 5531, 1, 1, 3)(tensor(normal(5512, 3, 1, 5, 5), dev))))


@case(part="nn_conv", points=2.5, **LAYER)
def conv_layer_backward(device_name):
    dev = device(device_name)
    for name, seed, k, stride, bias in (("k3", 5541, 3, 1, True), ("k3_stride_2", 5545, 3, 2, True),
                                        ("k5_no_bias", 5549, 5, 1, False)):
        x = tensor(normal(seed, 2, 3, 6, 7), dev)
        layer = _conv_layer(dev, seed + 1, 3, 4, k, stride=stride, bias=bias)
        out = layer(x)
        report(f"{name}_out", f64(out))
        backward_with_weight(out, seed + 3)
        report(f"{name}_x_grad", f64(x.grad))
        report(f"{name}_weight_grad", f64(layer.weight.grad))
        if bias:
            report(f"{name}_bias_grad", f64(layer.bias.grad))


def _images(seed, n, scales, shifts, h=5, w=4):
    """float32 NCHW images whose channel j ~ shifts[j] + scales[j] * N(0, 1)."""
    rng = np.random.default_rng(seed)
    c = len(scales)
    per_channel = (1, c, 1, 1)
    x = np.reshape(shifts, per_channel) + np.reshape(scales, per_channel) * rng.standard_normal((n, c, h, w))
    return x.astype(np.float32)


SCALES, SHIFTS = [1.0, 0.3, 2.0], [0.5, -1.0, 2.0]


@case(part="nn_conv", points=3, **LAYER)
def batchnorm2d_train_backward_and_eval(device_name):
    import needle.nn as nn

    dev = device(device_name)
    bn = nn.BatchNorm2d(3, momentum=0.2, device=dev)
    x = tensor(_images(5561, 4, SCALES, SHIFTS), dev)
    report("default_affine_out", f64(bn(x)))
    report("running_mean_after_1", f64(bn.running_mean))
    report("running_var_after_1", f64(bn.running_var))
    set_parameter(bn, "weight", np.float32([0.5, 1.5, -1.0]))
    set_parameter(bn, "bias", np.float32([0.25, -0.5, 1.0]))
    y = tensor(_images(5562, 3, SCALES, SHIFTS, h=4, w=6), dev)
    out = bn(y)
    report("affine_out", f64(out))
    backward_with_weight(out, 5563)
    report("x_grad", f64(y.grad))
    report("weight_grad", f64(bn.weight.grad))
    report("bias_grad", f64(bn.bias.grad))
    report("running_mean_after_2", f64(bn.running_mean))
    report("running_var_after_2", f64(bn.running_var))
    bn.eval()
    report("eval_out", f64(bn(tensor(_images(5564, 2, SCALES, SHIFTS), dev))))
    report("running_mean_after_eval", f64(bn.running_mean))
