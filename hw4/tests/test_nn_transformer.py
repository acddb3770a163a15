"""nn.MultiHeadAttention, nn.AttentionLayer, nn.TransformerLayer and nn.Transformer against
PyTorch computations written out by hand from the same weights (forward and gradients).

needle keeps a Linear weight as (in, out) and its bias as (1, out), so the torch references
multiply `x @ W` too. Dropout masks are `numpy.random.rand(*shape) <= 1 - p`, one draw per
dropout call, so a reference that draws in the same order after the same seed sees the same masks.
"""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import needle as ndl
import needle.init as init
import needle.nn as nn
from devices import DEVICES

TOL = dict(rtol=1e-4, atol=1e-5)
GRAD_TOL = dict(rtol=1e-3, atol=1e-4)


def _tensor(array, device, requires_grad=True):
    return ndl.Tensor(np.asarray(array, dtype=np.float32), device=device, requires_grad=requires_grad)


def _leaves(params):
    """torch leaves holding the values of needle parameters."""
    return [torch.tensor(p.numpy(), requires_grad=True) for p in params]


def _perturb_vectors(module, rng):
    """LayerNorm weights and biases start at ones and zeros, which would hide a swapped or skipped
    norm: give every 1-D parameter random values."""
    for p in module.parameters():
        if len(p.shape) == 1:
            p.data = _tensor(rng.uniform(0.5, 1.5, p.shape), p.device, requires_grad=False)


def _backward_both(y, y_t, rng, device):
    """Backpropagate sum(y * G) in needle and torch for one random G."""
    g = rng.standard_normal(y.shape).astype(np.float32)
    (y * _tensor(g, device, requires_grad=False)).sum().backward()
    (y_t * torch.tensor(g)).sum().backward()


def _causal_mask(i, j):
    """The lowest float32 where key > query + (j - i), 0 elsewhere."""
    query, key = np.arange(i)[:, None], np.arange(j)[None, :]
    return np.where(key > query + (j - i), -np.finfo(np.float32).max, 0.0).astype(np.float32)


def _dropout(p):
    """torch dropout drawing its mask exactly as needle's Dropout does (numpy's global generator)."""
    def drop(x):
        if p == 0:
            return x
        mask = np.random.rand(*x.shape).astype(np.float32) <= 1 - p
        return x * torch.tensor(mask.astype(np.float32)) / (1 - p)
    return drop


def torch_attention(q, k, v, causal, drop=lambda x: x):
    """softmax(q k^T / sqrt(d) + mask) v, and the (dropped-out) probabilities."""
    scores = q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1])
    if causal:
        scores = scores + torch.tensor(_causal_mask(q.shape[-2], k.shape[-2]))
    probs = drop(torch.softmax(scores, dim=-1))
    return probs @ v, probs


ATTENTION_PARAMS = ["ln_q_w", "ln_q_b", "ln_k_w", "ln_k_b", "ln_v_w", "ln_v_b", "w_q", "w_k", "w_v", "w_out"]
LAYER_PARAMS = ATTENTION_PARAMS + ["ln_w", "ln_b", "w1", "b1", "w2", "b2"]


def torch_attention_layer(q, k, v, p, num_head, dim_head, causal, drop=lambda x: x):
    """Pre-norm multi-head attention from the parameters `p` (ATTENTION_PARAMS names)."""
    def heads(x, ln_w, ln_b, w):
        batch, length, features = x.shape
        x = F.layer_norm(x, (features,), ln_w, ln_b, eps=1e-5) @ w
        return x.reshape(batch, length, num_head, dim_head).permute(0, 2, 1, 3)

    q = heads(q, p["ln_q_w"], p["ln_q_b"], p["w_q"])
    k = heads(k, p["ln_k_w"], p["ln_k_b"], p["w_k"])
    v = heads(v, p["ln_v_w"], p["ln_v_b"], p["w_v"])
    out, probs = torch_attention(q, k, v, causal, drop)
    batch, _, length, _ = out.shape
    return out.permute(0, 2, 1, 3).reshape(batch, length, num_head * dim_head) @ p["w_out"], probs


