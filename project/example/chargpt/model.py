"""CharGPT: a character-level GPT made of needle's own Transformer pieces, and its KV cache.

    token ids -> nn.Embedding + the learned positional embedding of nn.Transformer
              -> nn.Transformer's pre-norm TransformerLayers (causal) -> nn.LayerNorm1d -> nn.Linear -> logits

`forward` runs needle's nn.Transformer unchanged (training, and the reference for generation).
`forward_cached` runs the same layers, module by module, on new tokens only: each layer's keys
and values of earlier positions come from a KVCache instead of being recomputed. It mirrors
AttentionLayer.forward and TransformerLayer.forward in eval mode (no dropout: the model has none).
"""
from dataclasses import asdict, dataclass

import numpy as np

from ._needle import ndl, nn
from .corpus import VOCAB_SIZE


@dataclass(frozen=True)
class GPTConfig:
    vocab_size: int = VOCAB_SIZE
    embedding: int = 64     # width of the residual stream
    hidden: int = 256       # width of each layer's MLP
    layers: int = 2
    heads: int = 4
    head_dim: int = 16
    context: int = 64       # the longest sequence (size of the positional embedding); train on windows this long

    def to_dict(self) -> dict:
        return asdict(self)


class KVCache:
    """Keys and values of the positions seen so far, per layer: (batch, heads, context, head_dim)
    float32 buffers filled from the left; `length` positions are valid."""

    def __init__(self, config: GPTConfig, batch: int = 1):
        shape = (config.layers, batch, config.heads, config.context, config.head_dim)
        self.keys = np.zeros(shape, dtype=np.float32)
        self.values = np.zeros(shape, dtype=np.float32)
        self.length = 0
        self.context = config.context

    @property
    def nbytes(self) -> int:
        return self.keys.nbytes + self.values.nbytes


class CharGPT(nn.Module):
    def __init__(self, config: GPTConfig = GPTConfig(), device=None):
        super().__init__()
        self.config = config
        self.device = device or ndl.cpu()
        c = config
        self.token_embedding = nn.Embedding(c.vocab_size, c.embedding, device=self.device)
        self.transformer = nn.Transformer(c.embedding, c.hidden, c.layers, num_head=c.heads, dim_head=c.head_dim,
                                          causal=True, batch_first=True, sequence_len=c.context, device=self.device)
        self.norm = nn.LayerNorm1d(c.embedding, device=self.device)
        self.head = nn.Linear(c.embedding, c.vocab_size, device=self.device)

    def _ids(self, ids) -> ndl.Tensor:
        ids = np.asarray(ids)
        if ids.ndim != 2:
            raise ValueError(f"CharGPT: expected token ids of shape (batch, length), got shape {ids.shape}")
        return ndl.Tensor(ids.astype(np.float32), device=self.device, requires_grad=False)

    def _logits(self, x) -> ndl.Tensor:
        batch, length, features = x.shape
        return self.head(self.norm(x.reshape((batch * length, features))))

    def forward(self, ids) -> ndl.Tensor:
        """Logits (batch * length, vocab) for token ids (batch, length), every position at once."""
        x = self.token_embedding(self._ids(ids))  # the Embedding looks up any 2-D array of ids
        x, _ = self.transformer(x)
        return self._logits(x)

    def forward_cached(self, ids, cache: KVCache) -> ndl.Tensor:
        """Logits (batch * length, vocab) for new token ids (batch, length) that follow the
        `cache.length` positions in `cache`; their keys and values are appended to it."""
        ids = self._ids(ids)
        batch, length = ids.shape
        start = cache.length
        if start + length > cache.context:
            raise ValueError(f"CharGPT: {start} cached + {length} new positions exceed the context of "
                             f"{cache.context}")
        x = self.token_embedding(ids)
        positions = ndl.Tensor(np.arange(start, start + length, dtype=np.float32).reshape((length, 1)),
                               device=self.device, requires_grad=False)
        position_vectors = self.transformer.positional_embedding(positions)  # (length, 1, embedding)
        x = x + position_vectors.reshape((1, length, self.config.embedding)).broadcast_to(x.shape)
        for index, layer in enumerate(self.transformer.layers.modules):
            x = self._layer_cached(layer, x, cache, index)
        cache.length = start + length
        return self._logits(x)

    def _layer_cached(self, layer, x, cache: KVCache, index: int):
        """TransformerLayer.forward, with the attention's keys and values read from the cache."""
        attention = layer.attn
        batch, length, features = x.shape
        heads, head_dim = attention.num_head, attention.dim_head
        flat = x.reshape((batch * length, features))

        def split_heads(norm, projection):
            y = projection(norm(flat)).reshape((batch, length, heads, head_dim))
            return y.transpose((1, 2))  # (batch, heads, length, head_dim)

        start, end = cache.length, cache.length + length
        queries = split_heads(attention.prenorm_q, attention.q_projection)
        cache.keys[index, :, :, start:end] = split_heads(attention.prenorm_k, attention.k_projection).numpy()
        cache.values[index, :, :, start:end] = split_heads(attention.prenorm_v, attention.v_projection).numpy()
        keys = ndl.Tensor(cache.keys[index, :, :, :end], device=self.device, requires_grad=False)
        values = ndl.Tensor(cache.values[index, :, :, :end], device=self.device, requires_grad=False)
        attended, _ = attention.attn(queries, keys, values)  # causal: query i sees keys <= start + i
        merged = attended.transpose((1, 2)).reshape((batch * length, heads * head_dim))
        x = x + attention.out_projection(merged).reshape((batch, length, features))

        flat = x.reshape((batch * length, features))
        hidden = layer.relu(layer.linear1(layer.norm(flat)))
        return x + layer.linear2(hidden).reshape((batch, length, features))
