"""hw4 ops: the hw1-hw2 ops computing through array_api on the device, and the new ones
(tanh, sigmoid, stack, split, flip, dilate, undilate), forward and gradient.

Each op runs on Tensors of the case's device (nd.cpu() when graded) on shapes the public
tests never use; its output and the gradient of sum(out * W) for every input are reported.
Inputs are Gaussian, positive where an op needs it (log, pow), and away from 0 where a kink
or a pole is (relu, division).

Tolerances. Arithmetic ops (elementwise, reductions, matmul, the logarithmic ops, tanh,
sigmoid): rtol = 1e-4, atol = 1e-5. Sums and dot products of up to 120 float32 terms
accumulated in any order, exp/log/tanh from the C++ library or numpy, a sigmoid written as
1 / (1 + e^-x) or as e^x / (1 + e^x), a log-sum-exp with the row maximum taken out in any way:
all stay within a few 1e-6 of each other here. Ops that only move values (stack, split,
flip, dilate, undilate, and their gradients, which move the weights W): rtol = 1e-6 and
atol = 1e-7, as good as exact; a wrong position is off by order 1.
"""
import numpy as np

from dlsys_harness import case, report
from _hw4 import backward_with_weight, device, f64, normal, tensor, uniform

ARITHMETIC = dict(rtol=1e-4, atol=1e-5, timeout=30)
MOVES = dict(rtol=1e-6, atol=1e-7, timeout=30)


def _away_from_zero(seed, *shape):
    """float32 numbers with |x| in [0.5, 2) and random signs."""
    rng = np.random.default_rng(seed)
    return (rng.choice([-1.0, 1.0], shape) * rng.uniform(0.5, 2.0, shape)).astype(np.float32)


def _check(name, dev, fn, *arrays, seed):
    """Report fn's output on Tensors of `arrays` and the gradient of sum(out * W) for each input."""
    inputs = [tensor(a, dev) for a in arrays]
    out = fn(*inputs)
    report(f"{name}_out", f64(out))
    backward_with_weight(out, seed)
    for i, x in enumerate(inputs):
        report(f"{name}_grad_{i}", f64(x.grad))


@case(part="ops", points=2, **ARITHMETIC)
def elementwise_and_scalar_ops(device_name):
    import needle as ndl

    dev = device(device_name)
    a, b = normal(5101, 3, 7, 5), normal(5102, 3, 7, 5)
    positive, signed = uniform(5103, 0.5, 3.0, 6, 9), _away_from_zero(5104, 6, 9)
    _check("add", dev, ndl.add, a, b, seed=5111)
    _check("multiply", dev, ndl.multiply, a, b, seed=5112)
    _check("divide", dev, ndl.divide, a, _away_from_zero(5105, 3, 7, 5), seed=5113)
    _check("power", dev, ndl.power, positive, normal(5106, 6, 9, scale=0.5), seed=5114)
    _check("add_scalar", dev, lambda x: ndl.add_scalar(x, -1.75), a, seed=5115)
    _check("mul_scalar", dev, lambda x: ndl.mul_scalar(x, 2.5), a, seed=5116)
    _check("divide_scalar", dev, lambda x: ndl.divide_scalar(x, -3.2), a, seed=5117)
    _check("power_scalar", dev, lambda x: ndl.power_scalar(x, 3), signed, seed=5118)
    _check("negate", dev, ndl.negate, b, seed=5119)
    _check("log", dev, ndl.log, positive, seed=5120)
    _check("exp", dev, ndl.exp, normal(5107, 6, 9), seed=5121)
    _check("relu", dev, ndl.relu, signed, seed=5122)


@case(part="ops", points=2, **ARITHMETIC)
def shape_ops_and_summation(device_name):
    import needle as ndl

    dev = device(device_name)
    x = normal(5131, 2, 3, 4, 5)
    _check("reshape", dev, lambda t: ndl.reshape(t, (6, 20)), x, seed=5141)
    # a reshape of a transposed (non-contiguous) input
    _check("transpose_reshape", dev, lambda t: ndl.reshape(ndl.transpose(t, (1, 3)), (10, 12)), x, seed=5142)
    _check("transpose_default", dev, ndl.transpose, x, seed=5143)
    _check("transpose_0_2", dev, lambda t: ndl.transpose(t, (0, 2)), x, seed=5144)
    _check("broadcast_new_axes", dev, lambda t: ndl.broadcast_to(t, (3, 2, 4, 5)), normal(5132, 4, 5), seed=5145)
    _check("broadcast_size_one", dev, lambda t: ndl.broadcast_to(t, (6, 4, 7)), normal(5133, 6, 1, 7), seed=5146)
    _check("summation_all", dev, ndl.summation, x, seed=5147)
    _check("summation_axis_2", dev, lambda t: ndl.summation(t, axes=2), x, seed=5148)
    _check("summation_axes_0_3", dev, lambda t: ndl.summation(t, axes=(0, 3)), x, seed=5149)
    _check("summation_axes_1_2_3", dev, lambda t: ndl.summation(t, axes=(1, 2, 3)), x, seed=5150)


