"""nn.RNNCell, nn.RNN, nn.LSTMCell, nn.LSTM and nn.Embedding against their torch.nn twins with the
same weights (needle's weights are torch's transposed), plus Sigmoid and Tanh.

Every comparison covers the outputs and the gradients of the inputs, the initial state and every
parameter, with a random upstream gradient so that each output counts differently.
"""
import math

import numpy as np
import pytest
import torch

import needle as ndl
import needle.nn as nn
from devices import ALL_DEVICES, DEVICES

TOL = dict(rtol=1e-4, atol=1e-5)
INPUT, HIDDEN, BATCH = 3, 4, 2


def _tensor(array, device):
    return ndl.Tensor(np.asarray(array, dtype=np.float32), device=device)


def _close(needle_tensor, torch_tensor, transpose=False):
    expected = torch_tensor.detach().numpy()
    np.testing.assert_allclose(needle_tensor.numpy(), expected.T if transpose else expected, **TOL)


def _copy_cell(cell, reference, suffix=""):
    """Give torch's `reference` (a cell, or layer `suffix` of a stack) the weights of needle's `cell`."""
    with torch.no_grad():
        getattr(reference, "weight_ih" + suffix).copy_(torch.tensor(cell.W_ih.numpy().T))
        getattr(reference, "weight_hh" + suffix).copy_(torch.tensor(cell.W_hh.numpy().T))
        if cell.bias_ih is not None:
            getattr(reference, "bias_ih" + suffix).copy_(torch.tensor(cell.bias_ih.numpy()))
            getattr(reference, "bias_hh" + suffix).copy_(torch.tensor(cell.bias_hh.numpy()))


def _check_cell_grads(cell, reference, suffix=""):
    """Every parameter of `cell` has the gradient torch gave its twin (a zero one counts)."""
    _close(cell.W_ih.grad, getattr(reference, "weight_ih" + suffix).grad, transpose=True)
    _close(cell.W_hh.grad, getattr(reference, "weight_hh" + suffix).grad, transpose=True)
    if cell.bias_ih is not None:
        _close(cell.bias_ih.grad, getattr(reference, "bias_ih" + suffix).grad)
        _close(cell.bias_hh.grad, getattr(reference, "bias_hh" + suffix).grad)


def _check_stack_parameters(model, cells, cell_class, gates, device):
    """A 2-layer stack of cells with `gates` blocks of HIDDEN columns: shapes, count, device,
    the init bound, and a bias-free cell without bias parameters."""
    assert len(cells) == 2
    first, second = cells
    k = gates * HIDDEN
    assert first.W_ih.shape == (INPUT, k) and second.W_ih.shape == (HIDDEN, k)
    assert first.W_hh.shape == (HIDDEN, k) and first.bias_ih.shape == first.bias_hh.shape == (k,)
    assert len(model.parameters()) == 8
    assert all(p.device == device for p in model.parameters())
    bound = math.sqrt(1 / HIDDEN)
    assert all(np.abs(p.numpy()).max() <= bound for p in model.parameters())
    no_bias = cell_class(INPUT, HIDDEN, bias=False, device=device)
    assert no_bias.bias_ih is None and no_bias.bias_hh is None and len(no_bias.parameters()) == 2


def _check_seeded_draw_order(cells, gates, seed):
    """W_ih, W_hh, bias_ih, bias_hh, layer by layer, each uniform on +-sqrt(1/HIDDEN), as numpy
    draws them after `seed`: seeded models match the course's."""
    np.random.seed(seed)
    bound = math.sqrt(1 / HIDDEN)
    k = gates * HIDDEN
    for cell, rows in zip(cells, (INPUT, HIDDEN)):
        for param, shape in zip((cell.W_ih, cell.W_hh, cell.bias_ih, cell.bias_hh),
                                ((rows, k), (HIDDEN, k), (k,), (k,))):
            expected = np.random.rand(*shape).astype(np.float32) * 2 * bound - bound
            np.testing.assert_allclose(param.numpy(), expected, rtol=1e-5, atol=1e-6)


