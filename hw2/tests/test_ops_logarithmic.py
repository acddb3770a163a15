"""logsumexp (over None, an int, a tuple of axes, negative axes; 1-D to 3-D inputs) and
logsoftmax (over the last axis): forward against the numerically stable numpy formula
(log(sum(exp(z - max))) + max), gradient against central differences (gradcheck), both against
torch.logsumexp / torch.log_softmax, and stability on logits around +-1e3, where exp overflows
to inf or underflows to 0 unless the maximum of each slice is subtracted first."""
import zlib

import numpy as np
import pytest

import needle as ndl
from gradcheck import gradcheck

pytestmark = pytest.mark.hw2_ops_logarithmic


def sample(shape, key, scale=3.0):
    rng = np.random.default_rng(zlib.crc32(repr(key).encode()))
    return scale * rng.standard_normal(shape)


def numpy_logsumexp(a, axes):
    peak = np.max(a, axis=axes, keepdims=True)
    return np.log(np.sum(np.exp(a - peak), axis=axes)) + np.squeeze(peak, axis=axes)


def numpy_softmax_over(a, axes):
    """d logsumexp / da: exp(a - logsumexp(a)) with the reduced axes kept."""
    peak = np.max(a, axis=axes, keepdims=True)
    e = np.exp(a - peak)
    return e / np.sum(e, axis=axes, keepdims=True)


def numpy_logsoftmax(a):
    peak = np.max(a, axis=-1, keepdims=True)
    return a - peak - np.log(np.sum(np.exp(a - peak), axis=-1, keepdims=True))


def torch_dims(axes, ndim):
    return tuple(range(ndim)) if axes is None else axes


LOGSUMEXP_CASES = [
    ((5,), None),
    ((5,), 0),
    ((5,), -1),
    ((5,), (0,)),
    ((3, 4), None),
    ((3, 4), 0),
    ((3, 4), 1),
    ((3, 4), -1),
    ((3, 4), (1,)),
    ((3, 4), (0, 1)),
    ((3, 4), (-2,)),
    ((2, 3, 4), None),
    ((2, 3, 4), 0),
    ((2, 3, 4), 1),
    ((2, 3, 4), -1),
    ((2, 3, 4), (0, 2)),
    ((2, 3, 4), (-1, -2)),
    ((2, 3, 4), (0, 1, 2)),
    ((2, 1, 3), (1,)),
]
LSE_IDS = [f"{shape}-axes={axes}" for shape, axes in LOGSUMEXP_CASES]
LOGSOFTMAX_SHAPES = [(5,), (1, 1), (3, 4), (4, 7), (2, 3, 4)]


# --- logsumexp ----------------------------------------------------------------------


@pytest.mark.parametrize("shape, axes", LOGSUMEXP_CASES, ids=LSE_IDS)
def test_logsumexp_forward_matches_numpy(shape, axes):
    a = sample(shape, ("lse", shape, axes))
    out = ndl.logsumexp(ndl.Tensor(a), axes=axes)
    expected = numpy_logsumexp(a, axes)
    assert out.shape == np.shape(expected)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12, atol=1e-12)
    # and the textbook formula, which is safe at this scale
    np.testing.assert_allclose(out.numpy(), np.log(np.sum(np.exp(a), axis=axes)), rtol=1e-10)


@pytest.mark.parametrize("shape, axes", LOGSUMEXP_CASES, ids=LSE_IDS)
def test_logsumexp_gradient_matches_central_differences(shape, axes):
    a = sample(shape, ("lse-grad", shape, axes))
    (grad,) = gradcheck(lambda x: ndl.logsumexp(x, axes=axes), a)
    # with weight 1 everywhere the gradient is the softmax over the reduced axes
    x = ndl.Tensor(a)
    ndl.logsumexp(x, axes=axes).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), numpy_softmax_over(a, axes), rtol=1e-10, atol=1e-12)
    assert grad.shape == a.shape


