"""needle on every device, used the way the course's notebooks and tests use it, so that course
code runs unchanged.

In the course's style on purpose: a module-level device list whose CUDA entry is a
`pytest.param` with a skip mark and no explicit ids (pytest asks each device for attributes
such as `__name__` to make ids: a disabled device must answer AttributeError, not fail the
module at import); Tensors made from NDArrays or numpy arrays of any dtype with `device=`;
scalars as numpy scalars, one-element arrays or `.item()`; operands of different shapes; the
course's `backward_check`, which nudges `realize_cached_data().flat[j]` in place on the device
and asks `out.op.gradient_as_tuple` directly; models with weights copied from torch.nn.
"""
import sys
from pathlib import Path

import numpy as np
import pytest

import needle as ndl
import needle.nn as nn
from needle import backend_ndarray as nd
from datafiles import write_cifar10, write_ptb

torch = pytest.importorskip("torch")

_DEVICES = [ndl.cpu(), pytest.param(ndl.cuda(), marks=pytest.mark.skipif(not ndl.cuda().enabled(), reason="No GPU"))]
GENERAL_SHAPES = [(1, 1, 1), (4, 5, 6)]


def backward_check(f, *args, **kwargs):
    """The course's check: central differences of sum(f(args) * c) against the op's gradient."""
    eps = 1e-3
    out = f(*args, **kwargs)
    c = np.random.randn(*out.shape)
    is_stacked = False
    if isinstance(args[0], list):
        args = args[0]
        is_stacked = True
    numerical_grad = [np.zeros(a.shape) for a in args]
    for i in range(len(args)):
        for j in range(args[i].realize_cached_data().size):
            args[i].realize_cached_data().flat[j] += eps
            f1 = ((f(args, **kwargs) if is_stacked else f(*args, **kwargs)).numpy() * c).sum()
            args[i].realize_cached_data().flat[j] -= 2 * eps
            f2 = ((f(args, **kwargs) if is_stacked else f(*args, **kwargs)).numpy() * c).sum()
            args[i].realize_cached_data().flat[j] += eps
            numerical_grad[i].flat[j] = (f1 - f2) / (2 * eps)
    backward_grad = out.op.gradient_as_tuple(ndl.Tensor(c, device=args[0].device), out)
    if isinstance(backward_grad[0], ndl.TensorTuple):
        backward_grad = backward_grad[0].tuple()
    error = sum(np.linalg.norm(backward_grad[i].numpy() - numerical_grad[i]) for i in range(len(args)))
    assert error < 1e-2
    return [g.numpy() for g in backward_grad]


@pytest.mark.hw4_ops
@pytest.mark.parametrize("fn", [lambda a, b: a / b, lambda a, b: a - b, lambda a, b: a * b, lambda a, b: a + b],
                         ids=["divide", "subtract", "multiply", "add"])
@pytest.mark.parametrize("shape", GENERAL_SHAPES)
@pytest.mark.parametrize("device", _DEVICES)
def test_ewise_and_scalar_fns(fn, shape, device):
    _A = np.random.randn(*shape).astype(np.float32)
    _B = np.random.randn(*shape).astype(np.float32)
    A = ndl.Tensor(nd.array(_A), device=device)
    B = ndl.Tensor(nd.array(_B), device=device)
    np.testing.assert_allclose(fn(_A, _B), fn(A, B).numpy(), atol=1e-5, rtol=1e-5)
    for scalar in (np.random.randn(1).astype(np.float32).item(), np.float32(1.5), np.random.randn(1)):
        result = fn(A, scalar)
        assert result.dtype == "float32" and result.device == device
        np.testing.assert_allclose(fn(_A, np.float32(np.asarray(scalar).item())), result.numpy(), atol=1e-5, rtol=1e-5)


@pytest.mark.hw4_ops
@pytest.mark.parametrize("device", _DEVICES)
def test_power_and_scalar_power(device):
    _A = np.random.randn(4, 5, 6).astype(np.float32)
    _B = np.random.randint(1)
    A = ndl.Tensor(nd.array(_A), device=device)
    np.testing.assert_allclose(_A**_B, (A**_B).numpy(), atol=1e-5, rtol=1e-5)
    out = ndl.power(ndl.Tensor([[1.0, 2.0, 3.0]], device=device), ndl.Tensor(np.ones((3,)) * 2, device=device))
    np.testing.assert_allclose(out.numpy(), [[1.0, 4.0, 9.0]])


