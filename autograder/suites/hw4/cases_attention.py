"""hw4 attention: nn.MultiHeadAttention (scaled dot-product attention over every head at once,
with a causal mask and dropout on the probabilities) and nn.AttentionLayer (pre-norm q, k, v,
projections to heads, attention, merged heads projected out).

MultiHeadAttention is graded on q, k, v of the suite's own: the result, the probabilities,
and the gradients of a weighted sum of both for q, k and v; causally with as many keys as
queries and with more keys than queries (query i sees keys j <= i + keys - queries), and
with dropout, whose mask is one draw from numpy's global generator after `np.random.seed`.
AttentionLayer is built right after `np.random.seed`; its parameters come from given code
(the LayerNorms, then the q, k, v and out projections), so only its forward and backward are
graded: the result, `probs`, and the gradients for q, k, v and every parameter (through
`report_fingerprints`).

Tolerances: rtol = atol = 1e-4 (float32 softmax of scores up to ~10, however the row maximum is
taken out; LayerNorm over at most 8 features; sums of at most 24 products).
"""
import numpy as np

from dlsys_harness import case, report
from _hw4 import device, f64, normal, report_fingerprints, tensor
from _sequence import weighted_sum

ATTENTION = dict(rtol=1e-4, atol=1e-4, timeout=30)


def _attend(dev, prefix, seed, attention, q_shape, kv_len, backward=True):
    """Report attention(q, k, v)'s result and probs on fixed inputs, and the gradients of a
    weighted sum of both for q, k and v."""
    batch, heads, _, dim = q_shape
    q = tensor(normal(seed, *q_shape, scale=1.5), dev)
    k = tensor(normal(seed + 1, batch, heads, kv_len, dim, scale=1.5), dev)
    v = tensor(normal(seed + 2, batch, heads, kv_len, dim), dev)
    result, probs = attention(q, k, v)
    report(f"{prefix}_result", f64(result))
    report(f"{prefix}_probs", f64(probs))
    if backward:
        weighted_sum(dev, seed + 3, result, probs).backward()
        for name, t in (("q", q), ("k", k), ("v", v)):
            report(f"{prefix}_{name}_grad", f64(t.grad))


@case(part="attention", points=3, **ATTENTION)
def multihead_attention_not_causal(device_name):
    import needle.nn as nn

    dev = device(device_name)
    attention = nn.MultiHeadAttention(device=dev)
    _attend(dev, "self", 6101, attention, (2, 3, 5, 4), 5)
    _attend(dev, "more_keys", 6111, attention, (1, 2, 3, 6), 7)
    _attend(dev, "one_query", 6121, attention, (2, 1, 1, 3), 4)


@case(part="attention", points=2, **ATTENTION)
def multihead_attention_causal(device_name):
    import needle.nn as nn

    dev = device(device_name)
    attention = nn.MultiHeadAttention(causal=True, device=dev)
    _attend(dev, "square", 6131, attention, (2, 2, 6, 4), 6)
    _attend(dev, "more_keys", 6141, attention, (1, 3, 3, 5), 5)  # query i sees keys 0 .. i + 2


@case(part="attention", points=1, **ATTENTION)
def multihead_attention_dropout(device_name):
    import needle.nn as nn

    dev = device(device_name)
    attention = nn.MultiHeadAttention(dropout=0.4, causal=True, device=dev)
    np.random.seed(6151)
    _attend(dev, "train", 6152, attention, (2, 2, 4, 3), 4, backward=False)
    attention.eval()
    _attend(dev, "eval", 6152, attention, (2, 2, 4, 3), 4, backward=False)


def _layer_outputs(dev, prefix, layer, seed, q, k=None, v=None):
    """Report the layer's result and probs, and the gradients of a weighted sum of the result
    for the inputs given and for every parameter."""
    inputs = [tensor(normal(seed + i, *shape), dev) for i, shape in enumerate(s for s in (q, k, v) if s)]
    result = layer(*inputs)
    report(f"{prefix}_result", f64(result))
    report(f"{prefix}_probs", f64(layer.probs))
    weighted_sum(dev, seed + 5, result).backward()
    for name, t in zip("qkv", inputs):
        report(f"{prefix}_{name}_grad", f64(t.grad))
    report_fingerprints(f"{prefix}_parameter_gradients", (p.grad for p in layer.parameters()))


@case(part="attention", points=2, **ATTENTION)
def attention_layer_self_attention(device_name):
    import needle.nn as nn

    dev = device(device_name)
    np.random.seed(6161)
    causal = nn.AttentionLayer(8, 2, 3, device=dev)  # causal by default
    _layer_outputs(dev, "causal", causal, 6162, (2, 5, 8))
    np.random.seed(6171)
    open_layer = nn.AttentionLayer(6, 3, 4, causal=False, device=dev)
    _layer_outputs(dev, "not_causal", open_layer, 6172, (3, 4, 6))


@case(part="attention", points=2, **ATTENTION)
def attention_layer_cross_attention(device_name):
    import needle.nn as nn

    dev = device(device_name)
    np.random.seed(6181)
    layer = nn.AttentionLayer(6, 3, 2, k_features=5, v_features=4, out_features=7, causal=False, device=dev)
    _layer_outputs(dev, "cross", layer, 6182, (2, 3, 6), (2, 5, 5), (2, 5, 4))
    np.random.seed(6191)
    causal = nn.AttentionLayer(4, 2, 3, k_features=3, causal=True, device=dev)
    _layer_outputs(dev, "causal_cross", causal, 6192, (1, 3, 4), (1, 6, 3), (1, 6, 4))