@case(part="ops", points=1.5, **ARITHMETIC)
def matmul_plain_and_batched(device_name):
    import needle as ndl

    dev = device(device_name)
    _check("2d", dev, ndl.matmul, normal(5161, 7, 11), normal(5162, 11, 5), seed=5171)
    _check("batched_3d", dev, ndl.matmul, normal(5163, 4, 6, 9), normal(5164, 4, 9, 3), seed=5172)
    _check("3d_at_2d", dev, ndl.matmul, normal(5165, 3, 5, 8), normal(5166, 8, 6), seed=5173)
    _check("2d_at_3d", dev, ndl.matmul, normal(5167, 5, 8), normal(5168, 2, 8, 6), seed=5174)
    _check("batched_4d", dev, ndl.matmul, normal(5169, 2, 3, 4, 5), normal(5170, 2, 3, 5, 7), seed=5175)


@case(part="ops", points=1.5, **ARITHMETIC)
def logsumexp_and_logsoftmax(device_name):
    import needle as ndl

    dev = device(device_name)
    x = normal(5181, 4, 6, 5, scale=3.0)
    _check("logsumexp_all", dev, ndl.logsumexp, x, seed=5191)
    _check("logsumexp_axis_1", dev, lambda t: ndl.logsumexp(t, axes=(1,)), x, seed=5192)
    _check("logsumexp_axes_0_2", dev, lambda t: ndl.logsumexp(t, axes=(0, 2)), x, seed=5193)
    large = normal(5182, 5, 8) + np.float32(200.0)  # exp would overflow without the maximum taken out
    _check("logsumexp_large", dev, lambda t: ndl.logsumexp(t, axes=(1,)), large, seed=5194)
    _check("logsoftmax", dev, ndl.logsoftmax, normal(5183, 7, 10, scale=2.0), seed=5195)


@case(part="ops", points=2, **ARITHMETIC)
def tanh_and_sigmoid(device_name):
    import needle as ndl

    dev = device(device_name)
    x = normal(5201, 5, 4, 6, scale=2.0)
    _check("tanh", dev, ndl.tanh, x, seed=5211)
    _check("sigmoid", dev, ndl.sigmoid, x, seed=5212)
    # tanh(sigmoid(x)): each gradient at the other's output
    _check("tanh_of_sigmoid", dev, lambda t: ndl.tanh(ndl.sigmoid(t)), normal(5202, 9, 7, scale=3.0), seed=5213)


@case(part="ops", points=2, **MOVES)
def stack_and_split(device_name):
    import needle as ndl

    dev = device(device_name)
    pieces = [normal(5221 + i, 3, 5) for i in range(4)]
    for axis in (0, 1, 2):
        _check(f"stack_axis_{axis}", dev, lambda *ts, axis=axis: ndl.stack(list(ts), axis), *pieces, seed=5231 + axis)
    _check("stack_one", dev, lambda t: ndl.stack([t], 1), normal(5225, 2, 6), seed=5234)
    x = tensor(normal(5226, 3, 4, 5), dev)
    for axis in (0, 1, 2):
        parts = ndl.split(x, axis)
        report(f"split_axis_{axis}_count", np.int64(len(parts)))
        for i in range(len(parts)):
            report(f"split_axis_{axis}_piece_{i}", f64(parts[i]))
    # gradient: a different constant weight on each piece
    parts = ndl.split(x, 1)
    weights = [tensor(normal(5241 + i, 3, 5), dev, requires_grad=False) for i in range(4)]
    total = parts[0] * weights[0]
    for i in range(1, 4):
        total = total + parts[i] * weights[i]
    total.sum().backward()
    report("split_axis_1_grad", f64(x.grad))


@case(part="ops", points=2, **MOVES)
def flip(device_name):
    import needle as ndl

    dev = device(device_name)
    x = normal(5251, 2, 3, 4, 5)
    _check("axis_0", dev, lambda t: ndl.flip(t, (0,)), x, seed=5261)
    _check("axes_1_3", dev, lambda t: ndl.flip(t, (1, 3)), x, seed=5262)
    _check("all_axes", dev, lambda t: ndl.flip(t, (0, 1, 2, 3)), x, seed=5263)
    _check("matrix_axis_1", dev, lambda t: ndl.flip(t, (1,)), normal(5252, 6, 7), seed=5264)
    # the flip of a transposed (non-contiguous) input
    _check("of_transposed", dev, lambda t: ndl.flip(ndl.transpose(t, (1, 2)), (1, 2)), x, seed=5265)


@case(part="ops", points=2, **MOVES)
def dilate_and_undilate(device_name):
    import needle as ndl

    dev = device(device_name)
    x = normal(5271, 3, 4, 2)
    _check("dilate_axis_0_by_1", dev, lambda t: ndl.dilate(t, (0,), 1), x, seed=5281)
    _check("dilate_axes_1_2_by_2", dev, lambda t: ndl.dilate(t, (1, 2), 2), x, seed=5282)
    _check("dilate_by_0", dev, lambda t: ndl.dilate(t, (0, 1), 0), x, seed=5283)
    _check("dilate_axis_beyond_ndim", dev, lambda t: ndl.dilate(t, (1, 4), 1), x, seed=5284)
    _check("dilate_nhwc_by_1", dev, lambda t: ndl.dilate(t, (1, 2), 1), normal(5272, 2, 3, 3, 2), seed=5285)
    y = normal(5273, 6, 9, 4)
    _check("undilate_axis_0_by_1", dev, lambda t: ndl.undilate(t, (0,), 1), y, seed=5286)
    _check("undilate_axes_0_1_by_2", dev, lambda t: ndl.undilate(t, (0, 1), 2), y, seed=5287)
    _check("undilate_of_dilate", dev, lambda t: ndl.undilate(ndl.dilate(t, (1,), 3), (1,), 3), x, seed=5288)
