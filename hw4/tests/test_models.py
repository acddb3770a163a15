"""apps/models.py: ResNet9 and LanguageModel.

Oracles: parameters drawn by hand from numpy's seeded generator in the course's order, and
PyTorch running the same weights (ResNet9 through torch.nn.functional, the RNN and LSTM
language models through torch.nn.RNN / torch.nn.LSTM).
"""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import needle as ndl
from devices import DEVICES
from models import LanguageModel, ResNet9

# (in, out, kernel, stride) of ResNet9's ConvBN blocks in creation order; "r" marks those inside a Residual.
RESNET9_CONVS = [(3, 16, 7, 4, ""), (16, 32, 3, 2, ""), (32, 32, 3, 1, "r"), (32, 32, 3, 1, "r"),
                 (32, 64, 3, 2, ""), (64, 128, 3, 2, ""), (128, 128, 3, 1, "r"), (128, 128, 3, 1, "r")]
RESNET9_LINEARS = [(128, 128), (128, 10)]


def resnet9_shapes():
    """Parameter shapes in creation order: per ConvBN the conv weight and bias, the BatchNorm weight and bias."""
    shapes = []
    for a, b, k, _, _ in RESNET9_CONVS:
        shapes += [(k, k, a, b), (b,), (b,), (b,)]
    for a, b in RESNET9_LINEARS:
        shapes += [(a, b), (1, b)]
    return shapes


def resnet9_hand_draws(seed):
    """ResNet9's parameters as the course draws them from np.random.seed(seed): kaiming-uniform conv
    weights, then uniform +-1/sqrt(fan_in) conv biases; BatchNorm ones and zeros; Linear weights and
    (out, 1) biases kaiming-uniform."""
    np.random.seed(seed)
    params = []
    for a, b, k, _, _ in RESNET9_CONVS:
        fan_in = a * k * k
        bound = math.sqrt(2) * math.sqrt(3 / fan_in)
        params.append(np.random.rand(k, k, a, b) * 2 * bound - bound)
        params.append(np.random.rand(b) * 2 / math.sqrt(fan_in) - 1 / math.sqrt(fan_in))
        params += [np.ones(b), np.zeros(b)]
    for a, b in RESNET9_LINEARS:
        bound = math.sqrt(6 / a)
        params.append(np.random.rand(a, b) * 2 * bound - bound)
        bound = math.sqrt(6 / b)
        params.append((np.random.rand(b, 1) * 2 * bound - bound).reshape(1, b))
    return params


