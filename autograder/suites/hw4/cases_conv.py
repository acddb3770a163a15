"""hw4 conv: the conv op, `conv(a, b, stride, padding)` on NHWC inputs with (k, k, c_in, c_out)
weights, forward and gradient.

Shapes the public tests never use: non-square images, kernels of 1 to 5, paddings from 0 to
beyond k // 2, strides that fit the padded image exactly and strides that leave rows and
columns over (their gradient is 0 there), one channel in or out, a kernel as large as the
padded image. The output and the gradients of sum(out * W) for the input and the weights
are reported.

Tolerances: rtol = 1e-4, atol = 1e-4. Each output is a float32 sum of up to k*k*c_in = 100
products, and each gradient of up to a few hundred; im2col with one matrix product, loops
over the kernel's positions, or a convolution of the flipped kernel add them in different
orders. The reference is within 1e-5 of float64 PyTorch on every value here (up to ~30). A misplaced window, a missing pad or a
forgotten remainder is off by order 1.
"""
from dlsys_harness import case, report
from _hw4 import backward_with_weight, device, f64, normal, tensor

CONV = dict(rtol=1e-4, atol=1e-4, timeout=30)


def _conv(name, dev, seed, n, h, w, c_in, c_out, k, stride, padding, backward=True):
    """Report conv's output on a fixed (n, h, w, c_in) input and (k, k, c_in, c_out) weight,
    and with `backward` the gradients of sum(out * W) for both."""
    import needle as ndl

    x, weight = tensor(normal(seed, n, h, w, c_in), dev), tensor(normal(seed + 1, k, k, c_in, c_out), dev)
    out = ndl.conv(x, weight, stride=stride, padding=padding)
    report(f"{name}_out", f64(out))
    if backward:
        backward_with_weight(out, seed + 2)
        report(f"{name}_x_grad", f64(x.grad))
        report(f"{name}_weight_grad", f64(weight.grad))


@case(part="conv", points=3, **CONV)
def conv_forward_stride_1(device_name):
    dev = device(device_name)
    _conv("k3_p1", dev, 5301, 2, 7, 9, 3, 4, 3, 1, 1, backward=False)
    _conv("k3_p0", dev, 5304, 1, 6, 5, 4, 2, 3, 1, 0, backward=False)
    _conv("k5_p2", dev, 5307, 2, 8, 6, 2, 3, 5, 1, 2, backward=False)
    _conv("k1_p0", dev, 5310, 3, 4, 5, 6, 7, 1, 1, 0, backward=False)
    _conv("k2_p0", dev, 5313, 2, 5, 4, 3, 2, 2, 1, 0, backward=False)
    _conv("k3_p3_wider_than_half", dev, 5316, 1, 4, 5, 2, 3, 3, 1, 3, backward=False)
    _conv("one_channel_in_and_out", dev, 5319, 2, 6, 7, 1, 1, 3, 1, 1, backward=False)


@case(part="conv", points=3, **CONV)
def conv_forward_strided(device_name):
    dev = device(device_name)
    _conv("k3_s2_p1", dev, 5331, 2, 9, 7, 3, 4, 3, 2, 1, backward=False)
    _conv("k3_s2_p0_remainder", dev, 5334, 1, 8, 10, 2, 3, 3, 2, 0, backward=False)
    _conv("k5_s3_p2", dev, 5337, 2, 11, 9, 2, 2, 5, 3, 2, backward=False)
    _conv("k1_s2_p0", dev, 5340, 2, 7, 6, 3, 5, 1, 2, 0, backward=False)
    _conv("k4_s4_p0_patches", dev, 5343, 1, 8, 12, 3, 2, 4, 4, 0, backward=False)
    _conv("kernel_as_large_as_padded_image", dev, 5346, 3, 3, 3, 4, 5, 5, 2, 1, backward=False)


@case(part="conv", points=3, **CONV)
def conv_backward_stride_1(device_name):
    dev = device(device_name)
    _conv("k3_p1", dev, 5361, 2, 6, 7, 3, 4, 3, 1, 1)
    _conv("k3_p0", dev, 5364, 2, 5, 6, 2, 3, 3, 1, 0)
    _conv("k5_p2", dev, 5367, 1, 7, 6, 3, 2, 5, 1, 2)
    _conv("k1_p0", dev, 5370, 2, 4, 3, 5, 4, 1, 1, 0)
    _conv("k5_p0", dev, 5373, 1, 8, 7, 2, 2, 5, 1, 0)


@case(part="conv", points=2, **CONV)
def conv_backward_strided_exact_fit(device_name):
    # (h + 2p - k) and (w + 2p - k) are multiples of the stride: every row and column is used
    dev = device(device_name)
    _conv("k3_s2_p1", dev, 5381, 2, 9, 7, 3, 4, 3, 2, 1)
    _conv("k1_s2_p0", dev, 5384, 1, 5, 7, 4, 3, 1, 2, 0)
    _conv("k3_s3_p0", dev, 5387, 2, 9, 6, 2, 3, 3, 3, 0)


@case(part="conv", points=2, **CONV)
def conv_backward_strided_with_remainder(device_name):
    # the last rows and columns lie beyond the last window: their gradient is 0
    dev = device(device_name)
    _conv("k3_s2_p1", dev, 5391, 2, 8, 10, 3, 2, 3, 2, 1)
    _conv("k3_s2_p0", dev, 5394, 1, 8, 9, 2, 4, 3, 2, 0)
    _conv("k5_s3_p1", dev, 5397, 2, 10, 8, 2, 3, 5, 3, 1)


@case(part="conv", points=2, **CONV)
def conv_of_conv_backward(device_name):
    # two convolutions in a row: the first's output gradient comes from the second's input gradient
    import needle as ndl

    dev = device(device_name)
    x = tensor(normal(5411, 2, 7, 6, 3), dev)
    w1, w2 = tensor(normal(5412, 3, 3, 3, 4), dev), tensor(normal(5413, 3, 3, 4, 2, scale=0.5), dev)
    out = ndl.conv(ndl.conv(x, w1, stride=2, padding=1), w2, stride=1, padding=1)
    report("out", f64(out))
    backward_with_weight(out, 5414)
    report("x_grad", f64(x.grad))
    report("w1_grad", f64(w1.grad))
    report("w2_grad", f64(w2.grad))