@pytest.mark.parametrize("shape, axes", LOGSUMEXP_CASES, ids=LSE_IDS)
def test_logsumexp_forward_and_gradient_match_torch(shape, axes, torch):
    a = sample(shape, ("lse-torch", shape, axes))
    x = ndl.Tensor(a)
    out = ndl.logsumexp(x, axes=axes)
    weight = np.random.default_rng(3).standard_normal(out.shape)
    out.backward(ndl.Tensor(weight))

    t = torch.tensor(a, requires_grad=True)
    t_out = torch.logsumexp(t, dim=torch_dims(axes, len(shape)))
    (t_out * torch.tensor(weight)).sum().backward()
    np.testing.assert_allclose(out.numpy(), t_out.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("offset", [1e3, -1e3])
@pytest.mark.parametrize("shape, axes", [((6,), None), ((3, 4), 1), ((3, 4), 0), ((2, 3, 4), (0, 2)), ((2, 3, 4), None)])
def test_logsumexp_is_stable_for_logits_around_1e3(shape, axes, offset):
    a = sample(shape, ("lse-big", shape, axes), scale=2.0) + offset
    x = ndl.Tensor(a)
    out = ndl.logsumexp(x, axes=axes)
    assert np.all(np.isfinite(out.numpy()))
    np.testing.assert_allclose(out.numpy(), numpy_logsumexp(a, axes), rtol=1e-12)
    out.sum().backward()
    assert np.all(np.isfinite(x.grad.numpy()))
    np.testing.assert_allclose(x.grad.numpy(), numpy_softmax_over(a, axes), rtol=1e-9, atol=1e-12)


def test_logsumexp_takes_the_maximum_of_each_slice_separately():
    # one row near +1e3, one near -1e3: a single global maximum would underflow the second row
    a = np.array([[1000.0, 1001.0, 999.0], [-1000.0, -1001.0, -999.0]])
    x = ndl.Tensor(a)
    out = ndl.logsumexp(x, axes=(1,))
    np.testing.assert_allclose(out.numpy(), numpy_logsumexp(a, 1), rtol=1e-12)
    out.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), numpy_softmax_over(a, 1), rtol=1e-9)


def test_logsumexp_gradient_matches_torch_around_1e3(torch):
    a = sample((3, 5), "lse-big-torch") + 1e3
    x = ndl.Tensor(a)
    out = ndl.logsumexp(x, axes=(1,))
    weight = np.array([0.5, -2.0, 1.5])
    out.backward(ndl.Tensor(weight))
    t = torch.tensor(a, requires_grad=True)
    (torch.logsumexp(t, dim=1) * torch.tensor(weight)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-9, atol=1e-12)


def test_logsumexp_keeps_float32_and_stays_stable_in_it():
    a = (sample((4, 6), "lse-f32") + 500.0).astype(np.float32)
    x = ndl.Tensor(a)
    out = ndl.logsumexp(x, axes=(1,))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.numpy(), numpy_logsumexp(a.astype(np.float64), 1), rtol=1e-6)
    out.sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad.numpy(), numpy_softmax_over(a.astype(np.float64), 1), rtol=1e-4, atol=1e-6)


def test_logsumexp_gradient_flows_through_a_larger_graph():
    def fn(a, b):
        return ndl.logsumexp(a @ b, axes=(1,)) * 2.0

    gradcheck(fn, sample((3, 4), "lse-graph-a", 1.0), sample((4, 5), "lse-graph-b", 1.0))


def test_logsumexp_rejects_an_axis_out_of_range():
    with pytest.raises(ValueError) as raised:
        ndl.logsumexp(ndl.Tensor(np.ones((2, 3))), axes=(2,))
    assert "logsumexp" in str(raised.value) and "(2, 3)" in str(raised.value)


# --- logsoftmax ----------------------------------------------------------------------


