"""Sequence modules: the Elman RNN and the LSTM (a cell for one time step, a layer stack
unrolled over the sequence), and the Embedding that turns word indices into vectors.

Weights are stored transposed with respect to PyTorch's, so that a batch of rows is
multiplied on the left: `X @ W_ih` with W_ih of shape (input_size, k * hidden_size).
"""
import math

import needle.init as init
from needle import ops
from needle.autograd import Tensor

from .nn_basic import Module, Parameter

_NONLINEARITIES = ("tanh", "relu")


def _check_shape(module: str, what: str, x: Tensor, expected: tuple):
    """Name the expected and the received shape; a name (a str) in `expected` matches any size."""
    if len(x.shape) != len(expected) or any(isinstance(e, int) and e != got for e, got in zip(expected, x.shape)):
        shown = "(" + ", ".join(str(e) for e in expected) + ")"
        raise ValueError(f"{module}: expected {what} of shape {shown}, got shape {x.shape}")


def _unstack(x: Tensor, axis: int) -> list:
    """The slices of `x` along `axis` as a list of Tensors (ops.split, taken apart)."""
    pieces = ops.split(x, axis)
    return [pieces[i] for i in range(x.shape[axis])]


class Sigmoid(Module):
    """1 / (1 + exp(-x)), elementwise."""

    def forward(self, x: Tensor) -> Tensor:
        ### BEGIN YOUR SOLUTION
        return ops.sigmoid(x)
        ### END YOUR SOLUTION


class RNNCell(Module):
    """One step of an Elman RNN:
        h' = nonlinearity(X @ W_ih + bias_ih + h @ W_hh + bias_hh)

    Args:
        input_size: features of the input X.
        hidden_size: features of the hidden state h.
        bias: whether to add bias_ih and bias_hh (default True).
        nonlinearity: "tanh" (default) or "relu".

    Shape: X is (bs, input_size); h and h' are (bs, hidden_size), h zeros when None.
    `W_ih` (input_size, hidden_size), `W_hh` (hidden_size, hidden_size), `bias_ih` and
    `bias_hh` (hidden_size,) are uniform on +-sqrt(1 / hidden_size), drawn in that order.

    Example:
        >>> cell = RNNCell(10, 20)
        >>> cell(Tensor(numpy.zeros((4, 10)))).shape
        (4, 20)
    """

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None, dtype="float32"):
        super().__init__()
        if nonlinearity not in _NONLINEARITIES:
            raise ValueError(f"RNNCell: unknown nonlinearity {nonlinearity!r}, choose one of {_NONLINEARITIES}")
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.nonlinearity = nonlinearity
        ### BEGIN YOUR SOLUTION
        bound = math.sqrt(1 / hidden_size)
        uniform = dict(low=-bound, high=bound, device=device, dtype=dtype)
        self.W_ih = Parameter(init.rand(input_size, hidden_size, **uniform))
        self.W_hh = Parameter(init.rand(hidden_size, hidden_size, **uniform))
        self.bias_ih = self.bias_hh = None
        if bias:
            self.bias_ih = Parameter(init.rand(hidden_size, **uniform))
            self.bias_hh = Parameter(init.rand(hidden_size, **uniform))
        ### END YOUR SOLUTION

    def forward(self, X: Tensor, h: Tensor = None) -> Tensor:
        _check_shape("RNNCell", "input", X, ("batch", self.input_size))
        if h is not None:
            _check_shape("RNNCell", "hidden state", h, (X.shape[0], self.hidden_size))
        ### BEGIN YOUR SOLUTION
        batch = X.shape[0]
        if h is None:
            h = init.zeros(batch, self.hidden_size, device=X.device, dtype=X.dtype)
        out = X @ self.W_ih + h @ self.W_hh
        if self.bias_ih is not None:
            shape = (1, self.hidden_size)
            out = out + (self.bias_ih.reshape(shape) + self.bias_hh.reshape(shape)).broadcast_to(out.shape)
        return ops.tanh(out) if self.nonlinearity == "tanh" else ops.relu(out)
        ### END YOUR SOLUTION


