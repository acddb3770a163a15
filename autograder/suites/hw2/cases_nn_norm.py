"""hw2 nn_norm: BatchNorm1d (training, gradient, running statistics, eval), LayerNorm1d, Dropout.

Inputs are float32, like the layers' parameters. They are well conditioned for a variance
in float32: features with a large mean have a spread of the same order, and features with a
small spread are centred near 0, so computing the variance as E[x^2] - E[x]^2 or as
E[(x - mean)^2], or dividing by sqrt(var + eps) or multiplying by its reciprocal, changes
the outputs by a few 1e-6 at most; rtol = atol = 1e-4 passes all of these. Real bugs are
far larger: dividing by N - 1 changes a variance by 9% or more (batches of 3 to 12 rows),
eps outside the square root changes the narrowest feature by 0.2%, and a momentum used the
wrong way round changes the first update by a factor of 4 to 9.

BatchNorm1d's running statistics are graded after batches of several sizes, then used in
eval mode (which must leave them alone), and they must not keep the graph alive: after 100
training steps, as many needle Values are alive as after 5.

Outputs, gradients and running statistics are reported as float64 (their dtype is not what
is graded). Gradients are those of sum(out * W) for a fixed random W (`out.backward(W)`).
Dropout's mask is `init.randb(*x.shape, p=1 - p)`, one draw from numpy's global generator
per call, so it is fixed by the seed set just before the call.
"""
import numpy as np

from dlsys_harness import case, report
from _hw2 import backward_with_weight, f64, live_values, normal

NORM = dict(rtol=1e-4, atol=1e-4, timeout=10)


def _features(seed, rows, scales, shifts):
    """float32 (rows, len(scales)) with column j ~ shifts[j] + scales[j] * N(0, 1)."""
    rng = np.random.default_rng(seed)
    x = np.asarray(shifts) + np.asarray(scales) * rng.standard_normal((rows, len(scales)))
    return x.astype(np.float32)


SCALES = [1.0, 0.05, 2.5, 0.6, 1.5, 0.3]
SHIFTS = [2.0, 0.01, -3.0, 0.4, 1.0, -0.2]


def _affine(nn, dim, seed):
    """A weight and a bias that are not ones and zeros, as Parameters of shape (dim,)."""
    rng = np.random.default_rng(seed)
    weight = nn.Parameter((0.5 + rng.random(dim)).astype(np.float32))
    bias = nn.Parameter(rng.standard_normal(dim).astype(np.float32))
    return weight, bias


@case(part="nn_norm", points=2.5, **NORM)
def batchnorm_training_forward():
    import needle as ndl
    import needle.nn as nn

    x = ndl.Tensor(_features(2601, 10, SCALES, SHIFTS))
    bn = nn.BatchNorm1d(6)
    report("default_affine", f64(bn(x)))
    bn.weight, bn.bias = _affine(nn, 6, 2602)
    report("affine", f64(bn(x)))
    small_eps = nn.BatchNorm1d(6, eps=0.05)  # eps under the square root, next to the variance
    report("eps_0.05", f64(small_eps(x)))


@case(part="nn_norm", points=2.5, **NORM)
def batchnorm_training_backward():
    import needle as ndl
    import needle.nn as nn

    x = ndl.Tensor(_features(2611, 9, SCALES, SHIFTS))
    bn = nn.BatchNorm1d(6)
    bn.weight, bn.bias = _affine(nn, 6, 2612)
    backward_with_weight(bn(x), 7611)
    report("x_grad", f64(x.grad))
    report("weight_grad", f64(bn.weight.grad))
    report("bias_grad", f64(bn.bias.grad))


def _run_batches(bn, seed, sizes):
    """Forward one batch of each size in training mode; return the running stats after the first."""
    import needle as ndl

    after_first = None
    for i, rows in enumerate(sizes):
        bn(ndl.Tensor(_features(seed + i, rows, SCALES[:5], SHIFTS[:5])))
        if after_first is None:
            after_first = f64(bn.running_mean), f64(bn.running_var)
    return after_first


