"""The Transformer: multi-head attention, the pre-norm attention layer, the Transformer layer
and a stack of them with learned positional embeddings (Vaswani et al. 2017).

Tensors run batch first inside: (batch, seq_len, features) for layers, and
(batch, num_head, seq_len, dim_head) for the attention heads.
"""
import numpy as np

import needle.init as init
from needle import ops
from needle.autograd import Tensor

from .nn_basic import Dropout, LayerNorm1d, Linear, Module, ReLU, Sequential
from .nn_sequence import Embedding


class MultiHeadAttention(Module):
    """Scaled dot-product attention, computed for every head at once:
        probs = softmax(q k^T / sqrt(q_dim) + mask),   result = dropout(probs) v

    With `causal`, query i may only look at keys j <= i + (keys_len - queries_len): the
    mask is the most negative float32 above that diagonal (so exp gives exactly 0), 0 elsewhere.

    Args:
        dropout: probability of zeroing an attention probability in training (default 0).
        causal: whether to hide later keys from each query (default False).

    Shape: q is (batch, num_head, queries_len, q_dim), k and v are (batch, num_head,
    keys_values_len, q_dim); result is (batch, num_head, queries_len, q_dim) and probs is
    (batch, num_head, queries_len, keys_values_len).

    Example:
        >>> q = Tensor(numpy.ones((2, 4, 5, 8)))
        >>> result, probs = MultiHeadAttention(causal=True)(q, q, q)
        >>> result.shape, probs.shape
        ((2, 4, 5, 8), (2, 4, 5, 5))
    """

    def __init__(self, *, dropout=0.0, causal=False, device=None, dtype="float32"):
        super().__init__()
        self.device = device
        self.dtype = dtype
        self.causal = causal
        self.dropout = Dropout(dropout)

    def create_causal_mask(self, i, j, device):
        """A constant (1, 1, i, j) Tensor: the lowest float32 where key > query + (j - i), else 0."""
        mask = -np.finfo(np.float32).max * np.triu(np.ones((1, 1, i, j), dtype=np.float32), j - i + 1)
        return Tensor(mask, device=device, dtype="float32", requires_grad=False)

    def matmul(self, a, b_transpose):
        """a @ b_transpose^T over the last two axes, batch axes alike: (..., i, d), (..., j, d) -> (..., i, j)."""
        return ops.matmul(a, ops.transpose(b_transpose))

    def softmax(self, logit):
        """softmax over the last axis; the row maximum is subtracted first so that exp cannot
        overflow (a constant: softmax does not change when every logit in a row moves together)."""
        max_val = Tensor(logit.realize_cached_data().max(axis=len(logit.shape) - 1, keepdims=True),
                         device=logit.device, dtype=logit.dtype, requires_grad=False)
        probs = ops.exp(logit - max_val.broadcast_to(logit.shape))
        denom = probs.sum(axes=len(logit.shape) - 1).reshape((*logit.shape[:-1], 1))
        return probs / denom.broadcast_to(logit.shape)

    def forward(self, q, k, v):
        """Return `(result, probs)`: the attended values and the (dropped-out) attention probabilities."""
        for name, x in (("q", q), ("k", k), ("v", v)):
            if len(x.shape) != 4:
                raise ValueError(f"MultiHeadAttention: expected {name} of shape (batch, num_head, len, dim), "
                                 f"got shape {x.shape}")
        if q.shape[:2] != k.shape[:2] or k.shape[:3] != v.shape[:3] or not q.shape[3] == k.shape[3] == v.shape[3]:
            raise ValueError(f"MultiHeadAttention: q, k, v must share batch, num_head and dim, and k, v their "
                             f"length; got shapes {q.shape}, {k.shape}, {v.shape}")
        batch_size, num_head, queries_len, q_dim = q.shape
        keys_values_len = k.shape[2]
        ### BEGIN YOUR SOLUTION
        scores = self.matmul(q, k) / np.sqrt(q_dim)
        if self.causal:
            mask = self.create_causal_mask(queries_len, keys_values_len, q.device)
            scores = scores + mask.broadcast_to(scores.shape)
        probs = self.dropout(self.softmax(scores))
        result = probs @ v
        ### END YOUR SOLUTION
        return result, probs


