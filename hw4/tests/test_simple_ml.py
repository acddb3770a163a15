"""apps/simple_ml.py: the CIFAR-10 and Penn Treebank training and evaluation loops.

Oracles: the whole data set through the model at once, in numpy (an epoch's averages weight
every example or target word once, however the batches and chunks fall), and the loops written
out by hand with the same seeds.
"""
import numpy as np
import pytest

import needle as ndl
import simple_ml
from datafiles import write_cifar10, write_ptb
from devices import DEVICES
from models import LanguageModel, ResNet9

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def cross_entropy(logits, labels):
    """Per-row softmax cross-entropy, in float64."""
    logits = logits.astype(np.float64)
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return -log_probs[np.arange(len(labels)), labels.astype(np.int64)]


def same_parameters(a, b):
    return all(np.array_equal(p.numpy(), q.numpy()) for p, q in zip(a.parameters(), b.parameters()))


# ---------------------------------------------------------------------------------------------
# CIFAR-10

@pytest.fixture
def cifar(tmp_path):
    """Five training images (one per batch file) and the folder holding them."""
    return tmp_path, write_cifar10(tmp_path, n_train_per_batch=1, n_test=3, seed=1)


@pytest.mark.hw4_resnet9
@pytest.mark.parametrize("device", DEVICES)
def test_epoch_general_cifar10_evaluates_every_image_once(cifar, device):
    folder, files = cifar
    np.random.seed(0)
    model = ResNet9(device=device)
    loader = ndl.data.DataLoader(ndl.data.CIFAR10Dataset(str(folder), train=True), batch_size=2, device=device)
    accuracy, loss = simple_ml.epoch_general_cifar10(loader, model)  # batches of 2, 2 and a short 1
    assert not model.training and not any(m.training for m in model.children())
    # in eval mode BatchNorm uses its running statistics, so all five images at once give the same logits
    X = (files.train_data.reshape(-1, 3, 32, 32) / 255).astype(np.float32)
    logits = model(ndl.Tensor(X, device=device)).numpy()
    np.testing.assert_allclose(loss, cross_entropy(logits, files.train_labels).mean(), rtol=1e-5)
    assert accuracy == np.mean(logits.argmax(axis=1) == files.train_labels)


@pytest.mark.hw4_resnet9
def test_epoch_general_cifar10_trains_with_an_optimizer(cifar):
    folder, _ = cifar
    np.random.seed(0)
    model = ResNet9()
    loader = ndl.data.DataLoader(ndl.data.CIFAR10Dataset(str(folder), train=True), batch_size=3)
    steps = []

    class CountingAdam(ndl.optim.Adam):
        def step(self):
            steps.append(self.t)
            super().step()

    opt = CountingAdam(model.parameters(), lr=0.01)
    first = simple_ml.epoch_general_cifar10(loader, model, opt=opt)
    assert model.training and len(steps) == 2  # one step per batch, in train mode
    for _ in range(3):
        last = simple_ml.epoch_general_cifar10(loader, model, opt=opt)
    assert steps == list(range(8)) and last[1] < first[1] - 0.5


@pytest.mark.hw4_resnet9
def test_train_cifar10_is_the_epoch_loop_with_its_optimizer(cifar, tmp_path):
    folder, _ = cifar
    loader = ndl.data.DataLoader(ndl.data.CIFAR10Dataset(str(folder), train=True), batch_size=2, shuffle=True)
    np.random.seed(0)
    model = ResNet9()
    plot = tmp_path / "curve.png"
    result = simple_ml.train_cifar10(model, loader, n_epochs=2, optimizer=ndl.optim.SGD, lr=0.05,
                                     weight_decay=0.01, plot=str(plot))
    np.random.seed(0)
    by_hand = ResNet9()
    np.random.seed(4)
    opt = ndl.optim.SGD(by_hand.parameters(), lr=0.05, weight_decay=0.01)
    for _ in range(2):
        expected = simple_ml.epoch_general_cifar10(loader, by_hand, ndl.nn.SoftmaxLoss(), opt)
    assert result == pytest.approx(expected, rel=1e-5)
    assert same_parameters(model, by_hand)
    assert plot.read_bytes().startswith(PNG_MAGIC)
    assert simple_ml.evaluate_cifar10(model, loader) == pytest.approx(simple_ml.epoch_general_cifar10(loader, model))


# ---------------------------------------------------------------------------------------------
# Penn Treebank

# A corpus with learnable structure: each line counts up a fixed word cycle.
WORDS = "the cat sat on a mat and ran".split()
LINES = [" ".join(WORDS[(start + j) % len(WORDS)] for j in range(6)) for start in range(12)]


@pytest.fixture
def ptb(tmp_path):
    corpus = ndl.data.Corpus(str(write_ptb(tmp_path / "ptb", LINES, LINES[:3])))
    return corpus, ndl.data.batchify(corpus.train, 4, device=None, dtype="float32")  # (21, 4)


def small_lm(corpus, kind, device=None, seed=0):
    np.random.seed(seed)
    return LanguageModel(8, len(corpus.dictionary), 12, num_layers=1, seq_model=kind, seq_len=5, device=device)


