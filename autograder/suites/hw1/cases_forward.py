"""hw1 forward: each op's `compute`, on shapes and values the public tests never use.

Inputs are float64 (any sensible implementation keeps float64, so the exact dtype check
is fair), except in `scalar_ops_keep_float32`, which checks the float32 that the public
tests demand of scalar ops. The ops the handout gives in full (EWiseAdd, AddScalar,
EWiseMul, MulScalar) are graded together with ops the student writes, through the Tensor
operators that use both (`a - b` needs Negate, `2 / a` needs PowerScalar): given code
alone earns nothing.
"""
import numpy as np

from dlsys_harness import case, report
from _ops import AWAY, NORMAL, POSITIVE, draw

# float64 results; different but equally correct orders of operations differ by ~1e-16
FLOAT64 = dict(rtol=1e-7, atol=1e-10, timeout=30)


@case(part="forward", points=0.75, **FLOAT64)
def add_subtract_and_negate():
    import needle as ndl

    a, b = (ndl.Tensor(x) for x in draw(1101, ((2, 5, 3), NORMAL), ((2, 5, 3), NORMAL)))
    report("add", ndl.add(a, b).numpy())
    report("add_scalar", ndl.add_scalar(a, -1.75).numpy())
    report("negate", ndl.negate(a).numpy())
    report("negate_operator", (-b).numpy())
    report("subtract", (a - b).numpy())
    report("scalar_minus_tensor", (0.625 - b).numpy())


@case(part="forward", points=0.75, **FLOAT64)
def multiply_and_scale():
    import needle as ndl

    a, b = (ndl.Tensor(x) for x in draw(1102, ((4, 7), NORMAL), ((4, 7), NORMAL)))
    report("multiply", ndl.multiply(a, b).numpy())
    report("mul_scalar", ndl.mul_scalar(a, -0.75).numpy())
    report("scalar_times_tensor", (2.5 * b).numpy())
    report("negated_times_tensor", ((-a) * b).numpy())


@case(part="forward", points=0.75, rtol=1e-6, atol=1e-7, timeout=30)
def scalar_ops_keep_float32():
    # the public tests require a float32 tensor to stay float32 through every scalar op
    import needle as ndl

    x = ndl.Tensor(draw(1103, ((4, 6), AWAY))[0].astype(np.float32))
    report("plus", (x + 0.25).numpy())
    report("times", (x * -1.5).numpy())
    report("divided", (x / 6.0).numpy())
    report("minus", (x - 3.0).numpy())
    report("scalar_minus", (0.5 - x).numpy())
    report("cubed", (x**3).numpy())
    report("scalar_divided", (4.0 / x).numpy())


@case(part="forward", points=0.75, **FLOAT64)
def power_scalar():
    import needle as ndl

    a = ndl.Tensor(draw(1104, ((4, 5), AWAY))[0])
    report("fourth", ndl.power_scalar(a, 4).numpy())
    report("minus_second", (a**-2).numpy())
    report("first", ndl.power_scalar(a, 1).numpy())


@case(part="forward", points=0.75, **FLOAT64)
def elementwise_power():
    import needle as ndl

    base, exponent, c = (ndl.Tensor(x) for x in draw(1105, ((3, 5), POSITIVE), ((3, 5), NORMAL), ((2, 4), NORMAL)))
    report("power", ndl.power(base, exponent).numpy())
    report("power_operator", (base**exponent).numpy())
    report("scalar_to_the_tensor", (3.0**c).numpy())  # Tensor.__rpow__: EWisePow of a constant base


@case(part="forward", points=0.75, **FLOAT64)
def divide():
    import needle as ndl

    a, b = (ndl.Tensor(x) for x in draw(1106, ((5, 2, 3), NORMAL), ((5, 2, 3), AWAY)))
    report("divide", ndl.divide(a, b).numpy())
    c, d = (ndl.Tensor(x) for x in draw(1119, ((4, 3), NORMAL), ((4, 3), AWAY)))
    report("divide_operator", (c / d).numpy())
    report("scalar_over_tensor", (1.5 / b).numpy())  # Tensor.__rtruediv__: PowerScalar(-1), then MulScalar


@case(part="forward", points=0.75, **FLOAT64)
def divide_scalar():
    import needle as ndl

    a = ndl.Tensor(draw(1107, ((6, 5), NORMAL))[0])
    report("by_float", ndl.divide_scalar(a, 0.4).numpy())
    report("by_int", (a / 7).numpy())
    report("by_negative", (a / -2.5).numpy())


@case(part="forward", points=1.25, **FLOAT64)
def matmul_plain_and_batched():
    import needle as ndl

    pairs = {
        "5x3_3x6": ((5, 3), (3, 6)),
        "1x4_4x1": ((1, 4), (4, 1)),
        "batch_4": ((4, 2, 5), (4, 5, 3)),
        "batch_2x3": ((2, 3, 2, 4), (2, 3, 4, 3)),
    }
    for seed, (name, (left, right)) in enumerate(pairs.items(), start=1108):
        a, b = (ndl.Tensor(x) for x in draw(seed, (left, NORMAL), (right, NORMAL)))
        report(name, ndl.matmul(a, b).numpy())
    a, b = (ndl.Tensor(x) for x in draw(1120, ((3, 2), NORMAL), ((2, 7), NORMAL)))
    report("operator", (a @ b).numpy())


@case(part="forward", points=1.25, **FLOAT64)
def matmul_broadcast_batch():
    import needle as ndl

    pairs = {
        "3x4x2_2x5": ((3, 4, 2), (2, 5)),
        "3x5_2x2x5x4": ((3, 5), (2, 2, 5, 4)),
        "2x1x3x4_1x3x4x2": ((2, 1, 3, 4), (1, 3, 4, 2)),
        "1x2x3_4x3x2": ((1, 2, 3), (4, 3, 2)),
    }
    for seed, (name, (left, right)) in enumerate(pairs.items(), start=1121):
        a, b = (ndl.Tensor(x) for x in draw(seed, (left, NORMAL), (right, NORMAL)))
        report(name, ndl.matmul(a, b).numpy())