class AttentionLayer(Module):
    """Pre-norm multi-head attention: normalize q, k and v, project each to num_head heads of
    dim_head features, attend, merge the heads and project to out_features:
        result = concat_h(attn(LN(q) W_q^h, LN(k) W_k^h, LN(v) W_v^h)) W_out

    Args:
        q_features: features of each query.
        num_head: number of heads.
        dim_head: features of each head.
        k_features, v_features, out_features: default to q_features.
        dropout: dropout on the attention probabilities (default 0).
        causal: whether each query sees only earlier positions (default True).

    Shape: q is (batch, queries_len, q_features); k and v (default q) are (batch,
    keys_values_len, k_features / v_features); the result is (batch, queries_len,
    out_features), and `self.probs` keeps the (batch, num_head, queries_len,
    keys_values_len) attention probabilities. Parameters are created in this order:
    prenorm_q, prenorm_k, prenorm_v, q_projection, k_projection, v_projection, out_projection.

    Example:
        >>> layer = AttentionLayer(16, num_head=2, dim_head=8)
        >>> layer(Tensor(numpy.ones((3, 5, 16)))).shape
        (3, 5, 16)
    """

    def __init__(self, q_features: int, num_head: int, dim_head: int, *, k_features: int = None,
                 v_features: int = None, out_features: int = None, dropout=0.0, causal=True,
                 device=None, dtype="float32"):
        super().__init__()
        self.device = device
        self.dtype = dtype
        k_features = q_features if k_features is None else k_features
        v_features = q_features if v_features is None else v_features
        out_features = q_features if out_features is None else out_features
        self.q_features = q_features
        self.k_features = k_features
        self.v_features = v_features
        self.out_features = out_features
        self.num_head = num_head
        self.dim_head = dim_head
        self.probs = None

        self.prenorm_q = LayerNorm1d(q_features, device=device, dtype=dtype)
        self.prenorm_k = LayerNorm1d(k_features, device=device, dtype=dtype)
        self.prenorm_v = LayerNorm1d(v_features, device=device, dtype=dtype)

        inner_dim = num_head * dim_head
        self.q_projection = Linear(q_features, inner_dim, bias=False, device=device, dtype=dtype)
        self.k_projection = Linear(k_features, inner_dim, bias=False, device=device, dtype=dtype)
        self.v_projection = Linear(v_features, inner_dim, bias=False, device=device, dtype=dtype)

        self.attn = MultiHeadAttention(dropout=dropout, causal=causal, device=device, dtype=dtype)

        self.out_projection = Linear(inner_dim, out_features, bias=False, device=device, dtype=dtype)

    def forward(self, q, k=None, v=None):
        """Attend from q to k and v (self-attention when they are left out)."""
        k = q if k is None else k
        v = q if v is None else v
        for name, x, features in (("q", q, self.q_features), ("k", k, self.k_features), ("v", v, self.v_features)):
            if len(x.shape) != 3 or x.shape[-1] != features:
                raise ValueError(f"AttentionLayer: expected {name} of shape (batch, len, {features}), "
                                 f"got shape {x.shape}")
        if q.shape[0] != k.shape[0] or k.shape[:2] != v.shape[:2]:
            raise ValueError(f"AttentionLayer: q, k, v must share the batch size, and k, v their length; "
                             f"got shapes {q.shape}, {k.shape}, {v.shape}")
        batch_size, queries_len, q_dim = q.shape
        _, keys_values_len, k_dim = k.shape
        _, _, v_dim = v.shape
        ### BEGIN YOUR SOLUTION
        def heads(x, norm, projection):
            """(batch, len, features) -> (batch, num_head, len, dim_head)."""
            batch, length, features = x.shape
            x = projection(norm(x.reshape((batch * length, features))))
            return x.reshape((batch, length, self.num_head, self.dim_head)).transpose((1, 2))

        q_heads = heads(q, self.prenorm_q, self.q_projection)
        k_heads = heads(k, self.prenorm_k, self.k_projection)
        v_heads = heads(v, self.prenorm_v, self.v_projection)
        attended, self.probs = self.attn(q_heads, k_heads, v_heads)
        merged = attended.transpose((1, 2)).reshape((batch_size * queries_len, self.num_head * self.dim_head))
        result = self.out_projection(merged).reshape((batch_size, queries_len, self.out_features))
        ### END YOUR SOLUTION
        return result


