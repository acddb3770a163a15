"""hw1 backward: each op's `gradient`, on shapes and values the public tests never use.

Each value is the gradient of sum(op(inputs) * W) with respect to one input, for a fixed
random W of the output's shape, computed by `out.backward(W)` (see _ops.py): it involves
the op's gradient and the student's backward pass, not Summation's gradient. Inputs are
float64; inputs of log and of a power's base are positive, and inputs of divisions, ReLU
and negative powers stay away from zero.
"""
from dlsys_harness import case, report
from _ops import AWAY, NORMAL, POSITIVE, draw, report_gradients

# float64 gradients; equally correct formulas (b * a**(b-1) or b * a**b / a) differ by ~1e-16
FLOAT64 = dict(rtol=1e-7, atol=1e-10, timeout=30)


@case(part="backward", points=1.5, **FLOAT64)
def add_subtract_and_negate():
    import needle as ndl

    pair = draw(1201, ((2, 5, 3), NORMAL), ((2, 5, 3), NORMAL))
    report_gradients(report, "add", ndl.add, pair, 6201)
    report_gradients(report, "subtract", lambda a, b: a - b, pair, 6202)
    report_gradients(report, "add_scalar", lambda a: ndl.add_scalar(a, -1.75), pair[:1], 6203)
    report_gradients(report, "scalar_minus_tensor", lambda a: 0.625 - a, pair[1:], 6204)
    report_gradients(report, "negate", ndl.negate, pair[:1], 6205)


@case(part="backward", points=1.5, **FLOAT64)
def multiply_and_scale():
    import needle as ndl

    pair = draw(1202, ((4, 7), NORMAL), ((4, 7), NORMAL))
    report_gradients(report, "multiply", ndl.multiply, pair, 6206)
    report_gradients(report, "mul_scalar", lambda a: ndl.mul_scalar(a, -0.75), pair[:1], 6207)
    report_gradients(report, "negated_times_tensor", lambda a, b: (-a) * b, pair, 6208)


@case(part="backward", points=1.5, **FLOAT64)
def power_scalar():
    import needle as ndl

    x = draw(1203, ((4, 5), AWAY))
    report_gradients(report, "fourth", lambda a: ndl.power_scalar(a, 4), x, 6209)
    report_gradients(report, "minus_second", lambda a: a**-2, x, 6210)
    report_gradients(report, "first", lambda a: ndl.power_scalar(a, 1), x, 6211)


@case(part="backward", points=1.5, **FLOAT64)
def elementwise_power():
    import needle as ndl

    base, exponent, c = draw(1204, ((3, 5), POSITIVE), ((3, 5), NORMAL), ((2, 4), NORMAL))
    report_gradients(report, "power", ndl.power, [base, exponent], 6212)
    report_gradients(report, "scalar_to_the_tensor", lambda t: 3.0**t, [c], 6213)


@case(part="backward", points=1.5, **FLOAT64)
def divide():
    import needle as ndl

    a, b = draw(1205, ((5, 2, 3), NORMAL), ((5, 2, 3), AWAY))
    report_gradients(report, "divide", ndl.divide, [a, b], 6214)
    report_gradients(report, "scalar_over_tensor", lambda t: 1.5 / t, [b], 6215)


@case(part="backward", points=1.5, **FLOAT64)
def divide_scalar():
    import needle as ndl

    x = draw(1206, ((6, 5), NORMAL))
    report_gradients(report, "by_float", lambda a: ndl.divide_scalar(a, 0.4), x, 6216)
    report_gradients(report, "by_int", lambda a: a / 7, x, 6217)


@case(part="backward", points=1.5, **FLOAT64)
def matmul_plain():
    import needle as ndl

    report_gradients(report, "5x3_3x6", ndl.matmul, draw(1207, ((5, 3), NORMAL), ((3, 6), NORMAL)), 6218)
    report_gradients(report, "1x4_4x1", ndl.matmul, draw(1208, ((1, 4), NORMAL), ((4, 1), NORMAL)), 6219)


@case(part="backward", points=1.5, **FLOAT64)
def matmul_batched():
    import needle as ndl

    report_gradients(report, "batch_4", ndl.matmul, draw(1209, ((4, 2, 5), NORMAL), ((4, 5, 3), NORMAL)), 6220)
    report_gradients(report, "batch_2x3", ndl.matmul,
                     draw(1210, ((2, 3, 2, 4), NORMAL), ((2, 3, 4, 3), NORMAL)), 6221)


@case(part="backward", points=1.5, **FLOAT64)
def matmul_batch_broadcast_on_one_side():
    # the operand without the batch axes gets the sum of its adjoints over them
    import needle as ndl

    report_gradients(report, "3x4x2_2x5", ndl.matmul, draw(1211, ((3, 4, 2), NORMAL), ((2, 5), NORMAL)), 6222)
    report_gradients(report, "3x5_2x2x5x4", ndl.matmul,
                     draw(1212, ((3, 5), NORMAL), ((2, 2, 5, 4), NORMAL)), 6223)


@case(part="backward", points=1.5, **FLOAT64)
def matmul_batch_broadcast_on_both_sides():
    # batch axes of size 1 on each side stretch against the other's
    import needle as ndl

    report_gradients(report, "2x1x3x4_1x3x4x2", ndl.matmul,
                     draw(1213, ((2, 1, 3, 4), NORMAL), ((1, 3, 4, 2), NORMAL)), 6224)
    report_gradients(report, "1x2x3_4x3x2", ndl.matmul, draw(1214, ((1, 2, 3), NORMAL), ((4, 3, 2), NORMAL)), 6225)


