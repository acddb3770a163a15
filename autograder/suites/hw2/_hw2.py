"""Helpers for hw2's cases: fixed inputs, values as the grader compares them, graph sizes.

Only the standard library and numpy at import time: this module loads with the suite,
before any student code. Needle is imported inside the functions that need it.

Values whose dtype hw2 does not fix (module outputs, gradients, running statistics,
losses, batches) are reported as float64 through `f64`, so that only their values are
graded; values whose dtype it fixes (initializers, parameters, MNIST images) are
reported as returned.
"""
import gc

import numpy as np

from _data import normal  # noqa: F401 (the cases import them from here)
from _values import f64, scalar  # noqa: F401


def labels(seed, count, classes):
    """uint8 labels in [0, classes), from a generator of their own."""
    return np.random.default_rng(seed).integers(0, classes, count).astype(np.uint8)


def shapes(params):
    """The shapes of a list of parameters as an int64 array of rows (ndim, d0, d1), 0-padded."""
    rows = []
    for p in params:
        shape = tuple(p.shape)
        if len(shape) > 2:
            raise ValueError(f"parameter of shape {shape}: only 1-d and 2-d parameters are expected")
        rows.append([len(shape), *shape, *[0] * (2 - len(shape))])
    return np.array(rows, dtype=np.int64).reshape(len(rows), 3)


def live_values():
    """How many needle Values are alive now, after collecting garbage (reference cycles too)."""
    import needle

    gc.collect()
    return needle.autograd.TENSOR_COUNTER


def backward_with_weight(out, seed):
    """out.backward(W) for a fixed random float32 W of out's shape: every output counts differently."""
    import needle as ndl

    weight = normal(seed, *out.shape, dtype=out.numpy().dtype)
    out.backward(ndl.Tensor(weight, requires_grad=False))


def digit_images(prototype_seed, seed, count, classes, rows=28, cols=28, noise=60.0):
    """uint8 images around one random prototype per class (learnable, unlike pure noise), and
    their uint8 labels. Sets drawn with the same `prototype_seed` share their classes' prototypes.
    Pixels 0 and 255 both occur, so /255 and min-max scaling agree."""
    prototypes = np.random.default_rng(prototype_seed).uniform(0, 255, (classes, rows, cols))
    rng = np.random.default_rng(seed)
    y = rng.integers(0, classes, count).astype(np.uint8)
    images = np.clip(prototypes[y] + noise * rng.standard_normal((count, rows, cols)), 0, 255)
    images = np.rint(images).astype(np.uint8)
    images[0, 0, 0], images[-1, -1, -1] = 0, 255
    return images, y