def torch_transformer_layer(x, p, num_head, dim_head, causal, drop=lambda x: x):
    """x + drop(attn(x)), then x + drop(linear2(drop(relu(linear1(norm(x))))))."""
    x = x + drop(torch_attention_layer(x, x, x, p, num_head, dim_head, causal, drop)[0])
    hidden = drop(torch.relu(F.layer_norm(x, (x.shape[-1],), p["ln_w"], p["ln_b"], eps=1e-5) @ p["w1"] + p["b1"]))
    return x + drop(hidden @ p["w2"] + p["b2"])


# --- MultiHeadAttention ------------------------------------------------------------------


def _qkv(rng, batch=2, heads=3, queries=4, keys=4, dim=5, scale=1.0):
    return [scale * rng.standard_normal(shape).astype(np.float32)
            for shape in ((batch, heads, queries, dim), (batch, heads, keys, dim), (batch, heads, keys, dim))]


# causal with more queries than keys is left out: the first queries would see no key at all
MHA_CASES = [(False, 4, 4), (False, 3, 6), (False, 6, 3), (True, 4, 4), (True, 3, 6)]


@pytest.mark.hw4_attention
@pytest.mark.parametrize("causal,queries,keys", MHA_CASES)
@pytest.mark.parametrize("device", DEVICES)
def test_multihead_attention_matches_torch(causal, queries, keys, device):
    rng = np.random.default_rng(0)
    arrays = _qkv(rng, queries=queries, keys=keys)
    q, k, v = [_tensor(a, device) for a in arrays]
    q_t, k_t, v_t = [torch.tensor(a, requires_grad=True) for a in arrays]

    result, probs = nn.MultiHeadAttention(causal=causal, device=device)(q, k, v)
    result_t, probs_t = torch_attention(q_t, k_t, v_t, causal)
    assert result.shape == (2, 3, queries, 5) and probs.shape == (2, 3, queries, keys)
    np.testing.assert_allclose(probs.numpy(), probs_t.detach().numpy(), **TOL)
    np.testing.assert_allclose(result.numpy(), result_t.detach().numpy(), **TOL)

    # both outputs carry gradients back to q, k and v
    g_probs = rng.standard_normal(probs.shape).astype(np.float32)
    g_result = rng.standard_normal(result.shape).astype(np.float32)
    ((result * _tensor(g_result, device, False)).sum() + (probs * _tensor(g_probs, device, False)).sum()).backward()
    ((result_t * torch.tensor(g_result)).sum() + (probs_t * torch.tensor(g_probs)).sum()).backward()
    for x, x_t in ((q, q_t), (k, k_t), (v, v_t)):
        assert x.grad.device == device
        np.testing.assert_allclose(x.grad.numpy(), x_t.grad.numpy(), **GRAD_TOL)


@pytest.mark.hw4_attention
@pytest.mark.parametrize("device", DEVICES)
def test_multihead_attention_softmax_subtracts_the_max(device):
    q, k, v = [_tensor(a, device) for a in _qkv(np.random.default_rng(1), scale=30.0)]  # scores in the 1000s
    result, probs = nn.MultiHeadAttention(device=device)(q, k, v)
    result_t, probs_t = torch_attention(*[torch.tensor(x.numpy()) for x in (q, k, v)], causal=False)
    assert np.isfinite(result.numpy()).all()
    np.testing.assert_allclose(probs.numpy(), probs_t.numpy(), rtol=1e-3, atol=1e-5)


