"""Sampling text from a CharGPT, with the KV cache or by recomputing every position.

Both paths follow one rule for a long generation: the model sees the tokens since its last
reset; when they fill the context, it keeps the last half and goes on. So with one seed the two
paths must produce the same text, which the tests check token by token.
"""
from dataclasses import dataclass, field

import numpy as np

from .model import CharGPT, KVCache


@dataclass
class Sampler:
    """temperature 0 picks the most likely token; top_k keeps the k most likely before sampling."""

    temperature: float = 0.8
    top_k: int | None = None
    seed: int = 0
    rng: np.random.Generator = field(init=False)

    def __post_init__(self):
        if self.temperature < 0:
            raise ValueError(f"temperature must be >= 0, got {self.temperature}")
        if self.top_k is not None and self.top_k < 1:
            raise ValueError(f"top_k must be >= 1, got {self.top_k}")
        self.rng = np.random.default_rng(self.seed)

    def pick(self, logits: np.ndarray) -> int:
        logits = logits.astype(np.float64)
        if self.temperature == 0:
            return int(np.argmax(logits))
        logits = logits / self.temperature
        if self.top_k is not None and self.top_k < len(logits):
            cutoff = np.partition(logits, -self.top_k)[-self.top_k]
            logits = np.where(logits >= cutoff, logits, -np.inf)
        probs = np.exp(logits - logits.max())
        return int(self.rng.choice(len(probs), p=probs / probs.sum()))


def generate(model: CharGPT, prompt: list[int], new_tokens: int, sampler: Sampler, use_cache: bool = True,
             trace: list | None = None) -> list[int]:
    """`prompt` followed by `new_tokens` sampled ids. `trace`, when given, receives the logits
    each new token was drawn from (for the tests)."""
    context = model.config.context
    if not prompt:
        raise ValueError("generate: the prompt must hold at least one token")
    tokens = list(prompt)
    visible = tokens[-context:]  # what the model sees since its last reset
    cache = KVCache(model.config) if use_cache else None
    pending = visible  # tokens the cache has not seen yet
    for _ in range(new_tokens):
        if use_cache:
            logits = model.forward_cached(np.array([pending]), cache).numpy()[-1]
        else:
            logits = model(np.array([visible])).numpy()[-1]
        if trace is not None:
            trace.append(logits)
        token = sampler.pick(logits)
        tokens.append(token)
        visible = visible + [token]
        pending = [token]
        if len(visible) > context:  # reset: keep the last half of the context
            visible = visible[-(context // 2):]
            cache = KVCache(model.config) if use_cache else None
            pending = visible
    return tokens