@case(part="nn_norm", points=2.5, **NORM)
def batchnorm_running_statistics():
    import needle.nn as nn

    bn = nn.BatchNorm1d(5, momentum=0.2)
    report("initial_mean", f64(bn.running_mean))
    report("initial_var", f64(bn.running_var))
    first_mean, first_var = _run_batches(bn, 2621, [8, 3, 12, 6])
    report("mean_after_1", first_mean)
    report("var_after_1", first_var)
    report("mean_after_4", f64(bn.running_mean))
    report("var_after_4", f64(bn.running_var))
    default = nn.BatchNorm1d(5)  # momentum 0.1
    _run_batches(default, 2631, [7, 4])
    report("default_momentum_mean", f64(default.running_mean))
    report("default_momentum_var", f64(default.running_var))


@case(part="nn_norm", points=2, **NORM)
def batchnorm_eval_uses_running_statistics():
    import needle as ndl
    import needle.nn as nn

    bn = nn.BatchNorm1d(5, momentum=0.3)
    bn.weight, bn.bias = _affine(nn, 5, 2641)
    _run_batches(bn, 2642, [6, 9, 5])
    bn.eval()
    x = ndl.Tensor(_features(2651, 4, SCALES[:5], SHIFTS[:5]))
    report("eval_out", f64(bn(x)))
    report("one_row_eval_out", f64(bn(ndl.Tensor(_features(2652, 1, SCALES[:5], SHIFTS[:5])))))
    # evaluation leaves the running statistics alone
    report("mean_after_eval", f64(bn.running_mean))
    report("var_after_eval", f64(bn.running_var))
    bn.train()
    report("train_again_out", f64(bn(x)))


@case(part="nn_norm", points=1, rtol=0.0, atol=0.0, timeout=20)
def batchnorm_running_statistics_keep_no_graph():
    # running statistics are numbers, not graph nodes: the number of live Values stays flat
    import needle as ndl
    import needle.nn as nn

    bn = nn.BatchNorm1d(4)
    x = ndl.Tensor(_features(2661, 6, SCALES[:4], SHIFTS[:4]))
    counts = {}
    for step in range(1, 101):
        bn(x).sum().backward()
        if step in (5, 100):
            counts[step] = live_values()
    report("values_added_from_step_5_to_100", np.int64(counts[100] - counts[5]))


@case(part="nn_norm", points=2.5, **NORM)
def layernorm_forward_and_backward():
    import needle as ndl
    import needle.nn as nn

    rows = _features(2671, 6, SCALES, SHIFTS).T  # (6 samples, 6 features): each row well conditioned
    x = ndl.Tensor(np.ascontiguousarray(np.concatenate([rows, 0.5 * rows[:1] + 1.0]).astype(np.float32)))
    ln = nn.LayerNorm1d(6)
    report("default_affine", f64(ln(x)))
    ln.weight, ln.bias = _affine(nn, 6, 2672)
    out = ln(x)
    report("affine", f64(out))
    backward_with_weight(out, 7671)
    report("x_grad", f64(x.grad))
    report("weight_grad", f64(ln.weight.grad))
    report("bias_grad", f64(ln.bias.grad))
    wide = nn.LayerNorm1d(9, eps=0.1)
    report("eps_0.1", f64(wide(ndl.Tensor(normal(2673, 3, 9)))))


@case(part="nn_norm", points=2, rtol=1e-6, atol=1e-6, timeout=10)
def dropout_training_and_eval():
    import needle as ndl
    import needle.nn as nn

    x = ndl.Tensor(normal(2681, 6, 8, shift=1.0))
    drop = nn.Dropout(0.3)
    np.random.seed(2682)
    first = drop(x)
    report("train_first_call", f64(first))
    report("train_second_call", f64(drop(x)))  # a fresh mask each call
    backward_with_weight(first, 7681)
    report("x_grad", f64(x.grad))
    np.random.seed(2683)
    report("p_0.75", f64(nn.Dropout(0.75)(ndl.Tensor(normal(2684, 5, 4)))))
    drop.eval()
    report("eval", f64(drop(x)))