class RNN(Module):
    """A stack of `num_layers` RNNCells unrolled over a sequence: layer 0 reads the input,
    each later layer reads the hidden states of the layer below.

    Args:
        input_size, hidden_size, bias, nonlinearity: as RNNCell.
        num_layers: cells stacked (default 1).

    Shape: X is (seq_len, bs, input_size); h0 is (num_layers, bs, hidden_size), zeros when
    None. Returns output (seq_len, bs, hidden_size), the last layer's hidden state at every
    step, and h_n (num_layers, bs, hidden_size), every layer's last hidden state. The cells,
    created layer by layer, are in `rnn_cells`.
    """

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, nonlinearity="tanh",
                 device=None, dtype="float32"):
        super().__init__()
        if nonlinearity not in _NONLINEARITIES:
            raise ValueError(f"RNN: unknown nonlinearity {nonlinearity!r}, choose one of {_NONLINEARITIES}")
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        ### BEGIN YOUR SOLUTION
        self.rnn_cells = [
            RNNCell(input_size if layer == 0 else hidden_size, hidden_size, bias=bias,
                    nonlinearity=nonlinearity, device=device, dtype=dtype)
            for layer in range(num_layers)
        ]
        ### END YOUR SOLUTION

    def forward(self, X: Tensor, h0: Tensor = None):
        _check_shape("RNN", "input", X, ("seq_len", "batch", self.input_size))
        if h0 is not None:
            _check_shape("RNN", "h0", h0, (self.num_layers, X.shape[1], self.hidden_size))
        ### BEGIN YOUR SOLUTION
        # Each layer's RNNCell unrolled by hand: the part of a step that does not depend on h,
        # X @ W_ih + the biases, is computed for the whole sequence in one matmul.
        seq_len, batch = X.shape[0], X.shape[1]
        states = [None] * self.num_layers if h0 is None else _unstack(h0, 0)
        layer_input, last = X, []
        for cell, h in zip(self.rnn_cells, states):
            if h is None:
                h = init.zeros(batch, self.hidden_size, device=X.device, dtype=X.dtype)
            projected = layer_input.reshape((seq_len * batch, layer_input.shape[2])) @ cell.W_ih
            if cell.bias_ih is not None:
                projected = projected + (cell.bias_ih + cell.bias_hh)  # broadcast over the rows
            activation = ops.tanh if cell.nonlinearity == "tanh" else ops.relu
            outputs = []
            for x_projected in _unstack(projected.reshape((seq_len, batch, self.hidden_size)), 0):
                h = activation(x_projected + h @ cell.W_hh)
                outputs.append(h)
            layer_input = ops.stack(outputs, 0)  # the next layer reads this layer's hidden states
            last.append(h)
        return layer_input, ops.stack(last, 0)
        ### END YOUR SOLUTION


class LSTMCell(Module):
    """One step of an LSTM, with gates i (input), f (forget), g (candidate), o (output):
        i, f, g, o = split(X @ W_ih + bias_ih + h @ W_hh + bias_hh)   four blocks of hidden_size
        c' = sigmoid(f) * c + sigmoid(i) * tanh(g)
        h' = sigmoid(o) * tanh(c')

    Args:
        input_size: features of the input X.
        hidden_size: features of h and c.
        bias: whether to add bias_ih and bias_hh (default True).

    Shape: X is (bs, input_size); h is a pair (h0, c0) of (bs, hidden_size), zeros when None;
    returns (h', c'). `W_ih` (input_size, 4 * hidden_size), `W_hh` (hidden_size, 4 * hidden_size),
    `bias_ih` and `bias_hh` (4 * hidden_size,) are uniform on +-sqrt(1 / hidden_size), drawn in
    that order; their columns hold the gates in the order i, f, g, o.

    Example:
        >>> cell = LSTMCell(10, 20)
        >>> h, c = cell(Tensor(numpy.zeros((4, 10))))
        >>> h.shape, c.shape
        ((4, 20), (4, 20))
    """

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype="float32"):
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        ### BEGIN YOUR SOLUTION
        bound = math.sqrt(1 / hidden_size)
        uniform = dict(low=-bound, high=bound, device=device, dtype=dtype)
        self.W_ih = Parameter(init.rand(input_size, 4 * hidden_size, **uniform))
        self.W_hh = Parameter(init.rand(hidden_size, 4 * hidden_size, **uniform))
        self.bias_ih = self.bias_hh = None
        if bias:
            self.bias_ih = Parameter(init.rand(4 * hidden_size, **uniform))
            self.bias_hh = Parameter(init.rand(4 * hidden_size, **uniform))
        ### END YOUR SOLUTION

    def forward(self, X: Tensor, h=None):
        _check_shape("LSTMCell", "input", X, ("batch", self.input_size))
        if h is not None:
            if not isinstance(h, (tuple, list)) or len(h) != 2:
                raise ValueError(f"LSTMCell: expected h as a pair (h0, c0), got {type(h).__name__}")
            for name, state in zip(("h0", "c0"), h):
                _check_shape("LSTMCell", name, state, (X.shape[0], self.hidden_size))
        ### BEGIN YOUR SOLUTION
        batch, hidden = X.shape[0], self.hidden_size
        if h is None:
            zeros = init.zeros(batch, hidden, device=X.device, dtype=X.dtype)
            h = (zeros, zeros)
        h0, c0 = h
        gates = X @ self.W_ih + h0 @ self.W_hh
        if self.bias_ih is not None:
            shape = (1, 4 * hidden)
            gates = gates + (self.bias_ih.reshape(shape) + self.bias_hh.reshape(shape)).broadcast_to(gates.shape)
        i, f, g, o = _unstack(gates.reshape((batch, 4, hidden)), 1)
        i, f, g, o = ops.sigmoid(i), ops.sigmoid(f), ops.tanh(g), ops.sigmoid(o)
        c = f * c0 + i * g
        return o * ops.tanh(c), c
        ### END YOUR SOLUTION