def torch_resnet9(x, params):
    """ResNet9's forward in training mode (batch statistics), through torch.nn.functional."""
    params = iter(torch.tensor(p.numpy()) for p in params)

    def conv_bn(x, stride):
        weight, bias, gamma, beta = (next(params) for _ in range(4))
        x = F.conv2d(x, weight.permute(3, 2, 0, 1), bias, stride=stride, padding=weight.shape[0] // 2)
        return F.relu(F.batch_norm(x, None, None, gamma, beta, training=True, eps=1e-5))

    x = conv_bn(conv_bn(x, 4), 2)
    x = x + conv_bn(conv_bn(x, 1), 1)
    x = conv_bn(conv_bn(x, 2), 2)
    x = x + conv_bn(conv_bn(x, 1), 1)
    x = x.reshape(x.shape[0], -1)
    w1, b1, w2, b2 = (next(params) for _ in range(4))
    return F.relu(x @ w1 + b1) @ w2 + b2


def images(n, seed=0):
    return np.random.default_rng(seed).random((n, 3, 32, 32), dtype=np.float32)


@pytest.mark.hw4_resnet9
def test_resnet9_has_431946_parameters_of_the_course_shapes():
    params = ResNet9().parameters()
    assert [tuple(p.shape) for p in params] == resnet9_shapes()
    assert sum(int(np.prod(p.shape)) for p in params) == 431_946


@pytest.mark.hw4_resnet9
def test_resnet9_draws_every_parameter_in_the_course_order():
    np.random.seed(3)
    params = ResNet9().parameters()
    for position, (got, expected) in enumerate(zip(params, resnet9_hand_draws(3))):
        np.testing.assert_allclose(got.numpy(), expected, rtol=1e-6, atol=1e-7,
                                   err_msg=f"parameter {position} of shape {expected.shape}")


@pytest.mark.hw4_resnet9
@pytest.mark.parametrize("device", DEVICES)
def test_resnet9_forward_matches_torch(device):
    np.random.seed(0)
    model = ResNet9(device=device)
    x = images(4)
    logits = model(ndl.Tensor(x, device=device))
    assert logits.shape == (4, 10)
    expected = torch_resnet9(torch.tensor(x), model.parameters())
    np.testing.assert_allclose(logits.numpy(), expected.numpy(), rtol=1e-4, atol=1e-4)


@pytest.mark.hw4_resnet9
@pytest.mark.parametrize("device", DEVICES)
def test_resnet9_keeps_every_parameter_on_its_device(device):
    model = ResNet9(device=device, dtype="float32")
    assert all(p.device == device and p.dtype == "float32" for p in model.parameters())
    assert model(ndl.Tensor(images(2), device=device)).device == device


@pytest.mark.hw4_resnet9
@pytest.mark.parametrize("device", DEVICES)
def test_resnet9_one_adam_step_lowers_the_loss(device):
    np.random.seed(0)
    model = ResNet9(device=device)
    X = ndl.Tensor(images(8, seed=1), device=device)
    y = ndl.Tensor(np.arange(8) % 10, device=device)
    loss_fn = ndl.nn.SoftmaxLoss()
    opt = ndl.optim.Adam(model.parameters(), lr=0.001)
    before = loss_fn(model(X), y)
    opt.reset_grad()
    before.backward()
    assert all(p.grad is not None for p in model.parameters())  # every layer is in the graph
    opt.step()
    after = loss_fn(model(X), y)
    assert float(after.numpy()) < float(before.numpy()) - 0.05


@pytest.mark.hw4_resnet9
def test_resnet9_names_a_wrong_image_shape():
    with pytest.raises(ValueError, match=r"\(N, 3, 32, 32\).*\(2, 32, 32, 3\)"):
        ResNet9()(ndl.Tensor(np.zeros((2, 32, 32, 3), dtype=np.float32)))


# ---------------------------------------------------------------------------------------------
# LanguageModel

VOCAB, EMBED, HIDDEN, SEQ, BS = 11, 6, 5, 4, 3


def word_ids(seq_len=SEQ, bs=BS, seed=0):
    return np.random.default_rng(seed).integers(0, VOCAB, (seq_len, bs)).astype(np.float32)


def torch_language_model(model, kind, num_layers, x, h=None):
    """The same LanguageModel in torch: embedding lookup, torch.nn.RNN / LSTM with our weights, linear."""
    params = [torch.tensor(p.numpy()) for p in model.parameters()]
    embedding, rest = params[0], params[1:]
    torch_seq = (torch.nn.RNN if kind == "rnn" else torch.nn.LSTM)(EMBED, HIDDEN, num_layers)
    with torch.no_grad():
        for layer in range(num_layers):
            W_ih, W_hh, b_ih, b_hh = rest[4 * layer: 4 * layer + 4]
            getattr(torch_seq, f"weight_ih_l{layer}").copy_(W_ih.T)
            getattr(torch_seq, f"weight_hh_l{layer}").copy_(W_hh.T)
            getattr(torch_seq, f"bias_ih_l{layer}").copy_(b_ih)
            getattr(torch_seq, f"bias_hh_l{layer}").copy_(b_hh)
        weight, bias = rest[4 * num_layers:]
        out, h_n = torch_seq(embedding[torch.tensor(x).long()], h)
        return (out.reshape(-1, HIDDEN) @ weight + bias).numpy(), h_n


@pytest.mark.hw4_language_model
@pytest.mark.parametrize("kind", ["rnn", "lstm"])
def test_language_model_draws_embedding_then_cells_then_linear(kind):
    np.random.seed(5)
    params = LanguageModel(EMBED, VOCAB, HIDDEN, num_layers=2, seq_model=kind).parameters()
    np.random.seed(5)
    gates = 1 if kind == "rnn" else 4
    bound = math.sqrt(1 / HIDDEN)
    expected = [np.random.randn(VOCAB, EMBED)]
    for layer in range(2):
        inputs = EMBED if layer == 0 else HIDDEN
        for shape in ((inputs, gates * HIDDEN), (HIDDEN, gates * HIDDEN), (gates * HIDDEN,), (gates * HIDDEN,)):
            expected.append(np.random.rand(*shape) * 2 * bound - bound)
    expected.append(np.random.rand(HIDDEN, VOCAB) * 2 * math.sqrt(6 / HIDDEN) - math.sqrt(6 / HIDDEN))
    expected.append(np.random.rand(VOCAB, 1).reshape(1, VOCAB) * 2 * math.sqrt(6 / VOCAB) - math.sqrt(6 / VOCAB))
    assert [p.shape for p in params] == [e.shape for e in expected]
    for position, (got, want) in enumerate(zip(params, expected)):
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-5, atol=1e-6, err_msg=f"parameter {position}")