@pytest.mark.hw4_attention
@pytest.mark.parametrize("device", DEVICES)
def test_multihead_attention_causal_hides_later_keys(device):
    rng = np.random.default_rng(2)
    q_np, k_np, v_np = _qkv(rng, queries=5, keys=5)
    later_k, later_v = k_np.copy(), v_np.copy()
    later_k[:, :, 3:] = rng.standard_normal(later_k[:, :, 3:].shape)
    later_v[:, :, 3:] = rng.standard_normal(later_v[:, :, 3:].shape)

    def attend(k_array, v_array, causal):
        attention = nn.MultiHeadAttention(causal=causal, device=device)
        return attention(*[_tensor(a, device) for a in (q_np, k_array, v_array)])

    result, probs = attend(k_np, v_np, causal=True)
    above_diagonal = np.triu(np.ones((5, 5), dtype=bool), 1)
    assert (probs.numpy()[..., above_diagonal] == 0).all()
    assert (probs.numpy()[..., ~above_diagonal] > 0).all()
    np.testing.assert_allclose(probs.numpy().sum(-1), 1.0, rtol=1e-5)

    # changing keys and values 3 and 4 changes only outputs 3 and 4
    changed, _ = attend(later_k, later_v, causal=True)
    np.testing.assert_allclose(changed.numpy()[:, :, :3], result.numpy()[:, :, :3], rtol=1e-6, atol=1e-6)
    assert not np.allclose(changed.numpy()[:, :, 3:], result.numpy()[:, :, 3:], atol=1e-3)
    # without the mask, every output sees them
    plain, _ = attend(k_np, v_np, causal=False)
    plain_changed, _ = attend(later_k, later_v, causal=False)
    assert not np.allclose(plain_changed.numpy()[:, :, :3], plain.numpy()[:, :, :3], atol=1e-3)


@pytest.mark.hw4_attention
@pytest.mark.parametrize("device", DEVICES)
def test_multihead_attention_causal_mask_with_more_keys(device):
    """Query i sits at position i + (keys - queries): it sees every key up to that one."""
    mask = nn.MultiHeadAttention(causal=True).create_causal_mask(2, 4, device)
    assert mask.shape == (1, 1, 2, 4) and mask.device == device
    np.testing.assert_array_equal(mask.numpy()[0, 0], _causal_mask(2, 4))
    assert mask.numpy()[0, 0, 0, 3] == -np.finfo(np.float32).max and mask.numpy()[0, 0, 1, 3] == 0


@pytest.mark.hw4_attention
@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("device", DEVICES)
def test_multihead_attention_dropout(causal, device):
    attention = nn.MultiHeadAttention(dropout=0.5, causal=causal, device=device)
    assert isinstance(attention.dropout, nn.Dropout) and attention.dropout.p == 0.5
    assert attention.causal == causal and attention.device == device and attention.dtype == "float32"
    q, k, v = [_tensor(a, device) for a in _qkv(np.random.default_rng(3), queries=6, keys=6)]
    result_t, probs_t = torch_attention(*[torch.tensor(x.numpy()) for x in (q, k, v)], causal=causal)

    # eval: deterministic, the same as without dropout
    attention.eval()
    result, probs = attention(q, k, v)
    np.testing.assert_allclose(probs.numpy(), probs_t.numpy(), **TOL)
    np.testing.assert_allclose(result.numpy(), result_t.numpy(), **TOL)

    # train: the probabilities are dropped out (the mask drawn from numpy's generator), and the
    # result is computed from the dropped-out probabilities
    attention.train()
    np.random.seed(4)
    result, probs = attention(q, k, v)
    np.random.seed(4)
    expected_result, expected_probs = torch_attention(*[torch.tensor(x.numpy()) for x in (q, k, v)], causal=causal,
                                                      drop=_dropout(0.5))
    dropped = (probs.numpy() == 0) & (probs_t.numpy() > 0)
    assert 0.3 < dropped.sum() / (probs_t.numpy() > 0).sum() < 0.7
    kept = probs.numpy() != 0
    np.testing.assert_allclose(probs.numpy()[kept], probs_t.numpy()[kept] / 0.5, **TOL)
    np.testing.assert_allclose(probs.numpy(), expected_probs.numpy(), **TOL)
    np.testing.assert_allclose(result.numpy(), expected_result.numpy(), **TOL)


