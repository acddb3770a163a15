"""needle.nn's basic modules. Module: parameter and submodule discovery through attributes,
lists, tuples, dicts and nested modules (plain Tensors not counted), train()/eval() reaching
every submodule, __call__ going to forward. Linear (seeded kaiming_uniform weight, then bias,
against the formula by hand; bias=False; the error naming the expected and received sizes),
Flatten, ReLU, Identity, Sequential, Residual and SoftmaxLoss: forward and gradients against
numpy computed by hand and against the same network in PyTorch with the weights copied in."""
import math

import numpy as np
import pytest

import needle as ndl
import needle.nn as nn
import torch_models

pytestmark = pytest.mark.hw2_nn_basic

RTOL, ATOL = 1e-5, 1e-6  # needle runs in float32 here


def normal(shape, seed, scale=1.0):
    return (scale * np.random.default_rng(seed).standard_normal(shape)).astype(np.float32)


def away_from_zero(shape, seed):
    rng = np.random.default_rng(seed)
    return (rng.choice([-1.0, 1.0], shape) * rng.uniform(0.2, 2.0, shape)).astype(np.float32)


def kaiming_by_hand(fan_in, fan_out):
    bound = math.sqrt(2) * math.sqrt(3 / fan_in)
    return np.random.rand(fan_in, fan_out) * (2 * bound) - bound


def parameter(*values):
    return nn.Parameter(np.array(values, dtype=np.float32))


# --- Module: discovery, children, modes, __call__ -------------------------------------------


class Holder(nn.Module):
    """A module whose attributes are given as keyword arguments."""

    def __init__(self, **attributes):
        super().__init__()
        for name, value in attributes.items():
            setattr(self, name, value)


def test_parameters_are_found_in_attributes_lists_tuples_dicts_and_submodules():
    a, b, c, d, e, f, g = (parameter(float(i)) for i in range(7))
    inner = Holder(weight=e, plain=ndl.Tensor([1.0]), deeper=Holder(extra=[f]))
    outer = Holder(
        first=a,
        layers=[b, (c, {"key": d})],
        inner=inner,
        table={"x": [g], "y": ndl.Tensor([2.0])},
        plain_tensor=ndl.Tensor([3.0]),
        number=4,
        array=np.ones(3),
        text="not a parameter",
    )
    found = outer.parameters()
    assert all(isinstance(p, nn.Parameter) for p in found)
    assert [id(p) for p in found] == [id(p) for p in (a, b, c, d, e, f, g)]


def test_plain_tensors_are_not_parameters():
    module = Holder(x=ndl.Tensor([1.0]), xs=[ndl.Tensor([2.0])], table={"k": ndl.Tensor([3.0])})
    assert module.parameters() == []
    assert nn.ReLU().parameters() == [] and nn.Identity().parameters() == []


def test_a_shared_parameter_or_module_is_listed_once():
    shared = parameter(1.0, 2.0)
    layer = Holder(w=shared)
    module = Holder(a=shared, b=[shared], first=layer, second=layer)
    assert [id(p) for p in module.parameters()] == [id(shared)]


def test_children_are_every_nested_submodule_depth_first():
    leaf_a, leaf_b, leaf_c = nn.ReLU(), nn.Identity(), nn.ReLU()
    middle = Holder(inside=[leaf_b])
    top = Holder(first=leaf_a, group={"m": middle}, items=(leaf_c,), w=parameter(1.0))
    assert [id(m) for m in top.children()] == [id(m) for m in (leaf_a, middle, leaf_b, leaf_c)]
    assert nn.ReLU().children() == []


def test_train_and_eval_reach_every_submodule_and_return_the_module():
    leaves = [nn.Dropout(0.5), nn.ReLU(), nn.Identity(), nn.Dropout(0.1)]
    model = Holder(a=leaves[0], b=[Holder(c={"d": leaves[1]})], e=nn.Sequential(leaves[2], nn.Sequential(leaves[3])))
    everything = [model] + model.children()
    assert len(everything) == 8
    assert all(m.training for m in everything)
    assert model.eval() is model
    assert not any(m.training for m in everything)
    assert model.train() is model
    assert all(m.training for m in everything)


def test_calling_a_module_calls_forward_with_its_arguments():
    class Recorder(nn.Module):
        def forward(self, *args, **kwargs):
            return args, kwargs

    assert Recorder()(1, 2, key="value") == ((1, 2), {"key": "value"})