def _weighted_sum(outputs, rng, device):
    """sum(out * G) over needle outputs and the same over torch outputs, G random per output."""
    grads = [rng.standard_normal(out.shape).astype(np.float32) for out, _ in outputs]
    loss = None
    loss_t = 0
    for (out, out_t), grad in zip(outputs, grads):
        term = (out * _tensor(grad, device)).sum()
        loss = term if loss is None else loss + term
        loss_t = loss_t + (out_t * torch.tensor(grad)).sum()
    return loss, loss_t


# ---------------------------------------------------------------- activations


@pytest.mark.hw4_rnn
@pytest.mark.parametrize("module,function", [(nn.Sigmoid, torch.sigmoid), (nn.Tanh, torch.tanh)])
@pytest.mark.parametrize("device", DEVICES)
def test_activation_matches_torch(module, function, device):
    x_np = np.linspace(-4, 4, 12, dtype=np.float32).reshape(3, 4)
    x = _tensor(x_np, device)
    x_t = torch.tensor(x_np, requires_grad=True)
    y, y_t = module()(x), function(x_t)
    _close(y, y_t)
    y.sum().backward()
    y_t.sum().backward()
    _close(x.grad, x_t.grad)


# ---------------------------------------------------------------- RNNCell and RNN


@pytest.mark.hw4_rnn
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
@pytest.mark.parametrize("with_state", [True, False])
@pytest.mark.parametrize("device", DEVICES)
def test_rnn_cell_matches_torch(with_state, nonlinearity, bias, device):
    rng = np.random.default_rng(0)
    cell = nn.RNNCell(INPUT, HIDDEN, bias=bias, nonlinearity=nonlinearity, device=device)
    reference = torch.nn.RNNCell(INPUT, HIDDEN, bias=bias, nonlinearity=nonlinearity)
    _copy_cell(cell, reference)
    x_np = rng.standard_normal((BATCH, INPUT)).astype(np.float32)
    h_np = rng.standard_normal((BATCH, HIDDEN)).astype(np.float32)
    x, x_t = _tensor(x_np, device), torch.tensor(x_np, requires_grad=True)
    h, h_t = (_tensor(h_np, device), torch.tensor(h_np, requires_grad=True)) if with_state else (None, None)

    out, out_t = cell(x, h), reference(x_t, h_t)
    _close(out, out_t)
    loss, loss_t = _weighted_sum([(out, out_t)], rng, device)
    loss.backward()
    loss_t.backward()
    _close(x.grad, x_t.grad)
    if with_state:
        _close(h.grad, h_t.grad)
    _check_cell_grads(cell, reference)


@pytest.mark.hw4_rnn
@pytest.mark.parametrize("seq_len,num_layers,bias,nonlinearity,with_state", [
    (4, 1, True, "tanh", True),
    (3, 2, True, "tanh", True),
    (3, 2, False, "relu", True),
    (3, 2, True, "relu", False),
    (1, 2, True, "tanh", False),
    (1, 1, False, "tanh", True),
])
@pytest.mark.parametrize("device", DEVICES)
def test_rnn_matches_torch(seq_len, num_layers, bias, nonlinearity, with_state, device):
    rng = np.random.default_rng(1)
    model = nn.RNN(INPUT, HIDDEN, num_layers=num_layers, bias=bias, nonlinearity=nonlinearity, device=device)
    reference = torch.nn.RNN(INPUT, HIDDEN, num_layers=num_layers, bias=bias, nonlinearity=nonlinearity)
    for layer, cell in enumerate(model.rnn_cells):
        _copy_cell(cell, reference, f"_l{layer}")
    x_np = rng.standard_normal((seq_len, BATCH, INPUT)).astype(np.float32)
    h_np = rng.standard_normal((num_layers, BATCH, HIDDEN)).astype(np.float32)
    x, x_t = _tensor(x_np, device), torch.tensor(x_np, requires_grad=True)
    h, h_t = (_tensor(h_np, device), torch.tensor(h_np, requires_grad=True)) if with_state else (None, None)

    (out, h_n), (out_t, h_n_t) = model(x, h), reference(x_t, h_t)
    assert out.shape == (seq_len, BATCH, HIDDEN) and h_n.shape == (num_layers, BATCH, HIDDEN)
    _close(out, out_t)
    _close(h_n, h_n_t)
    loss, loss_t = _weighted_sum([(out, out_t), (h_n, h_n_t)], rng, device)
    loss.backward()
    loss_t.backward()
    _close(x.grad, x_t.grad)
    if with_state:
        _close(h.grad, h_t.grad)
    for layer, cell in enumerate(model.rnn_cells):
        _check_cell_grads(cell, reference, f"_l{layer}")