@pytest.mark.hw4_ops
@pytest.mark.parametrize("a_shape, b_shape", [((4, 5, 6), (6,)), ((4, 1, 6), (5, 1)), ((1, 3), (3,)), ((), (2, 3))])
@pytest.mark.parametrize("device", _DEVICES)
def test_broadcasting_binary_ops_on_the_device(a_shape, b_shape, device):
    _A = np.asarray(np.random.rand(*a_shape) + 0.5, dtype=np.float32)
    _B = np.asarray(np.random.randn(*b_shape), dtype=np.float32)
    for fn in (lambda a, b: a + b, lambda a, b: a * b, lambda a, b: a / b, lambda a, b: a - b, lambda a, b: a**b):
        A = ndl.Tensor(_A, device=device)
        B = ndl.Tensor(_B, device=device)
        A_t, B_t = torch.tensor(_A, requires_grad=True), torch.tensor(_B, requires_grad=True)
        out, out_t = fn(A, B), fn(A_t, B_t)
        np.testing.assert_allclose(out.numpy(), out_t.detach().numpy(), atol=1e-5, rtol=1e-5)
        out.sum().backward()
        out_t.sum().backward()
        assert A.grad.shape == a_shape and B.grad.shape == b_shape
        np.testing.assert_allclose(A.grad.numpy(), A_t.grad.numpy(), atol=1e-4, rtol=1e-4)
        np.testing.assert_allclose(B.grad.numpy(), B_t.grad.numpy(), atol=1e-4, rtol=1e-4)


@pytest.mark.hw4_ops
@pytest.mark.parametrize("shape, axes", [((1, 1, 1), None), ((5, 3), 0), ((8, 3, 2), 1), ((8, 3, 2), 2)])
@pytest.mark.parametrize("device", _DEVICES)
def test_summation_and_logsumexp(shape, axes, device):
    _A = np.random.randn(*shape).astype(np.float32)
    A = ndl.Tensor(nd.array(_A), device=device)
    np.testing.assert_allclose(np.sum(_A, axes), ndl.summation(A, axes=axes).numpy(), atol=1e-5, rtol=1e-5)
    t_axes = tuple(range(len(shape))) if axes is None else axes
    np.testing.assert_allclose(torch.logsumexp(torch.Tensor(_A), dim=t_axes).numpy(), ndl.logsumexp(A, axes=axes).numpy(),
                               atol=1e-5, rtol=1e-5)
    backward_check(ndl.summation, ndl.Tensor(_A, device=device), axes=axes)


@pytest.mark.hw4_ops
@pytest.mark.parametrize("device", _DEVICES)
def test_shape_ops_as_the_course_calls_them(device):
    _A = np.random.randn(4, 1, 6).astype(np.float32)
    A = ndl.Tensor(nd.array(_A), device=device)
    np.testing.assert_allclose(np.broadcast_to(_A, (4, 3, 6)), ndl.broadcast_to(A, (4, 3, 6)).numpy())
    np.testing.assert_allclose(np.reshape(_A, (6, 4, 1)), ndl.reshape(A, (6, 4, 1)).numpy())
    np.testing.assert_allclose(np.swapaxes(_A, 2, 1), ndl.transpose(A, axes=None).numpy())
    np.testing.assert_allclose(np.swapaxes(_A, 0, 2), ndl.transpose(A, axes=(0, 2)).numpy())
    backward_check(ndl.tanh, ndl.Tensor(np.random.randn(5, 4), device=device))
    backward_check(ndl.flip, ndl.Tensor(np.random.randn(2, 3, 4), device=device), axes=(0, 2))
    backward_check(ndl.dilate, ndl.Tensor(np.random.randn(2, 3), device=device), dilation=1, axes=(1,))


@pytest.mark.hw4_ops
@pytest.mark.parametrize("shape, axis, n", [((5, 5), 0, 1), ((5, 5), 0, 2), ((1, 5, 7), 2, 5)])
@pytest.mark.parametrize("device", _DEVICES)
def test_stack_against_torch_and_by_the_numerical_check(shape, axis, n, device):
    _A = [np.random.randn(*shape).astype(np.float32) for _ in range(n)]
    A = [ndl.Tensor(nd.array(_A[i]), device=device) for i in range(n)]
    A_t = [torch.Tensor(_A[i]) for i in range(n)]
    for a in A_t:
        a.requires_grad = True
    ndl.stack(A, axis=axis).sum().backward()
    torch.stack(A_t, dim=axis).sum().backward()
    for i in range(n):
        np.testing.assert_allclose(A_t[i].grad.numpy(), A[i].grad.numpy(), atol=1e-5, rtol=1e-5)
    np.random.seed(0)
    backward_check(ndl.stack, [ndl.Tensor(np.random.randn(*shape) * 5, device=device) for _ in range(n)], axis=axis)


