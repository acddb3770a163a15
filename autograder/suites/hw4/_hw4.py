"""Helpers for hw4's cases: the device, fixed inputs, Tensors on it, values as the grader compares them.

Only the standard library and numpy at import time: this module loads with the suite,
before any student code. Needle is imported inside the functions that need it.

Every case takes the device name the harness passes ("cpu": nd.cpu(), the student's C++
backend, is what hw4 is graded on) and makes its Tensors there. Inputs come from generators
of their own (`normal`, `uniform`), never from numpy's global one; the global one is seeded
(`np.random.seed`) right before a layer is built or a dropout mask drawn, because that is
where needle draws, in the course's order, so seeded parameters are part of what is graded.

Cases that grade a layer's computation set its parameters to values of their own
(`set_parameter`, by the names the docstrings give), so a wrong initializer costs the
initializer's case only. Outputs and gradients are reported as float64 (`f64`): their values
are graded, not their dtype. Gradients are those of sum(out * W) for a fixed random W
(`backward_with_weight`), so every output element counts differently.
"""
import numpy as np

from _data import normal, uniform  # noqa: F401 (the cases import them from here)
from _values import f64, scalar  # noqa: F401


def device(name):
    """The needle device a case's device name stands for: "cpu" is nd.cpu(), "cuda" nd.cuda().

    A backend that is not there fails the case with the reason."""
    import needle as ndl

    if name not in ("cpu", "cuda"):
        raise ValueError(f"hw4 cases run on 'cpu' or 'cuda', not {name!r}")
    dev = ndl.cpu() if name == "cpu" else ndl.cuda()
    if not dev.enabled():
        raise RuntimeError(f"device {name}() is not usable: its backend did not build or no GPU answered")
    return dev


# --- inputs ----------------------------------------------------------------------------



def integers(seed, high, *shape):
    """Integers in [0, high) as float32 (word ids and labels, as needle's Tensors hold them)."""
    return np.random.default_rng(seed).integers(0, high, shape).astype(np.float32)


# --- Tensors on the device -------------------------------------------------------------

def tensor(array, dev, requires_grad=True):
    """A float32 needle Tensor on `dev` holding a copy of the numpy `array`."""
    import needle as ndl

    return ndl.Tensor(np.asarray(array, dtype=np.float32), device=dev, dtype="float32", requires_grad=requires_grad)


def set_parameter(module, name, array):
    """Give `module.name` the float32 values of `array` as a new Parameter on the module's device."""
    import needle.nn as nn

    old = getattr(module, name)
    if tuple(old.shape) != tuple(array.shape):
        raise ValueError(f"{type(module).__name__}.{name} has shape {tuple(old.shape)}, expected {array.shape}")
    setattr(module, name, nn.Parameter(np.asarray(array, dtype=np.float32), device=old.device, dtype="float32"))


def backward_with_weight(out, seed):
    """out.backward(W) for a fixed random float32 W of out's shape, on out's device."""
    import needle as ndl

    weight = normal(seed, *out.shape)
    out.backward(ndl.Tensor(weight, device=out.device, dtype="float32", requires_grad=False))


# --- values as reported ----------------------------------------------------------------





def report_fingerprints(prefix, arrays):
    """Report a set of arrays (a model's parameters, or their gradients) by what does not depend
    on the order a model lists them in or the names it gives them: their shapes, and their sums,
    norms and dot products with a fixed random vector, each sorted on its own (near-equal values
    that trade places stay within tolerance; sorting rows by one column would not)."""
    from dlsys_harness import report

    shapes, sums, norms, projections = [], [], [], []
    for array in arrays:
        values = f64(array)
        if values.ndim > 4:
            raise ValueError(f"report_fingerprints: arrays of at most 4 dimensions, got shape {values.shape}")
        shapes.append([values.ndim, *values.shape, *[0] * (4 - values.ndim)])
        values = values.ravel()
        sums.append(values.sum())
        norms.append(np.sqrt(values @ values))
        projections.append(values @ np.random.default_rng(4096).standard_normal(values.size))
    report(f"{prefix}_shapes", np.array(sorted(shapes), dtype=np.int64).reshape(len(shapes), 5))
    report(f"{prefix}_sums", np.sort(np.array(sums, dtype=np.float64)))
    report(f"{prefix}_norms", np.sort(np.array(norms, dtype=np.float64)))
    report(f"{prefix}_projections", np.sort(np.array(projections, dtype=np.float64)))