class TransformerLayer(Module):
    """One pre-norm Transformer layer: self-attention, then a two-layer ReLU MLP, each added
    back to its input:
        x = x + dropout(attn(x))
        x = x + dropout(linear2(dropout(relu(linear1(norm(x))))))

    Args:
        q_features: features of each position.
        num_head, dim_head: the attention heads (see AttentionLayer).
        hidden_size: width of the MLP.
        dropout: dropout probability, in the attention and the MLP (default 0).
        causal: whether each position sees only earlier ones (default True).

    Shape: x is (batch, seq_len, q_features), and so is the output. Parameters are created
    in this order: the AttentionLayer's, the LayerNorm1d's, linear1's, linear2's.

    Example:
        >>> layer = TransformerLayer(16, num_head=2, dim_head=8, hidden_size=32)
        >>> layer(Tensor(numpy.ones((3, 5, 16)))).shape
        (3, 5, 16)
    """

    def __init__(self, q_features: int, num_head: int, dim_head: int, hidden_size: int, *, dropout=0.0,
                 causal=True, device=None, dtype="float32"):
        super().__init__()
        self.device = device
        self.dtype = dtype
        self.q_features = q_features
        ### BEGIN YOUR SOLUTION
        self.attn = AttentionLayer(q_features, num_head, dim_head, dropout=dropout, causal=causal,
                                   device=device, dtype=dtype)
        self.norm = LayerNorm1d(q_features, device=device, dtype=dtype)
        self.linear1 = Linear(q_features, hidden_size, device=device, dtype=dtype)
        self.linear2 = Linear(hidden_size, q_features, device=device, dtype=dtype)
        self.dropout = Dropout(dropout)
        self.relu = ReLU()
        ### END YOUR SOLUTION

    def forward(self, x):
        if len(x.shape) != 3 or x.shape[-1] != self.q_features:
            raise ValueError(f"TransformerLayer: expected input of shape (batch, seq_len, {self.q_features}), "
                             f"got shape {x.shape}")
        batch_size, seq_len, x_dim = x.shape
        ### BEGIN YOUR SOLUTION
        x = x + self.dropout(self.attn(x))
        flat = x.reshape((batch_size * seq_len, x_dim))
        hidden = self.dropout(self.relu(self.linear1(self.norm(flat))))
        x = x + self.dropout(self.linear2(hidden)).reshape((batch_size, seq_len, x_dim))
        ### END YOUR SOLUTION
        return x


class Transformer(Module):
    """A stack of `num_layers` TransformerLayers over inputs with a learned positional embedding
    added: x + Embedding(position). Returns `(output, zeros)`, like the RNN and LSTM's
    `(output, h)`, so that a language model can use any of them.

    Args:
        embedding_size: features of each position (input and output).
        hidden_size: width of each layer's MLP.
        num_layers: number of TransformerLayers.
        num_head: heads per layer (default 8).
        dim_head: features per head (default 32).
        dropout: dropout probability (default 0).
        causal: whether each position sees only earlier ones (default True).
        batch_first: inputs are (batch, seq_len, embedding_size) if True, else (seq_len,
            batch, embedding_size) (default False).
        sequence_len: the longest sequence, the size of the positional embedding (default 2048).

    Shape: the output has the input's shape. The positional embedding
    (sequence_len, embedding_size) is created before the layers.

    Example:
        >>> model = Transformer(16, 32, 2, num_head=2, dim_head=8)
        >>> output, h = model(Tensor(numpy.ones((5, 3, 16))))
        >>> output.shape
        (5, 3, 16)
    """

    def __init__(self, embedding_size: int, hidden_size: int, num_layers: int, *, num_head: int = 8,
                 dim_head: int = 32, dropout=0.0, causal=True, device=None, dtype="float32",
                 batch_first=False, sequence_len=2048):
        super().__init__()
        self.device = device
        self.dtype = dtype
        self.batch_first = batch_first
        self.embedding_size = embedding_size
        self.sequence_len = sequence_len
        ### BEGIN YOUR SOLUTION
        self.positional_embedding = Embedding(sequence_len, embedding_size, device=device, dtype=dtype)
        self.layers = Sequential(*[
            TransformerLayer(embedding_size, num_head, dim_head, hidden_size, dropout=dropout, causal=causal,
                             device=device, dtype=dtype)
            for _ in range(num_layers)
        ])
        ### END YOUR SOLUTION

    def forward(self, x, h=None):
        """Return `(output, zeros_like(output))`; `h` is ignored (a Transformer keeps no state)."""
        layout = "(batch, seq_len, features)" if self.batch_first else "(seq_len, batch, features)"
        if len(x.shape) != 3 or x.shape[-1] != self.embedding_size:
            raise ValueError(f"Transformer: expected input of shape {layout} with {self.embedding_size} "
                             f"features, got shape {x.shape}")
        seq_len = x.shape[1] if self.batch_first else x.shape[0]
        if seq_len > self.sequence_len:
            raise ValueError(f"Transformer: sequence length {seq_len} exceeds sequence_len={self.sequence_len} "
                             f"(input shape {x.shape})")
        if not self.batch_first:
            x = ops.transpose(x, axes=(0, 1))
        ### BEGIN YOUR SOLUTION
        batch_size, seq_len, embedding_size = x.shape
        positions = Tensor(np.arange(seq_len, dtype=np.float32).reshape((seq_len, 1)), device=x.device,
                           dtype="float32", requires_grad=False)
        embedded = self.positional_embedding(positions)  # (seq_len, 1, embedding_size)
        embedded = embedded.reshape((1, seq_len, embedding_size)).broadcast_to(x.shape)
        x = self.layers(x + embedded)
        ### END YOUR SOLUTION
        if not self.batch_first:
            x = ops.transpose(x, axes=(0, 1))
        return x, init.zeros_like(x)