@pytest.mark.parametrize("shape", LOGSOFTMAX_SHAPES, ids=str)
def test_logsoftmax_forward_matches_numpy(shape):
    a = sample(shape, ("lsm", shape))
    out = ndl.logsoftmax(ndl.Tensor(a))
    assert out.shape == a.shape
    np.testing.assert_allclose(out.numpy(), numpy_logsoftmax(a), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(np.exp(out.numpy()).sum(axis=-1), 1.0, rtol=1e-12)


@pytest.mark.parametrize("shape", LOGSOFTMAX_SHAPES, ids=str)
def test_logsoftmax_gradient_matches_central_differences(shape):
    gradcheck(ndl.logsoftmax, sample(shape, ("lsm-grad", shape)))


@pytest.mark.parametrize("shape", LOGSOFTMAX_SHAPES, ids=str)
def test_logsoftmax_forward_and_gradient_match_torch(shape, torch):
    a = sample(shape, ("lsm-torch", shape))
    x = ndl.Tensor(a)
    out = ndl.logsoftmax(x)
    weight = np.random.default_rng(4).standard_normal(out.shape)
    out.backward(ndl.Tensor(weight))
    t = torch.tensor(a, requires_grad=True)
    t_out = torch.log_softmax(t, dim=-1)
    (t_out * torch.tensor(weight)).sum().backward()
    np.testing.assert_allclose(out.numpy(), t_out.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_logsoftmax_gradient_by_hand():
    # d/dz sum_i g_i logsoftmax(z)_i = g - softmax(z) * sum(g), row by row
    a = sample((3, 5), "lsm-hand")
    g = np.random.default_rng(5).standard_normal((3, 5))
    x = ndl.Tensor(a)
    ndl.logsoftmax(x).backward(ndl.Tensor(g))
    softmax = np.exp(numpy_logsoftmax(a))
    np.testing.assert_allclose(x.grad.numpy(), g - softmax * g.sum(axis=1, keepdims=True), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("offset", [1e3, -1e3])
def test_logsoftmax_is_stable_for_logits_around_1e3(offset):
    a = sample((3, 4), ("lsm-big", offset), scale=2.0) + offset
    x = ndl.Tensor(a)
    out = ndl.logsoftmax(x)
    assert np.all(np.isfinite(out.numpy()))
    np.testing.assert_allclose(out.numpy(), numpy_logsoftmax(a), rtol=1e-9, atol=1e-9)
    g = np.random.default_rng(6).standard_normal((3, 4))
    out.backward(ndl.Tensor(g))
    softmax = np.exp(numpy_logsoftmax(a))
    np.testing.assert_allclose(x.grad.numpy(), g - softmax * g.sum(axis=1, keepdims=True), rtol=1e-8, atol=1e-10)


def test_logsoftmax_takes_the_maximum_of_each_row_separately(torch):
    a = np.array([[1000.0, 1002.0, 999.0], [-1000.0, -1003.0, -999.0], [0.5, -0.5, 0.0]])
    x = ndl.Tensor(a)
    out = ndl.logsoftmax(x)
    out.sum().backward()
    t = torch.tensor(a, requires_grad=True)
    t_out = torch.log_softmax(t, dim=-1)
    t_out.sum().backward()
    np.testing.assert_allclose(out.numpy(), t_out.detach().numpy(), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-9, atol=1e-12)


def test_logsoftmax_rows_by_hand_without_torch():
    a = np.array([[1000.0, 1002.0, 999.0], [-1000.0, -1003.0, -999.0]])
    out = ndl.logsoftmax(ndl.Tensor(a)).numpy()
    expected = np.array([[-2.0, 0.0, -3.0], [-1.0, -4.0, 0.0]]) - np.log(
        np.array([[np.exp(-2.0) + 1 + np.exp(-3.0)], [np.exp(-1.0) + np.exp(-4.0) + 1]])
    )
    np.testing.assert_allclose(out, expected, rtol=1e-12)


def test_logsoftmax_keeps_float32():
    a = (sample((4, 6), "lsm-f32") + 300.0).astype(np.float32)
    x = ndl.Tensor(a)
    out = ndl.logsoftmax(x)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.numpy(), numpy_logsoftmax(a.astype(np.float64)), rtol=1e-5, atol=1e-4)
    out.sum().backward()
    assert x.grad.dtype == np.float32


def test_logsoftmax_refuses_a_scalar():
    with pytest.raises(ValueError, match="logsoftmax"):
        ndl.logsoftmax(ndl.Tensor(np.array(1.0)))
