"""The one numerical gradient check hw4's op tests use, on any device.

`gradcheck(fn, *arrays, device=...)` differentiates the scalar `J = sum(fn(*x) * W)` for a fixed
random weight `W` of the output's shape (so every output element counts, each differently):
once with needle's `backward(W)` and once with central differences, input element by input
element. A mismatch fails with the argument, the index and both values.

Why float32 and a large step. hw2's check runs needle in float64 with eps = 1e-6; here NDArray
holds float32 only, on every device, and the point of the check is to run the op *on that
device* (a float64 objective through the numpy backend would test another code path), so the
differences must be taken in float32. A float32 output carries a relative rounding error of
about 1e-7, so a step of 1e-6 would drown the difference in rounding. With eps = 1e-2 the
rounding error of the quotient is about 1e-7 * |f| / eps = 1e-5 (only outputs that depend on the
moved element change; the others are bit-identical in both evaluations and cancel exactly), and
the truncation error of central differences is eps^2 / 6 * |f'''|, also about 1e-5 for the
smooth inputs the tests choose (away from kinks and poles). Tolerances of rtol = 1e-2, atol =
1e-3 leave a wide margin above both (the worst seen is 3% of the allowance), while a wrong
gradient (a missing factor, a wrong axis, a missing crop) is off by far more. Two details keep
the estimate honest: `J` is summed in float64 from the float32 outputs, and the step is divided
by the distance between the two float32 inputs actually evaluated (x + eps rounds in float32).
"""
import numpy as np
import pytest

import needle as ndl


def gradcheck(fn, *arrays, device, eps=1e-2, rtol=1e-2, atol=1e-3, seed=0):
    """Check needle's gradient of `fn` (Tensors -> Tensor) at `arrays` on `device` against
    central differences.

    Also checks that every gradient has its argument's shape and lives on `device`.
    Returns the needle gradients (numpy arrays), so callers can compare them with other oracles.
    """
    arrays = [np.asarray(a, dtype=np.float32) for a in arrays]
    tensors = [ndl.Tensor(a, device=device) for a in arrays]
    out = fn(*tensors)
    weight = np.random.default_rng(seed).standard_normal(out.shape)
    out.backward(ndl.Tensor(weight.astype(np.float32), device=device))

    def objective(values):
        result = fn(*[ndl.Tensor(v, device=device, requires_grad=False) for v in values])
        return float(np.sum(result.numpy().astype(np.float64) * weight))

    gradients = []
    for position, (array, tensor) in enumerate(zip(arrays, tensors)):
        if tensor.grad is None:
            pytest.fail(f"argument {position}: no gradient was computed")
        if tensor.grad.device != device:
            pytest.fail(f"argument {position}: gradient is on {tensor.grad.device}, the argument on {device}")
        analytic = tensor.grad.numpy()
        if analytic.shape != array.shape:
            pytest.fail(f"argument {position}: gradient has shape {analytic.shape}, the argument has {array.shape}")
        numeric = np.zeros(array.shape, dtype=np.float64)
        for index in np.ndindex(array.shape):
            shifted = [a.copy() for a in arrays]
            shifted[position][index] = high = np.float32(array[index] + eps)
            plus = objective(shifted)
            shifted[position][index] = low = np.float32(array[index] - eps)
            minus = objective(shifted)
            numeric[index] = (plus - minus) / (float(high) - float(low))
        wrong = ~np.isclose(analytic, numeric, rtol=rtol, atol=atol)
        if wrong.any():
            index = tuple(int(i) for i in np.argwhere(wrong)[0])
            pytest.fail(
                f"argument {position}, index {index}: needle's gradient is {analytic[index]!r}, "
                f"central differences give {numeric[index]!r} ({int(wrong.sum())} of {wrong.size} entries differ)"
            )
        gradients.append(analytic)
    return gradients