class LSTM(Module):
    """A stack of `num_layers` LSTMCells unrolled over a sequence: layer 0 reads the input,
    each later layer reads the hidden states of the layer below.

    Args:
        input_size, hidden_size, bias: as LSTMCell.
        num_layers: cells stacked (default 1).

    Shape: X is (seq_len, bs, input_size); h is a pair (h0, c0), each (num_layers, bs,
    hidden_size), zeros when None. Returns output (seq_len, bs, hidden_size), the last layer's
    h at every step, and the pair (h_n, c_n), each (num_layers, bs, hidden_size), every layer's
    last state. The cells, created layer by layer, are in `lstm_cells`.
    """

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, device=None, dtype="float32"):
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        ### BEGIN YOUR SOLUTION
        self.lstm_cells = [
            LSTMCell(input_size if layer == 0 else hidden_size, hidden_size, bias=bias, device=device, dtype=dtype)
            for layer in range(num_layers)
        ]
        ### END YOUR SOLUTION

    def forward(self, X: Tensor, h=None):
        _check_shape("LSTM", "input", X, ("seq_len", "batch", self.input_size))
        if h is not None:
            if not isinstance(h, (tuple, list)) or len(h) != 2:
                raise ValueError(f"LSTM: expected h as a pair (h0, c0), got {type(h).__name__}")
            for name, state in zip(("h0", "c0"), h):
                _check_shape("LSTM", name, state, (self.num_layers, X.shape[1], self.hidden_size))
        ### BEGIN YOUR SOLUTION
        # Each layer's LSTMCell unrolled by hand: the part of a step that does not depend on the
        # state, X @ W_ih + the biases, is computed for the whole sequence in one matmul.
        seq_len, batch, hidden = X.shape[0], X.shape[1], self.hidden_size
        states = [None] * self.num_layers if h is None else list(zip(_unstack(h[0], 0), _unstack(h[1], 0)))
        layer_input, h_n, c_n = X, [], []
        for cell, state in zip(self.lstm_cells, states):
            if state is None:
                zeros = init.zeros(batch, hidden, device=X.device, dtype=X.dtype)
                state = (zeros, zeros)
            h_t, c_t = state
            projected = layer_input.reshape((seq_len * batch, layer_input.shape[2])) @ cell.W_ih
            if cell.bias_ih is not None:
                projected = projected + (cell.bias_ih + cell.bias_hh)  # broadcast over the rows
            outputs = []
            for x_projected in _unstack(projected.reshape((seq_len, batch, 4 * hidden)), 0):
                gates = x_projected + h_t @ cell.W_hh
                i, f, g, o = _unstack(gates.reshape((batch, 4, hidden)), 1)
                c_t = ops.sigmoid(f) * c_t + ops.sigmoid(i) * ops.tanh(g)
                h_t = ops.sigmoid(o) * ops.tanh(c_t)
                outputs.append(h_t)
            layer_input = ops.stack(outputs, 0)  # the next layer reads this layer's hidden states
            h_n.append(h_t)
            c_n.append(c_t)
        return layer_input, (ops.stack(h_n, 0), ops.stack(c_n, 0))
        ### END YOUR SOLUTION


class Embedding(Module):
    """A lookup table: index j becomes row j of `weight`.

    The lookup is a one-hot matrix times `weight`, so the rows that were used get a gradient.

    Args:
        num_embeddings: size of the vocabulary.
        embedding_dim: size of each vector.

    Shape: x is (seq_len, bs) of integer indices in [0, num_embeddings) (a Tensor); the
    output is (seq_len, bs, embedding_dim). `weight` is (num_embeddings, embedding_dim),
    standard normal.

    Example:
        >>> emb = Embedding(100, 8)
        >>> emb(Tensor(numpy.zeros((5, 2)))).shape
        (5, 2, 8)
    """

    def __init__(self, num_embeddings, embedding_dim, device=None, dtype="float32"):
        super().__init__()
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        ### BEGIN YOUR SOLUTION
        self.weight = Parameter(init.randn(num_embeddings, embedding_dim, device=device, dtype=dtype))
        ### END YOUR SOLUTION

    def forward(self, x: Tensor) -> Tensor:
        _check_shape("Embedding", "input", x, ("seq_len", "batch"))
        bad = [v for v in x.numpy().ravel().tolist() if v != int(v) or not 0 <= v < self.num_embeddings]
        if bad:
            raise ValueError(f"Embedding: expected integer indices in [0, {self.num_embeddings}), got {bad[0]}")
        ### BEGIN YOUR SOLUTION
        seq_len, batch = x.shape
        one_hot = init.one_hot(self.num_embeddings, x.reshape((seq_len * batch,)), device=x.device,
                               dtype=self.weight.dtype)
        return (one_hot @ self.weight).reshape((seq_len, batch, self.embedding_dim))
        ### END YOUR SOLUTION