# --- Linear ---------------------------------------------------------------------------------


@pytest.mark.parametrize("in_features, out_features, seed", [(7, 4, 0), (3, 9, 1), (1, 1, 2)])
def test_linear_draws_kaiming_uniform_weight_then_bias(in_features, out_features, seed):
    np.random.seed(seed)
    layer = nn.Linear(in_features, out_features)
    np.random.seed(seed)
    weight = kaiming_by_hand(in_features, out_features)
    bias = kaiming_by_hand(out_features, 1).reshape(1, out_features)
    assert isinstance(layer.weight, nn.Parameter) and isinstance(layer.bias, nn.Parameter)
    assert layer.weight.shape == (in_features, out_features) and layer.bias.shape == (1, out_features)
    assert layer.weight.dtype == np.float32 and layer.bias.dtype == np.float32
    np.testing.assert_allclose(layer.weight.numpy(), weight, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(layer.bias.numpy(), bias, rtol=1e-6, atol=1e-7)
    assert [id(p) for p in layer.parameters()] == [id(layer.weight), id(layer.bias)]


def test_linear_without_bias_has_only_a_weight():
    np.random.seed(3)
    layer = nn.Linear(5, 2, bias=False)
    np.random.seed(3)
    np.testing.assert_allclose(layer.weight.numpy(), kaiming_by_hand(5, 2), rtol=1e-6, atol=1e-7)
    assert layer.bias is None
    assert [id(p) for p in layer.parameters()] == [id(layer.weight)]
    X = normal((4, 5), 0)
    np.testing.assert_allclose(layer(ndl.Tensor(X)).numpy(), X @ layer.weight.numpy(), rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("batch", [1, 6])
def test_linear_forward_and_gradients_by_hand(batch):
    np.random.seed(4)
    layer = nn.Linear(5, 3)
    X = normal((batch, 5), 1)
    G = normal((batch, 3), 2)
    x = ndl.Tensor(X)
    out = layer(x)
    W, b = layer.weight.numpy(), layer.bias.numpy()
    assert out.shape == (batch, 3)
    np.testing.assert_allclose(out.numpy(), X @ W + b, rtol=RTOL, atol=ATOL)
    out.backward(ndl.Tensor(G))
    np.testing.assert_allclose(x.grad.numpy(), G @ W.T, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(layer.weight.grad.numpy(), X.T @ G, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(layer.bias.grad.numpy(), G.sum(axis=0, keepdims=True), rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("bias", [True, False])
def test_linear_forward_and_gradients_match_torch(bias, torch):
    np.random.seed(5)
    layer = nn.Linear(6, 4, bias=bias)
    X, G = normal((8, 6), 3), normal((8, 4), 4)
    mirror = torch_models.linear_to_torch(torch, layer)
    torch_models.check_against_torch(torch, layer, mirror, X, G, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(layer.weight.grad.numpy(), mirror.weight.grad.numpy().T, rtol=RTOL, atol=ATOL)
    if bias:
        np.testing.assert_allclose(layer.bias.grad.numpy(), mirror.bias.grad.numpy().reshape(1, 4), rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize(
    "in_features, out_features, shape",
    [(784, 100, (32, 100)), (3, 2, (5, 4)), (3, 2, (5, 1))],
    ids=["784-vs-100", "3-vs-4", "3-vs-1"],
)
def test_linear_names_the_expected_and_received_feature_sizes(in_features, out_features, shape):
    layer = nn.Linear(in_features, out_features)
    with pytest.raises(ValueError) as raised:
        layer(ndl.Tensor(np.zeros(shape, dtype=np.float32)))
    message = str(raised.value)
    assert "Linear" in message and str(in_features) in message and str(shape) in message


# --- ReLU, Flatten, Identity ----------------------------------------------------------------


def test_relu_forward_and_gradient_by_hand():
    X, G = away_from_zero((4, 5), 5), normal((4, 5), 6)
    x = ndl.Tensor(X)
    out = nn.ReLU()(x)
    np.testing.assert_array_equal(out.numpy(), np.maximum(X, 0))
    out.backward(ndl.Tensor(G))
    np.testing.assert_array_equal(x.grad.numpy(), G * (X > 0))


@pytest.mark.parametrize("shape", [(2, 3, 4), (4, 2, 2, 3), (3, 5), (1, 7, 1)], ids=str)
def test_flatten_keeps_the_batch_and_flattens_the_rest(shape):
    X = normal(shape, 7)
    G = normal((shape[0], int(np.prod(shape[1:]))), 8)
    x = ndl.Tensor(X)
    out = nn.Flatten()(x)
    assert out.shape == G.shape
    np.testing.assert_array_equal(out.numpy(), X.reshape(G.shape))
    out.backward(ndl.Tensor(G))
    np.testing.assert_array_equal(x.grad.numpy(), G.reshape(shape))


def test_flatten_matches_torch(torch):
    X = normal((3, 2, 4, 2), 9)
    np.testing.assert_array_equal(nn.Flatten()(ndl.Tensor(X)).numpy(), torch.nn.Flatten()(torch.tensor(X)).numpy())


def test_identity_returns_its_input_and_passes_the_gradient():
    X, G = normal((3, 4), 10), normal((3, 4), 11)
    x = ndl.Tensor(X)
    out = nn.Identity()(x)
    np.testing.assert_array_equal(out.numpy(), X)
    (out * ndl.Tensor(G)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), G, rtol=RTOL)


# --- Sequential and Residual ----------------------------------------------------------------


def test_sequential_keeps_its_modules_and_applies_them_in_order():
    np.random.seed(6)
    first, second = nn.Linear(4, 5), nn.Linear(5, 2)
    relu = nn.ReLU()
    model = nn.Sequential(first, relu, second)
    assert tuple(model.modules) == (first, relu, second)
    assert [id(p) for p in model.parameters()] == [id(first.weight), id(first.bias), id(second.weight), id(second.bias)]
    X = normal((3, 4), 12)
    hidden = np.maximum(X @ first.weight.numpy() + first.bias.numpy(), 0)
    expected = hidden @ second.weight.numpy() + second.bias.numpy()
    np.testing.assert_allclose(model(ndl.Tensor(X)).numpy(), expected, rtol=RTOL, atol=ATOL)


def test_empty_sequential_is_the_identity():
    X = normal((2, 3), 13)
    np.testing.assert_array_equal(nn.Sequential()(ndl.Tensor(X)).numpy(), X)


def test_nested_sequential_forward_and_gradients_match_torch(torch):
    np.random.seed(7)
    model = nn.Sequential(nn.Flatten(), nn.Sequential(nn.Linear(6, 5), nn.ReLU()), nn.Identity(), nn.Linear(5, 3))
    X, G = normal((4, 2, 3), 14), normal((4, 3), 15)
    mirror = torch_models.mirror(torch, model)
    torch_models.check_against_torch(torch, model, mirror, X, G, rtol=RTOL, atol=ATOL)
    torch_linears = [m for m in mirror.modules() if isinstance(m, torch.nn.Linear)]
    needle_linears = [m for m in model.children() if isinstance(m, nn.Linear)]
    for ours, theirs in zip(needle_linears, torch_linears):
        np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy().T, rtol=RTOL, atol=ATOL)
        np.testing.assert_allclose(ours.bias.grad.numpy(), theirs.bias.grad.numpy()[None], rtol=RTOL, atol=ATOL)


def test_residual_adds_its_input_by_hand():
    np.random.seed(8)
    inner = nn.Linear(4, 4)
    block = nn.Residual(inner)
    assert [id(p) for p in block.parameters()] == [id(inner.weight), id(inner.bias)]
    X, G = normal((3, 4), 16), normal((3, 4), 17)
    x = ndl.Tensor(X)
    out = block(x)
    W, b = inner.weight.numpy(), inner.bias.numpy()
    np.testing.assert_allclose(out.numpy(), X @ W + b + X, rtol=RTOL, atol=ATOL)
    out.backward(ndl.Tensor(G))
    np.testing.assert_allclose(x.grad.numpy(), G @ W.T + G, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(inner.weight.grad.numpy(), X.T @ G, rtol=RTOL, atol=ATOL)


def test_residual_matches_torch(torch):
    np.random.seed(9)
    block = nn.Residual(nn.Sequential(nn.Linear(5, 3), nn.ReLU(), nn.Linear(3, 5)))
    X, G = normal((6, 5), 18), normal((6, 5), 19)
    mirror = torch_models.mirror(torch, block)
    torch_models.check_against_torch(torch, block, mirror, X, G, rtol=RTOL, atol=ATOL)


# --- SoftmaxLoss ----------------------------------------------------------------------------


def numpy_softmax_loss(Z, y):
    Z = Z.astype(np.float64)
    peak = Z.max(axis=1, keepdims=True)
    lse = np.log(np.exp(Z - peak).sum(axis=1)) + peak[:, 0]
    return float(np.mean(lse - Z[np.arange(len(y)), y]))


def numpy_softmax_loss_gradient(Z, y):
    Z = Z.astype(np.float64)
    probs = np.exp(Z - Z.max(axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)
    probs[np.arange(len(y)), y] -= 1
    return probs / len(y)


@pytest.mark.parametrize("labels_dtype", [np.uint8, np.int64])
@pytest.mark.parametrize("batch, classes", [(5, 3), (1, 4), (8, 10)])
def test_softmax_loss_and_its_gradient_by_hand(batch, classes, labels_dtype):
    rng = np.random.default_rng(batch * 100 + classes)
    Z = normal((batch, classes), batch, scale=2.0)
    y = rng.integers(0, classes, batch).astype(labels_dtype)
    logits = ndl.Tensor(Z)
    loss = nn.SoftmaxLoss()(logits, ndl.Tensor(y, requires_grad=False))
    assert loss.shape == ()
    assert float(loss.numpy()) == pytest.approx(numpy_softmax_loss(Z, y), rel=1e-5)
    loss.backward()
    np.testing.assert_allclose(logits.grad.numpy(), numpy_softmax_loss_gradient(Z, y), rtol=1e-5, atol=1e-7)


def test_softmax_loss_matches_torch_cross_entropy(torch):
    Z = normal((7, 5), 20, scale=3.0)
    y = np.array([0, 4, 2, 2, 1, 3, 0], dtype=np.uint8)
    logits = ndl.Tensor(Z)
    loss = nn.SoftmaxLoss()(logits, ndl.Tensor(y))
    loss.backward()
    t = torch_models.leaf(torch, Z)
    t_loss = torch.nn.functional.cross_entropy(t, torch.tensor(y, dtype=torch.long))
    t_loss.backward()
    assert float(loss.numpy()) == pytest.approx(t_loss.item(), rel=1e-5)
    np.testing.assert_allclose(logits.grad.numpy(), t.grad.numpy(), rtol=1e-5, atol=1e-7)


def test_softmax_loss_is_stable_for_logits_around_1e3():
    Z = np.array([[1000.0, 1001.0, 999.0], [-1000.0, -998.0, -1001.0]], dtype=np.float32)
    y = np.array([1, 0])
    logits = ndl.Tensor(Z)
    loss = nn.SoftmaxLoss()(logits, ndl.Tensor(y))
    assert np.isfinite(loss.numpy())
    assert float(loss.numpy()) == pytest.approx(numpy_softmax_loss(Z, y), rel=1e-5)
    loss.backward()
    np.testing.assert_allclose(logits.grad.numpy(), numpy_softmax_loss_gradient(Z, y), rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize(
    "logits_shape, labels_shape", [((4, 3), (5,)), ((4, 3), (4, 1)), ((4,), (4,))], ids=["length", "2d-labels", "1d-logits"]
)
def test_softmax_loss_refuses_mismatched_shapes(logits_shape, labels_shape):
    with pytest.raises(ValueError, match="SoftmaxLoss"):
        nn.SoftmaxLoss()(ndl.Tensor(np.zeros(logits_shape)), ndl.Tensor(np.zeros(labels_shape)))


def test_two_layer_network_loss_and_every_gradient_match_torch(torch):
    np.random.seed(10)
    model = nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 4))
    X = normal((10, 6), 21)
    y = np.random.default_rng(22).integers(0, 4, 10).astype(np.uint8)
    x = ndl.Tensor(X)
    loss = nn.SoftmaxLoss()(model(x), ndl.Tensor(y))
    loss.backward()

    mirror = torch_models.mirror(torch, model)
    tx = torch_models.leaf(torch, X)
    t_loss = torch.nn.functional.cross_entropy(mirror(tx), torch.tensor(y, dtype=torch.long))
    t_loss.backward()
    assert float(loss.numpy()) == pytest.approx(t_loss.item(), rel=1e-5)
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-4, atol=1e-6)
    for ours, theirs in zip(model.parameters(), mirror.parameters()):
        expected = theirs.grad.numpy()
        expected = expected.T if expected.ndim == 2 else expected.reshape(ours.shape)
        np.testing.assert_allclose(ours.grad.numpy(), expected, rtol=1e-4, atol=1e-6)
