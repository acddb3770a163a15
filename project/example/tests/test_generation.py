"""Generation with the KV cache against full recomputation, token by token."""
import numpy as np
import pytest
from chargpt.generation import Sampler, generate
from chargpt.model import CharGPT, GPTConfig, KVCache

# Stated bound: the logits a token is drawn from differ by at most this between the two paths
# (float32 sums in another order); the tokens themselves must be identical.
LOGIT_TOLERANCE = 1e-4


@pytest.mark.parametrize("sampler", [Sampler(temperature=0), Sampler(temperature=1.0, top_k=10, seed=3)],
                         ids=["greedy", "top-k"])
def test_cached_generation_equals_full_recomputation(trained, sampler):
    model, _ = trained
    assert model.config.context == 32
    prompt = [int(i) for i in np.random.default_rng(0).integers(0, model.config.vocab_size, size=5)]
    cached_trace, full_trace = [], []
    # 70 new tokens on a context of 32: the model resets twice on the way, both paths alike
    cached = generate(model, prompt, 70, Sampler(sampler.temperature, sampler.top_k, sampler.seed), True,
                      cached_trace)
    full = generate(model, prompt, 70, Sampler(sampler.temperature, sampler.top_k, sampler.seed), False, full_trace)
    assert cached == full
    for step, (a, b) in enumerate(zip(cached_trace, full_trace)):
        assert np.abs(a - b).max() <= LOGIT_TOLERANCE, f"token {step}"


def test_prefill_in_chunks_gives_the_logits_of_one_forward_pass(trained):
    model, _ = trained
    ids = np.random.default_rng(1).integers(0, model.config.vocab_size, size=(2, 20))
    full = model(ids).numpy().reshape(2, 20, -1)
    cache = KVCache(model.config, batch=2)
    parts = [model.forward_cached(ids[:, a:b], cache).numpy().reshape(2, b - a, -1)
             for a, b in ((0, 7), (7, 8), (8, 20))]
    np.testing.assert_allclose(np.concatenate(parts, axis=1), full, atol=LOGIT_TOLERANCE)
    assert cache.length == 20


def test_the_cache_refuses_to_overflow_the_context():
    config = GPTConfig(embedding=16, hidden=16, layers=1, heads=2, head_dim=8, context=32)
    model = CharGPT(config)
    cache = KVCache(config)
    model.forward_cached(np.zeros((1, config.context)), cache)
    with pytest.raises(ValueError, match="exceed the context of 32"):
        model.forward_cached(np.zeros((1, 1)), cache)


def test_sampler_settings_are_checked_and_seeded():
    with pytest.raises(ValueError, match="temperature"):
        Sampler(temperature=-1)
    with pytest.raises(ValueError, match="top_k"):
        Sampler(top_k=0)
    logits = np.array([0.0, 5.0, 4.9, -3.0])
    assert {Sampler(1.0, top_k=2, seed=s).pick(logits) for s in range(30)} == {1, 2}
    assert [Sampler(1.0, seed=7).pick(logits) for _ in range(3)] == [Sampler(1.0, seed=7).pick(logits)] * 3
