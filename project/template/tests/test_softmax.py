"""Test against independent oracles: numpy for values, finite differences for gradients."""
from pathlib import Path

import numpy as np
import pytest
from myproject._needle import ndl
from myproject.softmax import softmax


def numpy_softmax(x):
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def test_values_match_numpy_even_for_huge_logits():
    x = np.random.default_rng(0).normal(size=(5, 7)).astype(np.float32) * 50 + 1000
    got = softmax(ndl.Tensor(x, device=ndl.cpu())).numpy()
    np.testing.assert_allclose(got, numpy_softmax(x.astype(np.float64)), rtol=1e-5, atol=1e-6)


def test_gradient_matches_finite_differences():
    rng = np.random.default_rng(1)
    x, weights = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    tensor = ndl.Tensor(x.astype(np.float32), device=ndl.cpu())
    (softmax(tensor) * ndl.Tensor(weights.astype(np.float32), device=ndl.cpu())).sum().backward()

    def objective(values):
        return float((numpy_softmax(values) * weights).sum())

    numeric, eps = np.zeros_like(x), 1e-6
    for index in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[index] = eps
        numeric[index] = (objective(x + step) - objective(x - step)) / (2 * eps)
    np.testing.assert_allclose(tensor.grad.numpy(), numeric, atol=1e-4)


def test_wrong_shape_is_a_clear_error():
    with pytest.raises(ValueError, match="expected a 2-D Tensor"):
        softmax(ndl.Tensor(np.zeros(3, dtype=np.float32), device=ndl.cpu()))


def test_loader_is_the_examples():
    """One loader, two copies (a team copies the template out): they must not drift apart."""
    project = Path(__file__).resolve().parents[2]
    assert (project / "template/myproject/_needle.py").read_text() == \
        (project / "example/chargpt/_needle.py").read_text()