@pytest.mark.hw4_rnn
@pytest.mark.parametrize("device", DEVICES)
def test_rnn_parameters(device):
    np.random.seed(0)
    model = nn.RNN(INPUT, HIDDEN, num_layers=2, device=device)
    _check_stack_parameters(model, model.rnn_cells, nn.RNNCell, 1, device)


@pytest.mark.hw4_rnn
def test_rnn_seeded_draw_order():
    np.random.seed(3)
    model = nn.RNN(INPUT, HIDDEN, num_layers=2)
    _check_seeded_draw_order(model.rnn_cells, 1, seed=3)


@pytest.mark.hw4_rnn
def test_rnn_rejects_bad_arguments():
    with pytest.raises(ValueError, match="sigmoid"):
        nn.RNNCell(INPUT, HIDDEN, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="sigmoid"):
        nn.RNN(INPUT, HIDDEN, nonlinearity="sigmoid")
    cell, model = nn.RNNCell(INPUT, HIDDEN), nn.RNN(INPUT, HIDDEN, num_layers=2)
    with pytest.raises(ValueError, match=r"\(batch, 3\).*\(2, 5\)"):
        cell(ndl.Tensor(np.zeros((2, 5), dtype=np.float32)))
    with pytest.raises(ValueError, match=r"\(2, 4\).*\(2, 3\)"):
        cell(ndl.Tensor(np.zeros((2, 3), dtype=np.float32)), ndl.Tensor(np.zeros((2, 3), dtype=np.float32)))
    with pytest.raises(ValueError, match=r"\(seq_len, batch, 3\).*\(2, 3\)"):
        model(ndl.Tensor(np.zeros((2, 3), dtype=np.float32)))
    with pytest.raises(ValueError, match=r"\(2, 2, 4\).*\(1, 2, 4\)"):
        model(ndl.Tensor(np.zeros((5, 2, 3), dtype=np.float32)), ndl.Tensor(np.zeros((1, 2, 4), dtype=np.float32)))


# ---------------------------------------------------------------- LSTMCell and LSTM


@pytest.mark.hw4_lstm
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("with_state", [True, False])
@pytest.mark.parametrize("device", DEVICES)
def test_lstm_cell_matches_torch(with_state, bias, device):
    rng = np.random.default_rng(2)
    cell = nn.LSTMCell(INPUT, HIDDEN, bias=bias, device=device)
    reference = torch.nn.LSTMCell(INPUT, HIDDEN, bias=bias)
    _copy_cell(cell, reference)
    x_np = rng.standard_normal((BATCH, INPUT)).astype(np.float32)
    h_np, c_np = rng.standard_normal((2, BATCH, HIDDEN)).astype(np.float32)
    x, x_t = _tensor(x_np, device), torch.tensor(x_np, requires_grad=True)
    if with_state:
        h, c = _tensor(h_np, device), _tensor(c_np, device)
        h_t, c_t = torch.tensor(h_np, requires_grad=True), torch.tensor(c_np, requires_grad=True)
        state, state_t = (h, c), (h_t, c_t)
    else:
        state = state_t = None

    (h_out, c_out), (h_out_t, c_out_t) = cell(x, state), reference(x_t, state_t)
    _close(h_out, h_out_t)
    _close(c_out, c_out_t)
    loss, loss_t = _weighted_sum([(h_out, h_out_t), (c_out, c_out_t)], rng, device)
    loss.backward()
    loss_t.backward()
    _close(x.grad, x_t.grad)
    if with_state:
        _close(h.grad, h_t.grad)
        _close(c.grad, c_t.grad)
    _check_cell_grads(cell, reference)