@pytest.mark.hw4_attention
@pytest.mark.parametrize("device", DEVICES)
def test_multihead_attention_rejects_mismatched_shapes(device):
    q, k, _ = [_tensor(a, device) for a in _qkv(np.random.default_rng(5), dim=5)]
    v = _tensor(np.zeros((2, 3, 4, 7)), device)
    with pytest.raises(ValueError, match=r"\(2, 3, 4, 7\)"):
        nn.MultiHeadAttention(device=device)(q, k, v)
    with pytest.raises(ValueError, match=r"\(2, 4, 5\)"):
        nn.MultiHeadAttention(device=device)(q, k, _tensor(np.zeros((2, 4, 5)), device))


# --- AttentionLayer ------------------------------------------------------------------------


def _attention_params(layer):
    """The AttentionLayer's parameters by their course names, in creation order."""
    return [layer.prenorm_q.weight, layer.prenorm_q.bias, layer.prenorm_k.weight, layer.prenorm_k.bias,
            layer.prenorm_v.weight, layer.prenorm_v.bias, layer.q_projection.weight, layer.k_projection.weight,
            layer.v_projection.weight, layer.out_projection.weight]


ATTENTION_CASES = [  # (q_features, k_features, v_features, out_features, queries, keys); None: defaults / k = v = q
    (6, None, None, None, 5, None),
    (6, 4, 3, 7, 3, 5),
]


@pytest.mark.hw4_attention
@pytest.mark.parametrize("q_features,k_features,v_features,out_features,queries,keys", ATTENTION_CASES)
@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("device", DEVICES)
def test_attention_layer_matches_torch(q_features, k_features, v_features, out_features, queries, keys, causal,
                                       device):
    rng = np.random.default_rng(6)
    np.random.seed(6)
    num_head, dim_head, batch = 2, 3, 2
    layer = nn.AttentionLayer(q_features, num_head, dim_head, k_features=k_features, v_features=v_features,
                              out_features=out_features, causal=causal, device=device)
    _perturb_vectors(layer, rng)
    params_t = dict(zip(ATTENTION_PARAMS, _leaves(_attention_params(layer))))

    self_attention = keys is None
    shapes = [(batch, queries, q_features)]
    if not self_attention:
        shapes += [(batch, keys, k_features), (batch, keys, v_features)]
    arrays = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    inputs = [_tensor(a, device) for a in arrays]
    inputs_t = [torch.tensor(a, requires_grad=True) for a in arrays]

    y = layer(*inputs)
    q_t = inputs_t[0]
    k_t, v_t = (q_t, q_t) if self_attention else inputs_t[1:]
    y_t, probs_t = torch_attention_layer(q_t, k_t, v_t, params_t, num_head, dim_head, causal)
    assert y.shape == (batch, queries, out_features or q_features)
    np.testing.assert_allclose(y.numpy(), y_t.detach().numpy(), **TOL)
    assert layer.probs.shape == (batch, num_head, queries, queries if self_attention else keys)
    np.testing.assert_allclose(layer.probs.numpy(), probs_t.detach().numpy(), **TOL)

    _backward_both(y, y_t, rng, device)
    for x, x_t in zip(inputs, inputs_t):
        np.testing.assert_allclose(x.grad.numpy(), x_t.grad.numpy(), **GRAD_TOL)
    for name, p in zip(ATTENTION_PARAMS, _attention_params(layer)):
        assert p.grad is not None and p.grad.device == device, name
        np.testing.assert_allclose(p.grad.numpy(), params_t[name].grad.numpy(), err_msg=name, **GRAD_TOL)


