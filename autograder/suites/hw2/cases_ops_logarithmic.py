"""hw2 ops_logarithmic: LogSoftmax (over the last axis) and LogSumExp (over any axes), forward
and gradient, on shapes and axes the public tests never use.

Inputs are float64, where the point is the formula: equally correct ways of writing it
(z - max - log(sum) or z - (max + log(sum)); out_grad - softmax * sum(out_grad) or the
same with the softmax written as exp(z - lse)) differ by ~1e-13 even on values near 1000,
well inside the tolerance. Gradients are those of sum(op(z) * W) for a fixed random W,
through `out.backward(W)`, so every output element counts, each differently. The large
values (around +-1000, and slices mixing 0 with 900) overflow or underflow exp unless the
maximum is subtracted first; both forward and gradient must stay finite and right.
"""
import numpy as np

from dlsys_harness import case, report
from _hw2 import f64

FLOAT64 = dict(rtol=1e-7, atol=1e-10, timeout=10)


def _draw(seed, *shape, scale=2.0):
    return scale * np.random.default_rng(seed).standard_normal(shape)


def _gradient(fn, z, seed):
    import needle as ndl

    x = ndl.Tensor(z)
    out = fn(x)
    out.backward(ndl.Tensor(np.random.default_rng(seed).standard_normal(out.shape), requires_grad=False))
    return f64(x.grad)


def _large(seed):
    """A (4, 6) float64 array whose rows sit near 1000, near -1000, mix 0 with 900, and are equal."""
    rng = np.random.default_rng(seed)
    z = np.empty((4, 6))
    z[0] = 1000.0 + rng.standard_normal(6)
    z[1] = -1000.0 + 3.0 * rng.standard_normal(6)
    z[2] = np.where(rng.random(6) < 0.5, 0.0, 900.0) + rng.standard_normal(6)
    z[3] = 750.0
    return z


@case(part="ops_logarithmic", points=2, **FLOAT64)
def logsoftmax_forward():
    import needle as ndl

    report("9x6", ndl.logsoftmax(ndl.Tensor(_draw(2401, 9, 6))).numpy())
    report("1x11", ndl.logsoftmax(ndl.Tensor(_draw(2402, 1, 11))).numpy())
    # over the last axis of a 3-d tensor, one slice at a time (the docstring)
    report("2x4x5", ndl.logsoftmax(ndl.Tensor(_draw(2403, 2, 4, 5))).numpy())


@case(part="ops_logarithmic", points=2, **FLOAT64)
def logsoftmax_gradient():
    import needle as ndl

    report("9x6", _gradient(ndl.logsoftmax, _draw(2411, 9, 6), 7411))
    report("3x8", _gradient(ndl.logsoftmax, _draw(2412, 3, 8, scale=4.0), 7412))
    report("2x4x5", _gradient(ndl.logsoftmax, _draw(2413, 2, 4, 5), 7413))


@case(part="ops_logarithmic", points=2, **FLOAT64)
def logsumexp_forward_over_several_axes():
    import needle as ndl

    z = ndl.Tensor(_draw(2421, 3, 5, 4))
    report("axes_none", ndl.logsumexp(z).numpy())
    report("axes_1", ndl.logsumexp(z, axes=(1,)).numpy())
    report("axes_0_2", ndl.logsumexp(z, axes=(0, 2)).numpy())
    report("axes_2_0", ndl.logsumexp(z, axes=(2, 0)).numpy())
    report("axes_all", ndl.logsumexp(z, axes=(0, 1, 2)).numpy())
    report("int_axis_0", ndl.logsumexp(ndl.Tensor(_draw(2422, 7, 2)), axes=0).numpy())
    report("2d_axes_1", ndl.logsumexp(ndl.Tensor(_draw(2423, 6, 9)), axes=(1,)).numpy())


@case(part="ops_logarithmic", points=2, **FLOAT64)
def logsumexp_gradient_over_several_axes():
    import needle as ndl

    z = _draw(2431, 3, 5, 4)
    report("axes_none", _gradient(lambda t: ndl.logsumexp(t), z, 7431))
    report("axes_1", _gradient(lambda t: ndl.logsumexp(t, axes=(1,)), z, 7432))
    report("axes_0_2", _gradient(lambda t: ndl.logsumexp(t, axes=(0, 2)), z, 7433))
    report("axes_2", _gradient(lambda t: ndl.logsumexp(t, axes=(2,)), z, 7434))
    report("2d_axes_0", _gradient(lambda t: ndl.logsumexp(t, axes=(0,)), _draw(2432, 6, 9), 7435))


@case(part="ops_logarithmic", points=2, **FLOAT64)
def large_values_stay_finite():
    import needle as ndl

    z = _large(2441)
    report("logsumexp_rows", ndl.logsumexp(ndl.Tensor(z), axes=(1,)).numpy())
    report("logsumexp_all", ndl.logsumexp(ndl.Tensor(z)).numpy())
    report("logsumexp_rows_grad", _gradient(lambda t: ndl.logsumexp(t, axes=(1,)), z, 7441))
    report("logsumexp_columns_grad", _gradient(lambda t: ndl.logsumexp(t, axes=(0,)), z, 7442))
    report("logsoftmax", ndl.logsoftmax(ndl.Tensor(z)).numpy())
    report("logsoftmax_grad", _gradient(ndl.logsoftmax, z, 7443))