@case(part="forward", points=1.0, **FLOAT64)
def summation_all_and_one_axis():
    import needle as ndl

    x = ndl.Tensor(draw(1130, ((4, 3, 2), NORMAL))[0])
    report("none", ndl.summation(x).numpy())
    report("method_none", x.sum().numpy())
    report("axis_1", ndl.summation(ndl.Tensor(draw(1131, ((3, 5, 2), NORMAL))[0]), 1).numpy())
    report("axis_minus_2", ndl.summation(ndl.Tensor(draw(1132, ((3, 2, 4, 5), NORMAL))[0]), -2).numpy())
    report("vector_axis_0", ndl.Tensor(draw(1133, ((7,), NORMAL))[0]).sum(axes=0).numpy())


@case(part="forward", points=1.0, **FLOAT64)
def summation_tuple_of_axes():
    import needle as ndl

    x = ndl.Tensor(draw(1134, ((3, 4, 5), NORMAL))[0])
    report("axes_0_2", ndl.summation(x, (0, 2)).numpy())
    report("axes_2_0", ndl.summation(x, (2, 0)).numpy())
    report("axes_all", ndl.summation(x, (0, 1, 2)).numpy())
    report("axes_1_3", ndl.summation(ndl.Tensor(draw(1135, ((2, 3, 2, 4), NORMAL))[0]), (1, 3)).numpy())
    report("axes_1", ndl.Tensor(draw(1136, ((6, 3), NORMAL))[0]).sum(axes=(1,)).numpy())


@case(part="forward", points=1.0, **FLOAT64)
def broadcast_to():
    import needle as ndl

    shapes = {
        "1x5_to_4x5": ((1, 5), (4, 5)),
        "3x1x2_to_3x4x2": ((3, 1, 2), (3, 4, 2)),
        "5_to_3x2x5": ((5,), (3, 2, 5)),
        "2x1x1_to_2x3x4": ((2, 1, 1), (2, 3, 4)),
        "3x1_to_2x3x4": ((3, 1), (2, 3, 4)),
        "1_to_2x3": ((1,), (2, 3)),
        "2x5_to_2x5": ((2, 5), (2, 5)),
    }
    for seed, (name, (source, target)) in enumerate(shapes.items(), start=1140):
        report(name, ndl.broadcast_to(ndl.Tensor(draw(seed, (source, NORMAL))[0]), target).numpy())


@case(part="forward", points=1.0, **FLOAT64)
def reshape():
    import needle as ndl

    shapes = {
        "5x6_to_3x10": ((5, 6), (3, 10)),
        "2x3x5_to_6x5": ((2, 3, 5), (6, 5)),
        "30_to_2x3x5": ((30,), (2, 3, 5)),
        "6x4_to_2xminus1x3": ((6, 4), (2, -1, 3)),
        "3x1x5_to_15": ((3, 1, 5), (15,)),
    }
    for seed, (name, (source, target)) in enumerate(shapes.items(), start=1150):
        report(name, ndl.reshape(ndl.Tensor(draw(seed, (source, NORMAL))[0]), target).numpy())
    report("method", ndl.Tensor(draw(1160, ((7, 2), NORMAL))[0]).reshape((2, 7)).numpy())


@case(part="forward", points=0.75, **FLOAT64)
def transpose_last_two_axes_by_default():
    import needle as ndl

    for seed, shape in enumerate([(5, 2), (3, 2, 4), (2, 2, 3, 5)], start=1161):
        report("x".join(map(str, shape)), ndl.transpose(ndl.Tensor(draw(seed, (shape, NORMAL))[0])).numpy())
    report("method", ndl.Tensor(draw(1165, ((4, 1, 3), NORMAL))[0]).transpose().numpy())


@case(part="forward", points=1.0, **FLOAT64)
def transpose_named_axes():
    # axes=(i, j) swaps axes i and j, like numpy.swapaxes (not numpy.transpose's permutation)
    import needle as ndl

    x = ndl.Tensor(draw(1166, ((3, 2, 4), NORMAL))[0])
    report("axes_0_1", ndl.transpose(x, (0, 1)).numpy())
    report("axes_2_0", ndl.transpose(x, (2, 0)).numpy())
    report("axes_0_3", ndl.transpose(ndl.Tensor(draw(1167, ((2, 3, 2, 5), NORMAL))[0]), (0, 3)).numpy())
    report("method_axes_1_2", ndl.Tensor(draw(1168, ((2, 5, 3), NORMAL))[0]).transpose((1, 2)).numpy())


@case(part="forward", points=0.75, **FLOAT64)
def log_and_exp():
    import needle as ndl

    positive, normal = draw(1170, ((4, 5, 2), POSITIVE), ((3, 6), NORMAL))
    report("log", ndl.log(ndl.Tensor(positive)).numpy())
    report("exp", ndl.exp(ndl.Tensor(normal)).numpy())
    report("exp_of_log", ndl.exp(ndl.log(ndl.Tensor(positive[0]))).numpy())


@case(part="forward", points=0.75, **FLOAT64)
def relu():
    import needle as ndl

    x = draw(1171, ((5, 6), NORMAL))[0]
    x[0, 0], x[2, 3] = 0.0, -0.0
    report("2d", ndl.relu(ndl.Tensor(x)).numpy())
    report("3d", ndl.relu(ndl.Tensor(draw(1172, ((2, 4, 3), NORMAL))[0] - 0.3)).numpy())
