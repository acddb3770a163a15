"""Inputs and gradients for hw1's op cases.

`draw` makes float64 inputs of a kind that suits the op (positive for log and the base of
a power, away from zero for division, ReLU's kink and negative powers). `gradients`
differentiates `sum(fn(*inputs) * W)` for a fixed random weight `W` of the output's shape,
by calling `out.backward(W)`: every output element counts, each differently, and only the
op's own gradient (plus the student's backward pass) is involved, not Summation's.
Needle is imported inside the functions: this module loads before any student code.
"""
import numpy as np

NORMAL, POSITIVE, AWAY = "normal", "positive", "away from zero"


def draw(seed, *specs):
    """One float64 array per (shape, kind) spec, from a generator seeded with `seed`."""
    rng = np.random.default_rng(seed)
    arrays = []
    for shape, kind in specs:
        if kind == NORMAL:
            arrays.append(rng.standard_normal(shape))
        elif kind == POSITIVE:
            arrays.append(rng.uniform(0.5, 2.5, shape))
        elif kind == AWAY:
            arrays.append(rng.choice([-1.0, 1.0], shape) * rng.uniform(0.4, 2.0, shape))
        else:
            raise ValueError(f"unknown kind of input {kind!r}")
    return arrays


def output_weight(seed, shape):
    """The fixed float64 weight W of an output of `shape` (a 0-d array for a scalar output)."""
    return np.asarray(np.random.default_rng(seed).standard_normal(shape), dtype=np.float64)


def gradients(fn, arrays, seed):
    """Needle's gradients of sum(fn(*inputs) * W) with respect to each input, as numpy arrays."""
    import needle as ndl

    tensors = [ndl.Tensor(a) for a in arrays]
    out = fn(*tensors)
    out.backward(ndl.Tensor(output_weight(seed, out.shape), requires_grad=False))
    return [t.grad.numpy() for t in tensors]


def report_gradients(report, name, fn, arrays, seed):
    """Report the gradient of each input as `name.0`, `name.1`, ..."""
    for position, grad in enumerate(gradients(fn, arrays, seed)):
        report(f"{name}.{position}", grad)