@pytest.mark.hw4_ops
def test_ndarray_pad_and_flat_on_the_cpu():
    _A = np.random.randn(2, 3, 3, 2)
    padding = ((0, 0), (1, 1), (2, 2), (0, 0))
    A = nd.NDArray(_A, device=nd.cpu())
    np.testing.assert_allclose(A.pad(padding).numpy(), np.pad(_A, padding), atol=1e-6)
    A.flat[3] += 1.0
    _A.flat[3] += 1.0
    np.testing.assert_allclose(A.numpy(), _A, atol=1e-6)


@pytest.mark.hw4_conv
@pytest.mark.parametrize("Z_shape, W_shape, stride, padding", [((3, 14, 14, 8), (3, 3, 8, 16), 2, 1), ((2, 5, 5, 3), (3, 3, 3, 2), 1, 0)])
@pytest.mark.parametrize("device", _DEVICES)
def test_op_conv_against_torch(Z_shape, W_shape, stride, padding, device):
    np.random.seed(0)
    _Z = (np.random.randn(*Z_shape) * 5).astype(np.float32)
    _W = (np.random.randn(*W_shape) * 5).astype(np.float32)
    Z, W = ndl.Tensor(_Z, device=device), ndl.Tensor(_W, device=device)
    y = ndl.conv(Z, W, padding=padding, stride=stride)
    y2 = y.sum()
    y2.backward()
    Ztch, Wtch = torch.Tensor(_Z).float(), torch.Tensor(_W).float()
    Ztch.requires_grad, Wtch.requires_grad = True, True
    out = torch.nn.functional.conv2d(Ztch.permute(0, 3, 1, 2), Wtch.permute(3, 2, 0, 1), padding=padding, stride=stride)
    out2 = out.sum()
    out2.backward()
    assert np.linalg.norm(Ztch.grad.numpy() - Z.grad.numpy()) < 1e-2
    assert np.linalg.norm(Wtch.grad.numpy() - W.grad.numpy()) < 1e-2
    assert np.linalg.norm(out2.detach().numpy() - y2.numpy()) < 1e-1


@pytest.mark.hw4_nn_conv
@pytest.mark.parametrize("device", _DEVICES)
def test_nn_conv_with_weights_read_through_cached_data(device):
    np.random.seed(0)
    s, cin, cout, k, stride = 8, 3, 4, 3, 2
    f = ndl.nn.Conv(cin, cout, k, stride=stride, device=device)
    x = ndl.init.rand(2, cin, s, s, device=device, requires_grad=True)
    g = torch.nn.Conv2d(cin, cout, k, stride=stride, padding=k // 2)
    g.weight.data = torch.tensor(f.weight.cached_data.numpy().transpose(3, 2, 0, 1))
    g.bias.data = torch.tensor(f.bias.cached_data.numpy())
    z = torch.tensor(x.cached_data.numpy(), requires_grad=True)
    assert np.linalg.norm(f(x).cached_data.numpy() - g(z).data.numpy()) < 1e-3
    f(x).sum().backward()
    g(z).sum().backward()
    assert np.linalg.norm(g.weight.grad.data.numpy() - f.weight.grad.cached_data.numpy().transpose(3, 2, 0, 1)) < 1e-3
    assert np.linalg.norm(g.bias.grad.data.numpy() - f.bias.grad.cached_data.numpy()) < 1e-3
    assert np.linalg.norm(z.grad.data.numpy() - x.grad.cached_data.numpy()) < 1e-3


@pytest.mark.hw4_resnet9
@pytest.mark.parametrize("device", _DEVICES)
def test_resnet9_imported_as_apps_models_and_one_training_iteration(device, tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[1]))  # `python -m pytest` from hw4/
    from apps.models import ResNet9

    np.random.seed(0)
    model = ResNet9(device=device, dtype="float32")
    assert np.sum([np.prod(x.shape) for x in model.parameters()]) == 431946
    y = model(ndl.Tensor(np.random.randn(2, 3, 32, 32), device=device))
    assert y.shape == (2, 10) and y.device == device

    write_cifar10(tmp_path / "cifar-10-batches-py", n_train_per_batch=4)
    dataset = ndl.data.CIFAR10Dataset(str(tmp_path / "cifar-10-batches-py"), train=True)
    dataloader = ndl.data.DataLoader(dataset=dataset, batch_size=8, shuffle=False)
    opt = ndl.optim.Adam(model.parameters(), lr=0.001, weight_decay=0.001)
    loss_fn = ndl.nn.SoftmaxLoss()
    model.train()
    for X, y in dataloader:
        opt.reset_grad()
        X, y = ndl.Tensor(X, device=device), ndl.Tensor(y, device=device)
        out = model(X)
        correct = np.sum(np.argmax(out.numpy(), axis=1) == y.numpy())
        loss = loss_fn(out, y)
        total_loss = loss.data.numpy() * y.shape[0]
        loss.backward()
        opt.step()
        break
    assert 0 <= correct <= 8 and np.isfinite(total_loss)