@pytest.mark.hw4_lstm
@pytest.mark.parametrize("seq_len,num_layers,bias,with_state", [
    (4, 1, True, True),
    (3, 2, True, True),
    (3, 2, False, True),
    (3, 2, True, False),
    (1, 2, True, False),
    (1, 1, False, True),
])
@pytest.mark.parametrize("device", DEVICES)
def test_lstm_matches_torch(seq_len, num_layers, bias, with_state, device):
    rng = np.random.default_rng(3)
    model = nn.LSTM(INPUT, HIDDEN, num_layers=num_layers, bias=bias, device=device)
    reference = torch.nn.LSTM(INPUT, HIDDEN, num_layers=num_layers, bias=bias)
    for layer, cell in enumerate(model.lstm_cells):
        _copy_cell(cell, reference, f"_l{layer}")
    x_np = rng.standard_normal((seq_len, BATCH, INPUT)).astype(np.float32)
    h_np, c_np = rng.standard_normal((2, num_layers, BATCH, HIDDEN)).astype(np.float32)
    x, x_t = _tensor(x_np, device), torch.tensor(x_np, requires_grad=True)
    if with_state:
        h, c = _tensor(h_np, device), _tensor(c_np, device)
        h_t, c_t = torch.tensor(h_np, requires_grad=True), torch.tensor(c_np, requires_grad=True)
        state, state_t = (h, c), (h_t, c_t)
    else:
        state = state_t = None

    (out, (h_n, c_n)), (out_t, (h_n_t, c_n_t)) = model(x, state), reference(x_t, state_t)
    assert out.shape == (seq_len, BATCH, HIDDEN)
    assert h_n.shape == c_n.shape == (num_layers, BATCH, HIDDEN)
    _close(out, out_t)
    _close(h_n, h_n_t)
    _close(c_n, c_n_t)
    loss, loss_t = _weighted_sum([(out, out_t), (h_n, h_n_t), (c_n, c_n_t)], rng, device)
    loss.backward()
    loss_t.backward()
    _close(x.grad, x_t.grad)
    if with_state:
        _close(h.grad, h_t.grad)
        _close(c.grad, c_t.grad)
    for layer, cell in enumerate(model.lstm_cells):
        _check_cell_grads(cell, reference, f"_l{layer}")


@pytest.mark.hw4_lstm
@pytest.mark.parametrize("device", DEVICES)
def test_lstm_parameters(device):
    np.random.seed(0)
    model = nn.LSTM(INPUT, HIDDEN, num_layers=2, device=device)
    _check_stack_parameters(model, model.lstm_cells, nn.LSTMCell, 4, device)


@pytest.mark.hw4_lstm
def test_lstm_seeded_draw_order():
    np.random.seed(4)
    model = nn.LSTM(INPUT, HIDDEN, num_layers=2)
    _check_seeded_draw_order(model.lstm_cells, 4, seed=4)


@pytest.mark.hw4_lstm
def test_lstm_rejects_bad_input():
    cell, model = nn.LSTMCell(INPUT, HIDDEN), nn.LSTM(INPUT, HIDDEN, num_layers=2)
    x = ndl.Tensor(np.zeros((2, INPUT), dtype=np.float32))
    with pytest.raises(ValueError, match=r"\(batch, 3\).*\(2, 4\)"):
        cell(ndl.Tensor(np.zeros((2, 4), dtype=np.float32)))
    with pytest.raises(ValueError, match="pair"):
        cell(x, ndl.Tensor(np.zeros((2, HIDDEN), dtype=np.float32)))
    with pytest.raises(ValueError, match=r"c0.*\(2, 4\).*\(2, 5\)"):
        cell(x, (ndl.Tensor(np.zeros((2, 4), dtype=np.float32)), ndl.Tensor(np.zeros((2, 5), dtype=np.float32))))
    zeros = ndl.Tensor(np.zeros((1, 2, HIDDEN), dtype=np.float32))
    with pytest.raises(ValueError, match=r"h0.*\(2, 2, 4\).*\(1, 2, 4\)"):
        model(ndl.Tensor(np.zeros((5, 2, INPUT), dtype=np.float32)), (zeros, zeros))


# ---------------------------------------------------------------- states on the input's device


