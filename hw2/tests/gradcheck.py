"""The one numerical gradient check every op test uses.

`gradcheck(fn, *arrays)` differentiates the scalar `sum(fn(*x) * W)` for a fixed random
weight `W` of the output's shape (so every output element counts, each differently): once
with needle's `backward(W)` and once with central differences, input element by input
element. A mismatch fails with the argument, the index and both values.
"""
import numpy as np
import pytest

import needle as ndl


def gradcheck(fn, *arrays, eps=1e-6, rtol=1e-5, atol=1e-6, seed=0):
    """Check needle's gradient of `fn` (Tensors -> Tensor) at `arrays` against central differences.

    Returns the needle gradients (numpy arrays), so callers can compare them with other oracles.
    """
    arrays = [np.array(a, dtype=np.float64) for a in arrays]
    tensors = [ndl.Tensor(a) for a in arrays]
    out = fn(*tensors)
    weight = np.random.default_rng(seed).standard_normal(out.shape)
    out.backward(ndl.Tensor(weight))

    def objective(values):
        return float(np.sum(fn(*[ndl.Tensor(v) for v in values]).numpy() * weight))

    gradients = []
    for position, (array, tensor) in enumerate(zip(arrays, tensors)):
        if tensor.grad is None:
            pytest.fail(f"argument {position}: no gradient was computed")
        analytic = tensor.grad.numpy()
        if analytic.shape != array.shape:
            pytest.fail(f"argument {position}: gradient has shape {analytic.shape}, the argument has {array.shape}")
        numeric = np.zeros_like(array)
        for index in np.ndindex(array.shape):
            shifted = [a.copy() for a in arrays]
            shifted[position][index] = array[index] + eps
            plus = objective(shifted)
            shifted[position][index] = array[index] - eps
            minus = objective(shifted)
            numeric[index] = (plus - minus) / (2 * eps)
        wrong = ~np.isclose(analytic, numeric, rtol=rtol, atol=atol)
        if wrong.any():
            index = tuple(int(i) for i in np.argwhere(wrong)[0])
            pytest.fail(
                f"argument {position}, index {index}: needle's gradient is {analytic[index]!r}, "
                f"central differences give {numeric[index]!r} ({int(wrong.sum())} of {wrong.size} entries differ)"
            )
        gradients.append(analytic)
    return gradients