@pytest.mark.hw4_attention
@pytest.mark.parametrize("device", DEVICES)
def test_attention_layer_parameters_order_shapes_and_draws(device):
    np.random.seed(7)
    layer = nn.AttentionLayer(6, 2, 3, k_features=4, v_features=5, out_features=7, dropout=0.25, device=device)
    params = layer.parameters()
    assert [id(p) for p in params] == [id(p) for p in _attention_params(layer)]
    assert [p.shape for p in params] == [(6,), (6,), (4,), (4,), (5,), (5,), (6, 6), (4, 6), (5, 6), (6, 7)]
    assert all(p.device == device for p in params)
    assert all(isinstance(m, nn.LayerNorm1d) for m in (layer.prenorm_q, layer.prenorm_k, layer.prenorm_v))
    projections = (layer.q_projection, layer.k_projection, layer.v_projection, layer.out_projection)
    assert all(m.bias is None for m in projections)
    assert isinstance(layer.attn, nn.MultiHeadAttention)
    assert layer.attn.causal is True and layer.attn.dropout.p == 0.25  # causal by default
    assert (layer.num_head, layer.dim_head) == (2, 3)
    assert (layer.q_features, layer.k_features, layer.v_features, layer.out_features) == (6, 4, 5, 7)

    # the projections are drawn from numpy's generator in the order q, k, v, out
    np.random.seed(7)
    expected = [init.kaiming_uniform(fan_in, 6) for fan_in in (6, 4, 5)] + [init.kaiming_uniform(6, 7)]
    for p, e in zip(params[6:], expected):
        np.testing.assert_array_equal(p.numpy(), e.numpy())

    defaults = nn.AttentionLayer(6, 2, 3)
    assert (defaults.k_features, defaults.v_features, defaults.out_features) == (6, 6, 6)


@pytest.mark.hw4_attention
@pytest.mark.parametrize("device", DEVICES)
def test_attention_layer_rejects_wrong_features(device):
    layer = nn.AttentionLayer(6, 2, 3, device=device)
    with pytest.raises(ValueError, match=r"\(2, 5, 4\)"):
        layer(_tensor(np.zeros((2, 5, 4)), device))


# --- TransformerLayer ----------------------------------------------------------------------


@pytest.mark.hw4_transformer
@pytest.mark.parametrize("dropout", [0.0, 0.2])
@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("device", DEVICES)
def test_transformer_layer_matches_torch(causal, dropout, device):
    rng = np.random.default_rng(8)
    np.random.seed(8)
    num_head, dim_head = 2, 3
    layer = nn.TransformerLayer(6, num_head, dim_head, 10, dropout=dropout, causal=causal, device=device)
    _perturb_vectors(layer, rng)
    params_t = dict(zip(LAYER_PARAMS, _leaves(layer.parameters())))
    x_np = rng.standard_normal((2, 5, 6)).astype(np.float32)
    x, x_t = _tensor(x_np, device), torch.tensor(x_np, requires_grad=True)

    np.random.seed(9)  # in training, dropout draws its masks in the order the formula applies them
    y = layer(x)
    np.random.seed(9)
    y_t = torch_transformer_layer(x_t, params_t, num_head, dim_head, causal, _dropout(dropout))
    assert y.shape == (2, 5, 6)
    np.testing.assert_allclose(y.numpy(), y_t.detach().numpy(), **TOL)

    _backward_both(y, y_t, rng, device)
    np.testing.assert_allclose(x.grad.numpy(), x_t.grad.numpy(), **GRAD_TOL)
    for name, p in zip(LAYER_PARAMS, layer.parameters()):
        assert p.grad is not None and p.grad.device == device, name
        np.testing.assert_allclose(p.grad.numpy(), params_t[name].grad.numpy(), err_msg=name, **GRAD_TOL)


