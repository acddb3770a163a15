"""BatchNorm1d, LayerNorm1d and Dropout. BatchNorm1d: parameters and running statistics
(shape (dim,)), training forward and gradients against numpy by hand and against
torch.nn.BatchNorm1d with the same weight and bias; running statistics after several batches
computed by hand (the course keeps the BIASED batch variance, unlike torch); eval using the
running statistics (and torch in eval mode); running statistics kept out of the graph.
LayerNorm1d against numpy by hand and torch.nn.LayerNorm. Dropout's training mask reproduced
by hand from numpy.random.seed (np.random.rand(*shape) <= 1 - p, kept values scaled by
1 / (1 - p)), its statistics, p = 0, and the identity in eval."""
import gc

import numpy as np
import pytest

import needle as ndl
import needle.nn as nn
import torch_models

pytestmark = pytest.mark.hw2_nn_norm

RTOL, ATOL = 1e-5, 1e-5


def normal(shape, seed, scale=1.0, shift=0.0):
    return (shift + scale * np.random.default_rng(seed).standard_normal(shape)).astype(np.float32)


def set_values(param, values):
    param.data = ndl.Tensor(np.asarray(values, dtype=np.float32), requires_grad=False)


def numpy_norm(X, mean, var, weight, bias, eps):
    return weight * (X - mean) / np.sqrt(var + eps) + bias


def numpy_batchnorm_train_gradients(X, G, weight, eps):
    """The gradients of sum(G * batchnorm(X)) with batch statistics, derived by hand."""
    n = X.shape[0]
    mean, var = X.mean(axis=0), X.var(axis=0)
    xhat = (X - mean) / np.sqrt(var + eps)
    dxhat = G * weight
    dx = (dxhat - dxhat.mean(axis=0) - xhat * (dxhat * xhat).mean(axis=0)) / np.sqrt(var + eps)
    assert dx.shape == (n, X.shape[1])
    return dx, (G * xhat).sum(axis=0), G.sum(axis=0)


def with_random_affine(norm, seed):
    """`norm` (BatchNorm1d or LayerNorm1d) with a random weight in [0.5, 2] and a random bias."""
    rng = np.random.default_rng(seed)
    set_values(norm.weight, rng.uniform(0.5, 2.0, norm.dim))
    set_values(norm.bias, rng.standard_normal(norm.dim))
    return norm


def make_batchnorm(dim, seed, **kwargs):
    return with_random_affine(nn.BatchNorm1d(dim, **kwargs), seed)


# --- BatchNorm1d ----------------------------------------------------------------------------


def test_batchnorm_starts_with_unit_weight_zero_bias_and_neutral_running_statistics():
    bn = nn.BatchNorm1d(4)
    assert isinstance(bn.weight, nn.Parameter) and isinstance(bn.bias, nn.Parameter)
    for tensor, value in [(bn.weight, 1.0), (bn.bias, 0.0), (bn.running_mean, 0.0), (bn.running_var, 1.0)]:
        assert tensor.shape == (4,)
        assert tensor.dtype == np.float32
        np.testing.assert_array_equal(tensor.numpy(), np.full(4, value, dtype=np.float32))
    assert not isinstance(bn.running_mean, nn.Parameter) and not isinstance(bn.running_var, nn.Parameter)
    assert sorted(id(p) for p in bn.parameters()) == sorted([id(bn.weight), id(bn.bias)])
    assert bn.eps == 1e-5 and bn.momentum == 0.1


