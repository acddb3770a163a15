"""Int8 weight-only quantization against float32, with numpy as the oracle."""
import math

import numpy as np
from chargpt._needle import ndl, nn
from chargpt.checkpoint import load, save
from chargpt.corpus import random_windows
from chargpt.quantize import Int8Linear, quantize_model, quantize_weight, weight_bytes
from chargpt.train import evaluate

# Stated margin: the int8 model's validation perplexity is within 2% of the float model's.
PERPLEXITY_MARGIN = 0.02


def test_quantize_weight_rounds_each_column_to_its_own_scale():
    rng = np.random.default_rng(0)
    weight = rng.normal(size=(48, 24)).astype(np.float32) * rng.uniform(0.01, 10, size=24).astype(np.float32)
    weight[:, 3] = 0.0
    q, scale = quantize_weight(weight)
    assert q.dtype == np.int8 and scale.shape == (24,)
    assert np.abs(q).max(axis=0)[np.arange(24) != 3].min() == 127  # each column uses its full range
    error = np.abs(q * scale - weight)
    assert (error <= scale / 2 * (1 + 1e-6)).all()
    assert (q[:, 3] == 0).all()


def test_quantized_matmul_is_within_the_rounding_bound_of_float():
    """|x W - (x q) scale| <= scale / 2 * sum_i |x_i| per output, plus float32 rounding."""
    np.random.seed(0)
    linear = nn.Linear(64, 40, device=ndl.cpu())
    x = np.random.default_rng(1).normal(size=(16, 64)).astype(np.float32)
    exact = x.astype(np.float64) @ linear.weight.numpy().astype(np.float64) + linear.bias.numpy()
    quantized = Int8Linear.from_linear(linear)
    got = quantized(ndl.Tensor(x, device=ndl.cpu())).numpy()
    bound = np.abs(x).sum(axis=1, keepdims=True) * quantized.scale / 2
    assert (np.abs(got - exact) <= bound + 1e-4).all()
    # and the bound is not vacuous: the error is a small fraction of the outputs
    assert np.abs(got - exact).max() < 0.02 * np.abs(exact).max()


def test_quantize_model_replaces_every_linear_and_shrinks_the_weights(trained, tmp_path):
    model, _ = trained
    copy = load(save(model, tmp_path / "m.npz"))
    linears = [m for m in copy.children() if isinstance(m, nn.Linear)]
    float_bytes = weight_bytes(copy)
    quantize_model(copy)
    assert not [m for m in copy.children() if isinstance(m, nn.Linear)]
    assert len([m for m in copy.children() if isinstance(m, Int8Linear)]) == len(linears) == 13
    linear_bytes = sum(m.weight.numpy().nbytes for m in linears)
    assert weight_bytes(copy) == float_bytes - linear_bytes + linear_bytes // 4 + sum(4 * m.out_features
                                                                                      for m in linears)


def test_int8_perplexity_is_within_the_margin_of_float(trained, corpus, tmp_path):
    model, history = trained
    windows = random_windows(corpus.validation, 64, 32, np.random.default_rng(5))
    float_loss = evaluate(model, windows)
    quantized = load(save(model, tmp_path / "m.npz"))
    quantize_model(quantized)
    int8_loss = evaluate(quantized, windows)
    assert float_loss < history["unigram_loss"]  # a model that has learnt something
    assert abs(math.exp(int8_loss) / math.exp(float_loss) - 1) <= PERPLEXITY_MARGIN, (float_loss, int8_loss)
    assert int8_loss != float_loss  # the quantized path really ran