@pytest.mark.hw4_transformer
@pytest.mark.parametrize("device", DEVICES)
def test_transformer_layer_eval_ignores_dropout(device):
    np.random.seed(10)
    layer = nn.TransformerLayer(6, 2, 3, 10, dropout=0.5, device=device).eval()
    np.random.seed(10)
    plain = nn.TransformerLayer(6, 2, 3, 10, dropout=0.0, device=device)
    x = _tensor(np.random.default_rng(10).standard_normal((2, 4, 6)), device)
    np.testing.assert_allclose(layer(x).numpy(), layer(x).numpy(), rtol=0, atol=0)
    np.testing.assert_allclose(layer(x).numpy(), plain(x).numpy(), **TOL)


@pytest.mark.hw4_transformer
@pytest.mark.parametrize("device", DEVICES)
def test_transformer_layer_parameters_order_shapes_and_draws(device):
    np.random.seed(11)
    layer = nn.TransformerLayer(6, 2, 3, 10, device=device)
    params = layer.parameters()
    assert [p.shape for p in params] == [(6,)] * 6 + [(6, 6)] * 4 + [(6,), (6,), (6, 10), (1, 10), (10, 6), (1, 6)]
    assert all(p.device == device for p in params)

    # the AttentionLayer is drawn first (causal by default), then linear1 and linear2, weight before bias
    np.random.seed(11)
    expected = nn.AttentionLayer(6, 2, 3).parameters() + nn.LayerNorm1d(6).parameters()
    expected += nn.Linear(6, 10).parameters() + nn.Linear(10, 6).parameters()
    for p, e in zip(params, expected):
        np.testing.assert_array_equal(p.numpy(), e.numpy())
    attentions = [m for m in layer.children() if isinstance(m, nn.AttentionLayer)]
    assert len(attentions) == 1 and attentions[0].attn.causal is True


@pytest.mark.hw4_transformer
@pytest.mark.parametrize("device", DEVICES)
def test_transformer_layer_rejects_wrong_features(device):
    with pytest.raises(ValueError, match=r"\(2, 5, 4\)"):
        nn.TransformerLayer(6, 2, 3, 10, device=device)(_tensor(np.zeros((2, 5, 4)), device))


# --- Transformer ---------------------------------------------------------------------------


def torch_transformer(x, embedding, layers, num_head, dim_head, causal, batch_first):
    if not batch_first:
        x = x.transpose(0, 1)
    x = x + embedding[:x.shape[1]][None]
    for p in layers:
        x = torch_transformer_layer(x, p, num_head, dim_head, causal)
    return x if batch_first else x.transpose(0, 1)


@pytest.mark.hw4_transformer
@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("device", DEVICES)
def test_transformer_matches_torch(batch_first, causal, device):
    rng = np.random.default_rng(12)
    np.random.seed(12)
    num_head, dim_head, seq_len, batch = 2, 3, 5, 2
    model = nn.Transformer(6, 10, 2, num_head=num_head, dim_head=dim_head, causal=causal, device=device,
                           batch_first=batch_first, sequence_len=8)
    _perturb_vectors(model, rng)
    params = model.parameters()
    assert len(params) == 1 + 2 * len(LAYER_PARAMS)
    leaves = _leaves(params)
    layers_t = [dict(zip(LAYER_PARAMS, leaves[1 + i * len(LAYER_PARAMS):1 + (i + 1) * len(LAYER_PARAMS)]))
                for i in range(2)]
    shape = (batch, seq_len, 6) if batch_first else (seq_len, batch, 6)
    x_np = rng.standard_normal(shape).astype(np.float32)
    x, x_t = _tensor(x_np, device), torch.tensor(x_np, requires_grad=True)

    out = model(x)
    assert isinstance(out, tuple) and len(out) == 2
    y, h = out
    y_t = torch_transformer(x_t, leaves[0], layers_t, num_head, dim_head, causal, batch_first)
    assert y.shape == shape and h.shape == shape and h.device == device
    np.testing.assert_array_equal(h.numpy(), np.zeros(shape, dtype=np.float32))
    np.testing.assert_allclose(y.numpy(), y_t.detach().numpy(), rtol=1e-4, atol=1e-4)

    _backward_both(y, y_t, rng, device)
    np.testing.assert_allclose(x.grad.numpy(), x_t.grad.numpy(), **GRAD_TOL)
    assert (params[0].grad.numpy()[seq_len:] == 0).all()  # only the positions used learn
    for i, (p, p_t) in enumerate(zip(params, leaves)):
        assert p.grad is not None and p.grad.device == device, i
        np.testing.assert_allclose(p.grad.numpy(), p_t.grad.numpy(), err_msg=f"parameter {i}", **GRAD_TOL)