@pytest.mark.hw4_language_model
@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("kind", ["rnn", "lstm"])
def test_language_model_matches_torch_and_carries_h(kind, device):
    np.random.seed(0)
    model = LanguageModel(EMBED, VOCAB, HIDDEN, num_layers=2, seq_model=kind, device=device)
    x1, x2 = word_ids(seed=1), word_ids(seed=2)
    logits, h = model(ndl.Tensor(x1, device=device))
    assert logits.shape == (SEQ * BS, VOCAB)
    states = [h] if kind == "rnn" else list(h)
    assert isinstance(h, tuple) == (kind == "lstm")
    assert all(s.shape == (2, BS, HIDDEN) and s.device == device for s in states)
    expected, torch_h = torch_language_model(model, kind, 2, x1)
    np.testing.assert_allclose(logits.numpy(), expected, rtol=1e-4, atol=1e-5)
    # the state returned goes back in
    logits2, _ = model(ndl.Tensor(x2, device=device), h)
    expected2, _ = torch_language_model(model, kind, 2, x2, torch_h)
    np.testing.assert_allclose(logits2.numpy(), expected2, rtol=1e-4, atol=1e-5)


@pytest.mark.hw4_language_model
@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("kind", ["rnn", "lstm"])
def test_language_model_keeps_every_parameter_on_its_device(kind, device):
    model = LanguageModel(EMBED, VOCAB, HIDDEN, seq_model=kind, device=device)
    assert all(p.device == device for p in model.parameters())


@pytest.mark.hw4_language_model
def test_language_model_names_an_unknown_seq_model():
    with pytest.raises(ValueError, match="'gru'"):
        LanguageModel(EMBED, VOCAB, HIDDEN, seq_model="gru")


@pytest.mark.hw4_transformer
@pytest.mark.parametrize("device", DEVICES)
def test_transformer_language_model_shapes_order_and_causality(device):
    np.random.seed(7)
    model = LanguageModel(8, VOCAB, 16, num_layers=2, seq_model="transformer", seq_len=SEQ, device=device)
    params = model.parameters()
    np.random.seed(7)
    np.testing.assert_allclose(params[0].numpy(), np.random.randn(VOCAB, 8), rtol=1e-5, atol=1e-6)  # drawn first
    assert [p.shape for p in params[-2:]] == [(8, VOCAB), (1, VOCAB)]  # the decoder reads embedding_size
    assert params[1].shape == (SEQ, 8)  # the positional embedding covers seq_len
    assert all(p.device == device for p in params)
    x = word_ids()
    logits, h = model(ndl.Tensor(x, device=device))
    assert logits.shape == (SEQ * BS, VOCAB) and h.shape == (SEQ, BS, 8)
    # causal and seq-major: the first two steps' logits are those of the first two words alone
    head, _ = model(ndl.Tensor(x[:2], device=device))
    np.testing.assert_allclose(logits.numpy()[: 2 * BS], head.numpy(), rtol=1e-4, atol=1e-5)


def _train_steps(model, x, y, opt, count):
    loss_fn = ndl.nn.SoftmaxLoss()
    for _ in range(count):
        opt.reset_grad()
        out = model(x)
        loss = loss_fn(out if isinstance(out, ndl.Tensor) else out[0], y)
        loss.backward()
        opt.step()


@pytest.mark.hw4_language_model
@pytest.mark.parametrize("kind", ["resnet9", "rnn", "lstm", "transformer"])
def test_a_hundred_training_steps_leave_nothing_behind(kind):
    """Nothing from one step outlives it: after 30 steps and after 100, the same number of live
    Tensors (autograd.TENSOR_COUNTER) and of objects Python's collector tracks, and as many of
    Python's memory blocks (sys.getallocatedblocks) give or take 200 (the interpreter's and
    numpy's small caches still warm up a little; a graph kept alive would hold thousands)."""
    import gc
    import sys

    np.random.seed(0)
    if kind == "resnet9":
        model = ResNet9(device=ndl.cpu())
        x = ndl.Tensor(np.random.randn(2, 3, 32, 32), device=ndl.cpu(), requires_grad=False)
        y = ndl.Tensor(np.array([1, 7]), device=ndl.cpu(), requires_grad=False)
        opt = ndl.optim.Adam(model.parameters(), lr=0.001)
    else:
        model = LanguageModel(8, 20, 16, num_layers=1, seq_model=kind, seq_len=4, device=ndl.cpu())
        x = ndl.Tensor(np.random.randint(0, 20, (4, 3)), device=ndl.cpu(), requires_grad=False)
        y = ndl.Tensor(np.random.randint(0, 20, 12), device=ndl.cpu(), requires_grad=False)
        opt = ndl.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    _train_steps(model, x, y, opt, 30)
    gc.collect()
    tensors, objects, blocks = ndl.autograd.TENSOR_COUNTER, len(gc.get_objects()), sys.getallocatedblocks()
    _train_steps(model, x, y, opt, 70)
    gc.collect()
    assert ndl.autograd.TENSOR_COUNTER == tensors
    assert len(gc.get_objects()) == objects
    assert sys.getallocatedblocks() - blocks < 200, f"{sys.getallocatedblocks() - blocks} more memory blocks after 70 steps"