@pytest.mark.hw4_nn_conv
def test_kaiming_uniform_with_a_shape():
    np.random.seed(0)
    A = ndl.init.kaiming_uniform(16 * 9, 8 * 9, shape=(3, 3, 16, 8))
    bound = np.sqrt(2) * np.sqrt(3 / (16 * 9))
    np.random.seed(0)
    assert A.shape == (3, 3, 16, 8)
    assert abs(A.sum().numpy() - (np.random.rand(3, 3, 16, 8) * 2 * bound - bound).sum()) < 1e-4


@pytest.mark.hw4_rnn
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("device", _DEVICES)
def test_rnn_cell_with_torch_weights_and_1d_biases(bias, device):
    x = np.random.randn(15, 11).astype(np.float32)
    h0 = np.random.randn(15, 12).astype(np.float32)
    model_ = torch.nn.RNNCell(11, 12, nonlinearity="relu", bias=bias)
    h_ = model_(torch.tensor(x), torch.tensor(h0))
    model = nn.RNNCell(11, 12, device=device, bias=bias, nonlinearity="relu")
    model.W_ih = ndl.Tensor(model_.weight_ih.detach().numpy().transpose(), device=device)
    model.W_hh = ndl.Tensor(model_.weight_hh.detach().numpy().transpose(), device=device)
    if bias:
        model.bias_ih = ndl.Tensor(model_.bias_ih.detach().numpy(), device=device)
        model.bias_hh = ndl.Tensor(model_.bias_hh.detach().numpy(), device=device)
    h = model(ndl.Tensor(x, device=device), ndl.Tensor(h0, device=device))
    assert h.device == device
    np.testing.assert_allclose(h_.detach().numpy(), h.detach().numpy(), atol=1e-5, rtol=1e-5)
    h.sum().backward()
    h_.sum().backward()
    np.testing.assert_allclose(model_.weight_ih.grad.detach().numpy().transpose(), model.W_ih.grad.detach().numpy(),
                               atol=1e-5, rtol=1e-5)


@pytest.mark.hw4_lstm
@pytest.mark.parametrize("device", _DEVICES)
def test_lstm_with_torch_weights_per_layer(device):
    seq_length, batch_size, input_size, hidden_size, num_layers = 5, 3, 4, 6, 2
    x = np.random.randn(seq_length, batch_size, input_size).astype(np.float32)
    h0 = np.random.randn(num_layers, batch_size, hidden_size).astype(np.float32)
    c0 = np.random.randn(num_layers, batch_size, hidden_size).astype(np.float32)
    model_ = torch.nn.LSTM(input_size, hidden_size, num_layers=num_layers)
    output_, (h_, c_) = model_(torch.tensor(x), (torch.tensor(h0), torch.tensor(c0)))
    model = nn.LSTM(input_size, hidden_size, num_layers, device=device)
    for k in range(num_layers):
        model.lstm_cells[k].W_ih = ndl.Tensor(getattr(model_, f"weight_ih_l{k}").detach().numpy().transpose(), device=device)
        model.lstm_cells[k].W_hh = ndl.Tensor(getattr(model_, f"weight_hh_l{k}").detach().numpy().transpose(), device=device)
        model.lstm_cells[k].bias_ih = ndl.Tensor(getattr(model_, f"bias_ih_l{k}").detach().numpy(), device=device)
        model.lstm_cells[k].bias_hh = ndl.Tensor(getattr(model_, f"bias_hh_l{k}").detach().numpy(), device=device)
    output, (h, c) = model(ndl.Tensor(x, device=device), (ndl.Tensor(h0, device=device), ndl.Tensor(c0, device=device)))
    np.testing.assert_allclose(h_.detach().numpy(), h.numpy(), atol=1e-5, rtol=1e-5)
    np.testing.assert_allclose(c_.detach().numpy(), c.numpy(), atol=1e-5, rtol=1e-5)
    np.testing.assert_allclose(output_.detach().numpy(), output.numpy(), atol=1e-5, rtol=1e-5)
    output.sum().backward()
    output_.sum().backward()
    np.testing.assert_allclose(model_.weight_ih_l0.grad.detach().numpy().transpose(), model.lstm_cells[0].W_ih.grad.numpy(),
                               atol=1e-4, rtol=1e-4)