@case(part="backward", points=1.5, **FLOAT64)
def summation_all_and_one_axis():
    import needle as ndl

    report_gradients(report, "none", ndl.summation, draw(1215, ((4, 3, 2), NORMAL)), 6226)
    report_gradients(report, "axis_1", lambda a: ndl.summation(a, 1), draw(1216, ((3, 5, 2), NORMAL)), 6227)
    report_gradients(report, "axis_minus_2", lambda a: ndl.summation(a, -2), draw(1217, ((3, 2, 4, 5), NORMAL)), 6228)
    report_gradients(report, "vector_axis_0", lambda a: a.sum(axes=0), draw(1218, ((7,), NORMAL)), 6229)


@case(part="backward", points=1.5, **FLOAT64)
def summation_tuple_of_axes():
    import needle as ndl

    x = draw(1219, ((3, 4, 5), NORMAL))
    report_gradients(report, "axes_0_2", lambda a: ndl.summation(a, (0, 2)), x, 6230)
    report_gradients(report, "axes_2_0", lambda a: ndl.summation(a, (2, 0)), x, 6231)
    report_gradients(report, "axes_all", lambda a: ndl.summation(a, (0, 1, 2)), x, 6232)
    report_gradients(report, "axes_1_3", lambda a: ndl.summation(a, (1, 3)), draw(1220, ((2, 3, 2, 4), NORMAL)), 6233)


@case(part="backward", points=1.5, **FLOAT64)
def broadcast_to_new_leading_axes():
    import needle as ndl

    report_gradients(report, "5_to_3x2x5", lambda a: ndl.broadcast_to(a, (3, 2, 5)), draw(1221, ((5,), NORMAL)), 6234)
    report_gradients(report, "2x3_to_4x2x3", lambda a: ndl.broadcast_to(a, (4, 2, 3)),
                     draw(1222, ((2, 3), NORMAL)), 6235)


@case(part="backward", points=1.5, **FLOAT64)
def broadcast_to_stretched_axes():
    # axes of size 1 stretched, alone or together with new leading axes
    import needle as ndl

    shapes = {
        "1x5_to_4x5": ((1, 5), (4, 5)),
        "3x1x2_to_3x4x2": ((3, 1, 2), (3, 4, 2)),
        "2x1x1_to_2x3x4": ((2, 1, 1), (2, 3, 4)),
        "3x1_to_2x3x4": ((3, 1), (2, 3, 4)),
        "1_to_2x3": ((1,), (2, 3)),
        "2x5_to_2x5": ((2, 5), (2, 5)),
    }
    for seed, (name, (source, target)) in enumerate(shapes.items(), start=1223):
        report_gradients(report, name, lambda a, target=target: ndl.broadcast_to(a, target),
                         draw(seed, (source, NORMAL)), seed + 7000)


@case(part="backward", points=1.5, **FLOAT64)
def reshape():
    import needle as ndl

    shapes = {
        "5x6_to_3x10": ((5, 6), (3, 10)),
        "30_to_2x3x5": ((30,), (2, 3, 5)),
        "6x4_to_2xminus1x3": ((6, 4), (2, -1, 3)),
        "3x1x5_to_15": ((3, 1, 5), (15,)),
    }
    for seed, (name, (source, target)) in enumerate(shapes.items(), start=1230):
        report_gradients(report, name, lambda a, target=target: ndl.reshape(a, target),
                         draw(seed, (source, NORMAL)), seed + 7000)


@case(part="backward", points=1.5, **FLOAT64)
def transpose_last_two_axes_by_default():
    import needle as ndl

    for seed, shape in enumerate([(5, 2), (3, 2, 4), (2, 2, 3, 5)], start=1235):
        report_gradients(report, "x".join(map(str, shape)), ndl.transpose, draw(seed, (shape, NORMAL)), seed + 7000)


@case(part="backward", points=1.5, **FLOAT64)
def transpose_named_axes():
    import needle as ndl

    x = draw(1238, ((3, 2, 4), NORMAL))
    report_gradients(report, "axes_0_1", lambda a: ndl.transpose(a, (0, 1)), x, 6238)
    report_gradients(report, "axes_2_0", lambda a: ndl.transpose(a, (2, 0)), x, 6239)
    report_gradients(report, "axes_0_3", lambda a: ndl.transpose(a, (0, 3)), draw(1239, ((2, 3, 2, 5), NORMAL)), 6240)


@case(part="backward", points=1.5, **FLOAT64)
def log_and_exp():
    import needle as ndl

    positive, normal = draw(1240, ((4, 5, 2), POSITIVE), ((3, 6), NORMAL))
    report_gradients(report, "log", ndl.log, [positive], 6241)
    report_gradients(report, "exp", ndl.exp, [normal], 6242)


@case(part="backward", points=1.5, **FLOAT64)
def relu():
    import needle as ndl

    report_gradients(report, "2d", ndl.relu, draw(1241, ((5, 6), AWAY)), 6243)
    report_gradients(report, "3d", ndl.relu, draw(1242, ((2, 4, 3), AWAY)), 6244)


@case(part="backward", points=1.5, **FLOAT64)
def composites_of_several_ops():
    # log-sum-exp of a linear map, and a row-wise softmax written with broadcast_to and divide
    import needle as ndl

    def log_sum_exp_of_linear(x, w):
        return ndl.log(ndl.exp(x @ w).sum(axes=(1,)))

    def row_softmax(z):
        e = ndl.exp(z)
        totals = ndl.broadcast_to(ndl.reshape(ndl.summation(e, (1,)), (z.shape[0], 1)), z.shape)
        return e / totals

    report_gradients(report, "log_sum_exp_of_linear", log_sum_exp_of_linear,
                     draw(1243, ((6, 4), NORMAL), ((4, 3), NORMAL)), 6245)
    report_gradients(report, "row_softmax", row_softmax, draw(1244, ((5, 4), NORMAL)), 6246)