@pytest.mark.hw4_rnn
@pytest.mark.parametrize("device", ALL_DEVICES)
def test_rnn_zero_state_on_input_device(device):
    """A missing state is made on the input's device (cpu_numpy catches one made on the default cpu())."""
    model = nn.RNN(INPUT, HIDDEN, num_layers=2, device=device)
    out, h_n = model(_tensor(np.ones((2, BATCH, INPUT)), device))
    (out.sum() + h_n.sum()).backward()
    assert out.device == device and h_n.device == device
    assert all(p.grad is not None and p.grad.device == device for p in model.parameters())


@pytest.mark.hw4_lstm
@pytest.mark.parametrize("device", ALL_DEVICES)
def test_lstm_zero_state_on_input_device(device):
    model = nn.LSTM(INPUT, HIDDEN, num_layers=2, device=device)
    out, (h_n, c_n) = model(_tensor(np.ones((2, BATCH, INPUT)), device))
    (out.sum() + c_n.sum()).backward()
    assert out.device == h_n.device == c_n.device == device
    assert all(p.grad is not None and p.grad.device == device for p in model.parameters())


# ---------------------------------------------------------------- Embedding


@pytest.mark.hw4_rnn
@pytest.mark.parametrize("device", DEVICES)
def test_embedding_matches_torch(device):
    rng = np.random.default_rng(4)
    emb = nn.Embedding(7, 5, device=device)
    reference = torch.nn.Embedding(7, 5)
    with torch.no_grad():
        reference.weight.copy_(torch.tensor(emb.weight.numpy()))
    indices = np.array([[0, 3, 3], [6, 1, 0]])  # (seq_len 2, bs 3), a repeated index among them
    out = emb(_tensor(indices, device))
    out_t = reference(torch.tensor(indices))
    assert out.shape == (2, 3, 5)
    _close(out, out_t)
    loss, loss_t = _weighted_sum([(out, out_t)], rng, device)
    loss.backward()
    loss_t.backward()
    _close(emb.weight.grad, reference.weight.grad)


@pytest.mark.hw4_rnn
@pytest.mark.parametrize("device", ALL_DEVICES)
def test_embedding_parameters_and_device(device):
    np.random.seed(5)
    emb = nn.Embedding(6, 4, device=device)
    np.random.seed(5)
    np.testing.assert_allclose(emb.weight.numpy(), np.random.randn(6, 4).astype(np.float32), rtol=1e-6)
    assert emb.parameters() == [emb.weight] and emb.weight.device == device
    out = emb(_tensor([[1, 2]], device))
    out.sum().backward()
    assert out.device == device and emb.weight.grad.device == device


@pytest.mark.hw4_rnn
def test_embedding_rejects_bad_input():
    emb = nn.Embedding(6, 4)
    with pytest.raises(ValueError, match=r"\(seq_len, batch\).*\(6,\)"):
        emb(ndl.Tensor(np.zeros(6, dtype=np.float32)))
    with pytest.raises(ValueError, match=r"\[0, 6\).*6"):
        emb(ndl.Tensor(np.array([[1, 6]], dtype=np.float32)))
    with pytest.raises(ValueError, match=r"\[0, 6\).*-1"):
        emb(ndl.Tensor(np.array([[-1, 2]], dtype=np.float32)))


# ---------------------------------------------------------------- training


@pytest.mark.parametrize("layer", [
    pytest.param(nn.RNN, marks=pytest.mark.hw4_rnn, id="rnn"),
    pytest.param(nn.LSTM, marks=pytest.mark.hw4_lstm, id="lstm"),
])
@pytest.mark.parametrize("device", DEVICES)
def test_sequence_model_trains(layer, device):
    """A few SGD steps on a fixed batch lower the loss: the gradients point downhill."""
    np.random.seed(0)
    rng = np.random.default_rng(5)
    model = layer(INPUT, HIDDEN, num_layers=2, device=device)
    optimizer = ndl.optim.SGD(model.parameters(), lr=1.0)
    x = _tensor(rng.standard_normal((5, BATCH, INPUT)), device)
    target = _tensor(rng.uniform(-0.5, 0.5, (5, BATCH, HIDDEN)), device)
    losses = []
    for _ in range(10):
        out = model(x)[0]
        loss = ((out - target) ** 2).sum() / float(np.prod(out.shape))  # mean squared error
        optimizer.reset_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.numpy().item())
    assert losses[-1] < 0.8 * losses[0], losses