@pytest.mark.hw4_language_model
@pytest.mark.parametrize("seq_model", ["rnn", "lstm", "transformer"])
@pytest.mark.parametrize("device", _DEVICES)
def test_language_model_as_the_course_drives_it(seq_model, device, tmp_path):
    from models import LanguageModel
    from simple_ml import evaluate_ptb, train_ptb

    seq_length, num_layers, batch_size, hidden_size, output_size = 4, 2, 3, 8, 20
    x = np.random.randint(0, output_size, (seq_length, batch_size)).astype(np.float32)
    h0 = ndl.Tensor(np.random.randn(num_layers, batch_size, hidden_size).astype(np.float32), device=device)
    c0 = ndl.Tensor(np.random.randn(num_layers, batch_size, hidden_size).astype(np.float32), device=device)
    model = LanguageModel(8, output_size, hidden_size, num_layers, seq_model, seq_len=seq_length, device=device)
    h = {"lstm": (h0, c0), "rnn": h0, "transformer": None}[seq_model]
    output, h_ = model(ndl.Tensor(x, device=device), h)
    assert output.shape == (batch_size * seq_length, output_size)
    if seq_model == "lstm":
        assert isinstance(h_, tuple) and h_[0].shape == h_[1].shape == (num_layers, batch_size, hidden_size)
    elif seq_model == "rnn":
        assert h_.shape == (num_layers, batch_size, hidden_size)
    output.backward()
    for p in model.parameters():
        assert p.grad is not None

    write_ptb(tmp_path / "ptb", ["the cat sat on the mat", "a dog ran"] * 4, ["the dog sat"])
    corpus = ndl.data.Corpus(str(tmp_path / "ptb"), max_lines=20)
    train_data = ndl.data.batchify(corpus.train, batch_size=4, device=device, dtype=np.float32)
    model = LanguageModel(6, len(corpus.dictionary), hidden_size=5, num_layers=1, seq_model=seq_model, seq_len=3, device=device)
    step = {"lr": 0.1} if seq_model == "transformer" else {}  # train_ptb's default step of 4.0 diverges there
    train_acc, train_loss = train_ptb(model, train_data, seq_len=3, n_epochs=1, device=device, **step)
    test_acc, test_loss = evaluate_ptb(model, train_data, seq_len=3, device=device)
    assert np.isfinite(train_loss) and np.isfinite(test_loss) and 0 <= test_acc <= 1


@pytest.mark.hw4_attention
@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("device", _DEVICES)
def test_multi_head_attention_returns_the_result_and_the_probabilities(causal, device):
    np.random.seed(19943)
    q, k, v = (np.random.randn(2, 3, 5, 4).astype(np.float32) for _ in range(3))
    layer = ndl.nn.MultiHeadAttention(dropout=0.0, causal=causal, device=device)
    result, probs = layer(ndl.Tensor(q, device=device), ndl.Tensor(k, device=device), ndl.Tensor(v, device=device))
    mask = np.triu(np.full((5, 5), -np.inf), 1) if causal else 0
    scores = q @ k.transpose(0, 1, 3, 2) / np.sqrt(4) + mask
    expected = np.exp(scores - scores.max(-1, keepdims=True))
    expected /= expected.sum(-1, keepdims=True)
    np.testing.assert_allclose(probs.numpy(), expected, atol=1e-5, rtol=1e-5)
    np.testing.assert_allclose(result.numpy(), expected @ v, atol=1e-5, rtol=1e-5)