@pytest.mark.parametrize("batch, dim", [(8, 5), (2, 3), (16, 1)])
def test_batchnorm_training_forward_and_gradients_by_hand(batch, dim):
    bn = make_batchnorm(dim, seed=batch)
    X, G = normal((batch, dim), 1, scale=2.0, shift=1.0), normal((batch, dim), 2)
    weight, bias = bn.weight.numpy(), bn.bias.numpy()
    x = ndl.Tensor(X)
    out = bn(x)
    expected = numpy_norm(X.astype(np.float64), X.mean(0, dtype=np.float64), X.astype(np.float64).var(0), weight, bias, 1e-5)
    np.testing.assert_allclose(out.numpy(), expected, rtol=RTOL, atol=ATOL)
    out.backward(ndl.Tensor(G))
    dx, dweight, dbias = numpy_batchnorm_train_gradients(X.astype(np.float64), G, weight, 1e-5)
    np.testing.assert_allclose(x.grad.numpy(), dx, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(bn.weight.grad.numpy(), dweight, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(bn.bias.grad.numpy(), dbias, rtol=1e-5, atol=1e-5)


def test_batchnorm_training_forward_and_gradients_match_torch(torch):
    bn = make_batchnorm(6, seed=3)
    mirror = torch_models.batchnorm_to_torch(torch, bn)
    assert mirror.training
    X, G = normal((10, 6), 4, scale=3.0, shift=-2.0), normal((10, 6), 5)
    torch_models.check_against_torch(torch, bn, mirror, X, G, rtol=RTOL, atol=ATOL, grad_rtol=1e-4)
    np.testing.assert_allclose(bn.weight.grad.numpy(), mirror.weight.grad.numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(bn.bias.grad.numpy(), mirror.bias.grad.numpy(), rtol=1e-5, atol=1e-5)
    # torch's running mean follows the same rule as the course's
    np.testing.assert_allclose(bn.running_mean.numpy(), mirror.running_mean.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("momentum", [0.1, 0.35])
def test_batchnorm_running_statistics_after_several_batches_by_hand(momentum):
    dim = 4
    bn = nn.BatchNorm1d(dim, momentum=momentum)
    running_mean, running_var = np.zeros(dim), np.ones(dim)
    for step, batch in enumerate([6, 3, 9]):
        X = normal((batch, dim), 10 + step, scale=1.0 + step, shift=step - 1.0).astype(np.float64)
        bn(ndl.Tensor(X.astype(np.float32)))
        running_mean = (1 - momentum) * running_mean + momentum * X.mean(axis=0)
        running_var = (1 - momentum) * running_var + momentum * X.var(axis=0)  # biased: divided by N
        assert bn.running_mean.shape == (dim,) and bn.running_var.shape == (dim,)
        np.testing.assert_allclose(bn.running_mean.numpy(), running_mean, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(bn.running_var.numpy(), running_var, rtol=1e-5, atol=1e-6)


def test_batchnorm_eval_uses_the_running_statistics_and_leaves_them_alone():
    bn = make_batchnorm(3, seed=6)
    for step in range(3):
        bn(ndl.Tensor(normal((5, 3), 20 + step, scale=2.0, shift=1.5)))
    running_mean, running_var = bn.running_mean.numpy().copy(), bn.running_var.numpy().copy()
    weight, bias = bn.weight.numpy(), bn.bias.numpy()
    bn.eval()
    for batch in [4, 1]:  # a single example, too: batch statistics would make it all bias
        X = normal((batch, 3), 30 + batch, scale=2.0)
        out = bn(ndl.Tensor(X))
        np.testing.assert_allclose(out.numpy(), numpy_norm(X, running_mean, running_var, weight, bias, 1e-5), rtol=RTOL, atol=ATOL)
    np.testing.assert_array_equal(bn.running_mean.numpy(), running_mean)
    np.testing.assert_array_equal(bn.running_var.numpy(), running_var)


def test_batchnorm_eval_matches_torch_with_the_same_running_statistics(torch):
    bn = make_batchnorm(5, seed=7)
    for step in range(4):
        bn(ndl.Tensor(normal((6, 5), 40 + step, scale=1.5, shift=0.5)))
    bn.eval()
    mirror = torch_models.batchnorm_to_torch(torch, bn)
    assert not mirror.training
    X, G = normal((3, 5), 50), normal((3, 5), 51)
    torch_models.check_against_torch(torch, bn, mirror, X, G, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(bn.weight.grad.numpy(), mirror.weight.grad.numpy(), rtol=RTOL, atol=ATOL)


def test_batchnorm_running_statistics_stay_out_of_the_graph():
    bn = make_batchnorm(4, seed=8)
    X = normal((8, 4), 60)
    for _ in range(5):
        bn(ndl.Tensor(X)).sum().backward()
    gc.collect()
    before = ndl.autograd.TENSOR_COUNTER
    for _ in range(200):
        bn(ndl.Tensor(X)).sum().backward()
    gc.collect()
    assert ndl.autograd.TENSOR_COUNTER - before <= 5, "running statistics keep every past batch's graph alive"


@pytest.mark.parametrize("module, axis", [(nn.BatchNorm1d, 0), (nn.LayerNorm1d, 1)], ids=["batchnorm", "layernorm"])
def test_norm_adds_eps_inside_the_square_root(module, axis):
    # a variance near 1e-6, below eps = 1e-5: sqrt(var + eps) and sqrt(var) + eps differ threefold
    X = normal((6, 4), 90, scale=1e-3).astype(np.float64)
    out = module(4)(ndl.Tensor(X.astype(np.float32))).numpy()
    mean, var = X.mean(axis=axis, keepdims=True), X.var(axis=axis, keepdims=True)
    np.testing.assert_allclose(out, (X - mean) / np.sqrt(var + 1e-5), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("module", [nn.BatchNorm1d, nn.LayerNorm1d])
@pytest.mark.parametrize("dim, shape", [(5, (4, 3)), (100, (32, 784))], ids=["5-vs-3", "100-vs-784"])
def test_norm_names_the_expected_and_received_feature_sizes(module, dim, shape):
    layer = module(dim)
    with pytest.raises(ValueError) as raised:
        layer(ndl.Tensor(np.zeros(shape, dtype=np.float32)))
    message = str(raised.value)
    assert module.__name__ in message and str(dim) in message and str(shape) in message


@pytest.mark.parametrize("module", [nn.BatchNorm1d, nn.LayerNorm1d])
def test_norm_refuses_inputs_that_are_not_two_dimensional(module):
    layer = module(3)
    with pytest.raises(ValueError, match=module.__name__):
        layer(ndl.Tensor(np.zeros((2, 4, 3), dtype=np.float32)))


# --- LayerNorm1d ----------------------------------------------------------------------------


def make_layernorm(dim, seed):
    return with_random_affine(nn.LayerNorm1d(dim), seed)


def test_layernorm_starts_with_unit_weight_and_zero_bias():
    ln = nn.LayerNorm1d(6)
    assert isinstance(ln.weight, nn.Parameter) and isinstance(ln.bias, nn.Parameter)
    assert ln.weight.shape == (6,) and ln.bias.shape == (6,)
    np.testing.assert_array_equal(ln.weight.numpy(), np.ones(6, dtype=np.float32))
    np.testing.assert_array_equal(ln.bias.numpy(), np.zeros(6, dtype=np.float32))
    assert sorted(id(p) for p in ln.parameters()) == sorted([id(ln.weight), id(ln.bias)])


@pytest.mark.parametrize("batch, dim", [(4, 5), (1, 3), (3, 1)])
def test_layernorm_forward_and_gradients_by_hand(batch, dim):
    ln = make_layernorm(dim, seed=9)
    X, G = normal((batch, dim), 70, scale=2.0, shift=1.0), normal((batch, dim), 71)
    weight, bias = ln.weight.numpy(), ln.bias.numpy()
    x = ndl.Tensor(X)
    out = ln(x)
    X64 = X.astype(np.float64)
    mean, var = X64.mean(axis=1, keepdims=True), X64.var(axis=1, keepdims=True)
    np.testing.assert_allclose(out.numpy(), numpy_norm(X64, mean, var, weight, bias, 1e-5), rtol=RTOL, atol=ATOL)
    out.backward(ndl.Tensor(G))
    xhat = (X64 - mean) / np.sqrt(var + 1e-5)
    dxhat = G * weight
    dx = (dxhat - dxhat.mean(axis=1, keepdims=True) - xhat * (dxhat * xhat).mean(axis=1, keepdims=True)) / np.sqrt(var + 1e-5)
    np.testing.assert_allclose(x.grad.numpy(), dx, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(ln.weight.grad.numpy(), (G * xhat).sum(axis=0), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(ln.bias.grad.numpy(), G.sum(axis=0), rtol=1e-5, atol=1e-5)


def test_layernorm_forward_and_gradients_match_torch(torch):
    ln = make_layernorm(7, seed=10)
    X, G = normal((5, 7), 72, scale=3.0, shift=2.0), normal((5, 7), 73)
    mirror = torch_models.layernorm_to_torch(torch, ln)
    torch_models.check_against_torch(torch, ln, mirror, X, G, rtol=RTOL, atol=ATOL, grad_rtol=1e-4)
    np.testing.assert_allclose(ln.weight.grad.numpy(), mirror.weight.grad.numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(ln.bias.grad.numpy(), mirror.bias.grad.numpy(), rtol=1e-5, atol=1e-5)


def test_layernorm_normalizes_each_row_on_its_own_in_training_and_eval():
    ln = nn.LayerNorm1d(4)
    X = normal((3, 4), 74, scale=5.0)
    alone = ln(ndl.Tensor(X[1:2])).numpy()
    together = ln(ndl.Tensor(X)).numpy()
    np.testing.assert_allclose(together[1:2], alone, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(together.mean(axis=1), 0.0, atol=1e-5)
    np.testing.assert_allclose(together.var(axis=1), 1.0, rtol=1e-4)
    np.testing.assert_allclose(ln.eval()(ndl.Tensor(X)).numpy(), together, rtol=RTOL, atol=ATOL)


def test_layernorm_of_a_constant_row_is_the_bias():
    ln = make_layernorm(3, seed=11)
    out = ln(ndl.Tensor(np.full((2, 3), 7.0, dtype=np.float32)))
    np.testing.assert_allclose(out.numpy(), np.tile(ln.bias.numpy(), (2, 1)), rtol=RTOL, atol=ATOL)


# --- Dropout --------------------------------------------------------------------------------


@pytest.mark.parametrize("p", [0.5, 0.2, 0.9])
def test_dropout_training_mask_reproduces_by_hand_and_scales_the_kept_values(p):
    X, G = normal((6, 8), 80, shift=2.0), normal((6, 8), 81)
    np.random.seed(12)
    x = ndl.Tensor(X)
    out = nn.Dropout(p)(x)
    np.random.seed(12)
    mask = np.random.rand(6, 8) <= 1 - p
    assert 0 < mask.sum() < mask.size
    np.testing.assert_allclose(out.numpy(), X * mask / (1 - p), rtol=1e-6, atol=1e-7)
    out.backward(ndl.Tensor(G))
    np.testing.assert_allclose(x.grad.numpy(), G * mask / (1 - p), rtol=1e-6, atol=1e-7)


def test_dropout_draws_a_fresh_mask_at_every_call():
    layer = nn.Dropout(0.5)
    x = ndl.Tensor(np.ones((10, 10), dtype=np.float32))
    np.random.seed(13)
    first, second = layer(x).numpy(), layer(x).numpy()
    assert not np.array_equal(first, second)


def test_dropout_statistics_keep_the_expected_value():
    np.random.seed(14)
    out = nn.Dropout(0.3)(ndl.Tensor(np.ones((200, 500), dtype=np.float32))).numpy()
    kept = out[out != 0]
    np.testing.assert_allclose(kept, 1 / 0.7, rtol=1e-6)
    assert np.mean(out == 0) == pytest.approx(0.3, abs=0.005)
    assert out.mean() == pytest.approx(1.0, abs=0.01)


def test_dropout_with_p_zero_keeps_everything():
    X = normal((4, 5), 82)
    np.random.seed(15)
    np.testing.assert_allclose(nn.Dropout(0.0)(ndl.Tensor(X)).numpy(), X, rtol=1e-7)


def test_dropout_in_eval_is_the_identity():
    X, G = normal((4, 5), 83), normal((4, 5), 84)
    layer = nn.Dropout(0.5).eval()
    x = ndl.Tensor(X)
    out = layer(x)
    np.testing.assert_array_equal(out.numpy(), X)
    (out * ndl.Tensor(G)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), G, rtol=1e-7)


def test_dropout_in_a_model_follows_eval_and_train():
    np.random.seed(16)
    model = nn.Sequential(nn.Identity(), nn.Sequential(nn.Dropout(0.5)))
    X = np.ones((20, 20), dtype=np.float32)
    model.eval()
    np.testing.assert_array_equal(model(ndl.Tensor(X)).numpy(), X)
    model.train()
    assert (model(ndl.Tensor(X)).numpy() == 0).any()


@pytest.mark.parametrize("p", [-0.1, 1.0, 1.5])
def test_dropout_refuses_a_probability_outside_0_1(p):
    with pytest.raises(ValueError, match="Dropout"):
        nn.Dropout(p)