@pytest.mark.hw4_language_model
@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("kind, seq_len", [("rnn", 6), ("lstm", 6), ("lstm", 5)])
def test_epoch_general_ptb_weights_every_target_word_once(ptb, kind, seq_len, device):
    corpus, data = ptb
    model = small_lm(corpus, kind, device)
    # 21 rows, 20 of them inputs: chunks of 6, 6, 6 and a short 2 (chunk means would overweigh it), or 4 of 5
    accuracy, loss = simple_ml.epoch_general_ptb(data, model, seq_len=seq_len, device=device)
    assert not model.training
    # the state is carried from chunk to chunk, so the whole sequence at once gives the same logits
    logits, _ = model(ndl.Tensor(data[:-1], device=device))
    targets = data[1:].flatten()
    np.testing.assert_allclose(loss, cross_entropy(logits.numpy(), targets).mean(), rtol=1e-5)
    assert accuracy == pytest.approx(np.mean(logits.numpy().argmax(axis=1) == targets))


@pytest.mark.hw4_language_model
@pytest.mark.parametrize("kind", ["rnn", "lstm"])
def test_epoch_general_ptb_carries_the_state_detached(ptb, kind):
    corpus, data = ptb
    model = small_lm(corpus, kind)
    seen = []
    forward = model.forward

    def recording_forward(x, h=None):
        seen.append(h)
        return forward(x, h)

    model.forward = recording_forward
    simple_ml.epoch_general_ptb(data, model, seq_len=6, opt=ndl.optim.SGD(model.parameters(), lr=0.5))
    assert model.training and len(seen) == 4 and seen[0] is None
    for h in seen[1:]:
        states = h if kind == "lstm" else (h,)
        assert len(states) == (2 if kind == "lstm" else 1)
        assert all(s.is_leaf() and not s.requires_grad for s in states)  # cut from the last chunk's graph


@pytest.mark.hw4_language_model
def test_clip_bounds_the_step(ptb):
    corpus, data = ptb
    model = small_lm(corpus, "rnn")
    before = [p.numpy() for p in model.parameters()]
    # one chunk (seq_len covers the data), plain SGD: the step is lr times the clipped gradient
    simple_ml.epoch_general_ptb(data, model, seq_len=40, opt=ndl.optim.SGD(model.parameters(), lr=2.0), clip=0.01)
    step = np.sqrt(sum(((p.numpy() - b) ** 2).sum() for p, b in zip(model.parameters(), before)))
    assert step == pytest.approx(2.0 * 0.01, rel=1e-3)


@pytest.mark.hw4_language_model
def test_clip_grad_norm_scales_only_above_the_limit():
    a, b = ndl.nn.Parameter(np.zeros(2, dtype=np.float32)), ndl.nn.Parameter(np.zeros(1, dtype=np.float32))
    c = ndl.nn.Parameter(np.zeros(1, dtype=np.float32))
    a.grad, b.grad, c.grad = ndl.Tensor([3.0, 0.0]), ndl.Tensor([4.0]), None  # c has no gradient: skipped
    assert simple_ml.clip_grad_norm([a, b, c], 10.0) == pytest.approx(5.0)
    np.testing.assert_allclose(b.grad.numpy(), [4.0])
    assert simple_ml.clip_grad_norm([a, b, c], 1.0) == pytest.approx(5.0)
    np.testing.assert_allclose(a.grad.numpy(), [0.6, 0.0], rtol=1e-6)
    np.testing.assert_allclose(b.grad.numpy(), [0.8], rtol=1e-6)
    assert c.grad is None


@pytest.mark.hw4_language_model
@pytest.mark.parametrize("kind", ["rnn", "lstm"])
def test_train_ptb_lowers_the_loss_and_plots(ptb, kind, tmp_path):
    corpus, data = ptb
    model = small_lm(corpus, kind)
    first = simple_ml.evaluate_ptb(model, data, seq_len=6)
    plot = tmp_path / "ptb.png"
    result = simple_ml.train_ptb(model, data, seq_len=6, n_epochs=4, lr=2.0, clip=5.0, plot=str(plot))
    assert result[1] < first[1] - 0.5
    assert simple_ml.evaluate_ptb(model, data, seq_len=6)[1] < first[1] - 0.5
    assert plot.read_bytes().startswith(PNG_MAGIC)


@pytest.mark.hw4_language_model
def test_train_ptb_is_the_epoch_loop_with_its_optimizer(ptb):
    corpus, data = ptb
    model, by_hand = small_lm(corpus, "lstm"), small_lm(corpus, "lstm")
    result = simple_ml.train_ptb(model, data, seq_len=6, n_epochs=2, optimizer=ndl.optim.Adam, lr=0.01,
                                 weight_decay=0.001)
    np.random.seed(4)
    opt = ndl.optim.Adam(by_hand.parameters(), lr=0.01, weight_decay=0.001)
    for _ in range(2):
        expected = simple_ml.epoch_general_ptb(data, by_hand, 6, ndl.nn.SoftmaxLoss(), opt)
    assert result == pytest.approx(expected, rel=1e-5)
    assert same_parameters(model, by_hand)


@pytest.mark.hw4_language_model
def test_epoch_general_ptb_names_data_that_is_not_batchified():
    with pytest.raises(ValueError, match=r"\(nbatch, bs\).*\(1, 4\)"):
        simple_ml.epoch_general_ptb(np.zeros((1, 4)), None)


@pytest.mark.hw4_transformer
def test_train_ptb_trains_a_transformer_language_model(ptb):
    corpus, data = ptb
    model = LanguageModel(8, len(corpus.dictionary), 16, num_layers=1, seq_model="transformer", seq_len=6)
    first = simple_ml.evaluate_ptb(model, data, seq_len=6)
    simple_ml.train_ptb(model, data, seq_len=6, n_epochs=4, optimizer=ndl.optim.Adam, lr=0.01)
    assert simple_ml.evaluate_ptb(model, data, seq_len=6)[1] < first[1] - 0.5