@pytest.mark.hw4_transformer
@pytest.mark.parametrize("device", DEVICES)
def test_transformer_parameters_embedding_first(device):
    np.random.seed(13)
    model = nn.Transformer(6, 10, 2, num_head=2, dim_head=3, dropout=0.1, device=device, sequence_len=8)
    params = model.parameters()
    assert all(p.device == device for p in params)
    assert model.batch_first is False

    # the positional embedding is drawn first (standard normal), then the layers in order
    np.random.seed(13)
    expected = nn.Embedding(8, 6).parameters()
    for _ in range(2):
        expected += nn.TransformerLayer(6, 2, 3, 10, dropout=0.1).parameters()
    assert [p.shape for p in params] == [e.shape for e in expected]
    for p, e in zip(params, expected):
        np.testing.assert_array_equal(p.numpy(), e.numpy())

    layers = [m for m in model.children() if isinstance(m, nn.TransformerLayer)]
    assert len(layers) == 2 and sum(isinstance(m, nn.Embedding) for m in model.children()) == 1
    dropouts = [m for m in model.children() if isinstance(m, nn.Dropout)]
    assert dropouts and all(m.p == 0.1 for m in dropouts)


@pytest.mark.hw4_transformer
@pytest.mark.parametrize("device", DEVICES)
def test_transformer_defaults(device):
    np.random.seed(14)
    model = nn.Transformer(16, 8, 1, device=device)  # num_head=8, dim_head=32, causal, sequence_len=2048
    params = model.parameters()
    assert params[0].shape == (2048, 16)
    assert params[7].shape == (16, 8 * 32)  # q_projection: num_head * dim_head outputs
    attentions = [m for m in model.children() if isinstance(m, nn.MultiHeadAttention)]
    assert len(attentions) == 1 and attentions[0].causal is True


@pytest.mark.hw4_transformer
@pytest.mark.parametrize("device", DEVICES)
def test_transformer_rejects_wrong_features(device):
    model = nn.Transformer(6, 10, 1, num_head=2, dim_head=3, device=device, sequence_len=8)
    with pytest.raises(ValueError, match=r"\(5, 2, 4\)"):
        model(_tensor(np.zeros((5, 2, 4)), device))


@pytest.mark.hw4_transformer
@pytest.mark.parametrize("device", DEVICES)
def test_transformer_training_lowers_the_loss(device):
    """Fit the next position's input (a causal model can learn it only from the past)."""
    rng = np.random.default_rng(15)
    np.random.seed(15)
    model = nn.Transformer(6, 12, 1, num_head=2, dim_head=3, device=device, batch_first=True, sequence_len=8)
    optimizer = ndl.optim.Adam(model.parameters(), lr=0.01)
    x_np = rng.standard_normal((3, 6, 6)).astype(np.float32)
    x = _tensor(x_np, device, requires_grad=False)
    target = _tensor(np.roll(x_np, -1, axis=1), device, requires_grad=False)
    losses = []
    for _ in range(6):
        optimizer.reset_grad()
        y, _ = model(x)
        loss = ((y - target) ** 2).sum() / y.shape[0]
        loss.backward()
        optimizer.step()
        losses.append(float(loss.numpy()))
    assert losses[-1] < 0.9 * losses[0], losses
