"""apps/mlp_resnet.py: ResidualBlock and MLPResNet (parameter shapes and count, the course's
order of random draws replayed by hand after numpy.random.seed, forward by hand in numpy and
against the same architecture written directly in PyTorch with needle's weights and running
statistics copied in, dropout off in eval mode); epoch() on a tiny synthetic dataset (training
lowers the loss; evaluation returns the error rate and the mean loss over examples that numpy
computes from the model's logits; training reports the statistics before each step; the
reseeding to 4 makes it reproducible); train_mnist() on tiny idx files written to tmp_path
(finite figures in sensible ranges, deterministic, and the course's recipe replayed by hand)."""
import math

import numpy as np
import pytest

import needle as ndl
import needle.nn as nn
import torch_models
from conftest import make_classification, write_idx_images, write_idx_labels
from mlp_resnet import MLPResNet, ResidualBlock, epoch, train_mnist

pytestmark = pytest.mark.hw2_mlp_resnet


def kaiming_by_hand(fan_in, fan_out):
    bound = math.sqrt(2) * math.sqrt(3 / fan_in)
    return np.random.rand(fan_in, fan_out) * (2 * bound) - bound


def linear_by_hand(fan_in, fan_out):
    weight = kaiming_by_hand(fan_in, fan_out)
    return [weight, kaiming_by_hand(fan_out, 1).reshape(1, fan_out)]


def numpy_softmax_loss(Z, y):
    Z = Z.astype(np.float64)
    peak = Z.max(axis=1, keepdims=True)
    lse = np.log(np.exp(Z - peak).sum(axis=1)) + peak[:, 0]
    return float(np.mean(lse - Z[np.arange(len(y)), y]))


def snapshot(model):
    """Every parameter and running statistic, copied."""
    values = [p.numpy().copy() for p in model.parameters()]
    for m in model.children():
        if isinstance(m, nn.BatchNorm1d):
            values += [m.running_mean.numpy().copy(), m.running_var.numpy().copy()]
    return values


def assert_same_values(first, second):
    assert len(first) == len(second)
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)


def synthetic_loader(n=48, dim=12, classes=3, batch_size=16, shuffle=False, seed=0):
    X, y = make_classification(n, dim, classes, seed=seed)
    return X, y, ndl.data.DataLoader(ndl.data.NDArrayDataset(X, y), batch_size=batch_size, shuffle=shuffle)


# --- structure ------------------------------------------------------------------------------


@pytest.mark.parametrize("norm", [nn.BatchNorm1d, nn.LayerNorm1d])
def test_residual_block_parameter_shapes_and_count(norm):
    block = ResidualBlock(8, 4, norm=norm, drop_prob=0.3)
    shapes = [p.shape for p in block.parameters()]
    assert shapes == [(8, 4), (1, 4), (4,), (4,), (4, 8), (1, 8), (8,), (8,)]
    assert sum(int(np.prod(s)) for s in shapes) == 100
    modules = block.children()
    assert sum(isinstance(m, norm) for m in modules) == 2
    assert [m.p for m in modules if isinstance(m, nn.Dropout)] == [0.3]
    assert sum(isinstance(m, nn.Residual) for m in modules) == 1


def test_mlp_resnet_784_100_has_110860_parameters():
    model = MLPResNet(784, 100)
    params = model.parameters()
    assert len(params) == 28
    # Linear(784, 100) + 3 blocks of [Linear(100, 50), BN(50), Linear(50, 100), BN(100)] + Linear(100, 10)
    assert sum(p.numpy().size for p in params) == 78500 + 3 * (5050 + 100 + 5100 + 200) + 1010 == 110860
    assert all(m.p == 0.1 for m in model.children() if isinstance(m, nn.Dropout))
    assert sum(isinstance(m, nn.BatchNorm1d) for m in model.children()) == 6


@pytest.mark.parametrize("drop_prob", [0.0, 0.3])
def test_mlp_resnet_passes_drop_prob_and_norm_to_every_block(drop_prob):
    model = MLPResNet(9, hidden_dim=6, num_blocks=2, norm=nn.LayerNorm1d, drop_prob=drop_prob)
    modules = model.children()
    assert [m.p for m in modules if isinstance(m, nn.Dropout)] == [drop_prob, drop_prob]
    assert [m.dim for m in modules if isinstance(m, nn.LayerNorm1d)] == [3, 6, 3, 6]
    assert not any(isinstance(m, nn.BatchNorm1d) for m in modules)


@pytest.mark.parametrize(
    "dim, hidden_dim, num_blocks, num_classes", [(784, 100, 3, 10), (12, 16, 1, 3), (5, 6, 0, 2), (20, 10, 4, 7)]
)
def test_mlp_resnet_maps_a_batch_to_class_logits(dim, hidden_dim, num_blocks, num_classes):
    np.random.seed(0)
    model = MLPResNet(dim, hidden_dim=hidden_dim, num_blocks=num_blocks, num_classes=num_classes)
    assert len(model.parameters()) == 4 + 8 * num_blocks
    out = model(ndl.Tensor(np.random.rand(6, dim).astype(np.float32)))
    assert out.shape == (6, num_classes)
    assert np.all(np.isfinite(out.numpy()))


def test_mlp_resnet_draws_its_weights_in_the_course_order():
    np.random.seed(2)
    model = MLPResNet(10, hidden_dim=8, num_blocks=2, num_classes=3)
    np.random.seed(2)
    expected = linear_by_hand(10, 8)
    for _ in range(2):
        expected += linear_by_hand(8, 4) + [np.ones(4), np.zeros(4)]
        expected += linear_by_hand(4, 8) + [np.ones(8), np.zeros(8)]
    expected += linear_by_hand(8, 3)
    params = model.parameters()
    assert [p.shape for p in params] == [e.shape for e in expected]
    for position, (p, e) in enumerate(zip(params, expected)):
        np.testing.assert_allclose(p.numpy(), e, rtol=1e-6, atol=1e-7, err_msg=f"parameter {position}")


def test_residual_block_forward_by_hand_with_layernorm():
    np.random.seed(3)
    block = ResidualBlock(6, 3, norm=nn.LayerNorm1d, drop_prob=0.0)
    W1, b1, g1, c1, W2, b2, g2, c2 = [p.numpy().astype(np.float64) for p in block.parameters()]
    X = np.random.default_rng(3).standard_normal((5, 6)).astype(np.float32)

    def layernorm(h, weight, bias):
        return weight * (h - h.mean(axis=1, keepdims=True)) / np.sqrt(h.var(axis=1, keepdims=True) + 1e-5) + bias

    hidden = np.maximum(layernorm(X @ W1 + b1, g1, c1), 0)
    expected = np.maximum(X + layernorm(hidden @ W2 + b2, g2, c2), 0)
    np.testing.assert_allclose(block(ndl.Tensor(X)).numpy(), expected, rtol=1e-5, atol=1e-5)


# --- against torch --------------------------------------------------------------------------


@pytest.mark.parametrize("norm", ["batch", "layer"])
def test_mlp_resnet_in_eval_matches_the_architecture_written_in_torch(norm, torch):
    np.random.seed(4)
    needle_norm = nn.BatchNorm1d if norm == "batch" else nn.LayerNorm1d
    model = MLPResNet(12, hidden_dim=10, num_blocks=2, num_classes=4, norm=needle_norm, drop_prob=0.5)
    rng = np.random.default_rng(4)
    for _ in range(3):  # move the running statistics away from (0, 1)
        model(ndl.Tensor(rng.standard_normal((8, 12)).astype(np.float32) * 2 + 1))
    model.eval()
    mirror = torch_models.mlp_resnet(torch, 12, hidden_dim=10, num_blocks=2, num_classes=4, norm=norm, drop_prob=0.5)
    torch_models.load_needle_values(torch, mirror, model).eval()

    X = rng.standard_normal((7, 12)).astype(np.float32)
    y = rng.integers(0, 4, 7).astype(np.uint8)
    x = ndl.Tensor(X)
    logits = model(x)
    loss = nn.SoftmaxLoss()(logits, ndl.Tensor(y))
    loss.backward()
    tx = torch_models.leaf(torch, X)
    t_logits = mirror(tx)
    t_loss = torch.nn.functional.cross_entropy(t_logits, torch.tensor(y, dtype=torch.long))
    t_loss.backward()
    np.testing.assert_allclose(logits.numpy(), torch_models.as_numpy(t_logits), rtol=1e-4, atol=1e-5)
    assert float(loss.numpy()) == pytest.approx(t_loss.item(), rel=1e-5)
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-4, atol=1e-5)
    for position, (ours, theirs) in enumerate(zip(model.parameters(), mirror.parameters())):
        expected = theirs.grad.numpy()
        expected = expected.T if expected.ndim == 2 else expected.reshape(ours.shape)
        np.testing.assert_allclose(ours.grad.numpy(), expected, rtol=1e-4, atol=1e-5, err_msg=f"parameter {position}")


# --- epoch ----------------------------------------------------------------------------------


def small_model(seed=5, dim=12, classes=3, **kwargs):
    np.random.seed(seed)
    return MLPResNet(dim, hidden_dim=16, num_blocks=1, num_classes=classes, **kwargs)


def test_training_epochs_lower_the_loss():
    _, _, loader = synthetic_loader(n=64, batch_size=16, shuffle=True)
    model = small_model()
    opt = ndl.optim.Adam(model.parameters(), lr=0.01)
    results = [epoch(loader, model, opt) for _ in range(6)]
    for error, loss in results:
        assert 0.0 <= error <= 1.0 and np.isfinite(loss) and loss > 0
    assert results[-1][1] < 0.8 * results[0][1]
    assert results[-1][0] <= results[0][0]


@pytest.mark.parametrize("batch_size", [20, 50, 7])
def test_evaluation_epoch_matches_the_error_and_mean_loss_by_hand(batch_size):
    X, y, train_loader = synthetic_loader(n=50, batch_size=10, shuffle=True, seed=1)
    model = small_model()
    opt = ndl.optim.SGD(model.parameters(), lr=0.1, momentum=0.5)
    epoch(train_loader, model, opt)
    before = snapshot(model)

    loader = ndl.data.DataLoader(ndl.data.NDArrayDataset(X, y), batch_size=batch_size)
    error, loss = epoch(loader, model)
    assert_same_values(before, snapshot(model))

    logits = model.eval()(ndl.Tensor(X)).numpy()  # eval mode: batch-independent
    assert error == pytest.approx(np.mean(logits.argmax(axis=1) != y), abs=1e-12)
    assert loss == pytest.approx(numpy_softmax_loss(logits, y), rel=1e-5)
    assert 0.0 <= error <= 1.0


def test_training_epoch_reports_the_statistics_before_each_step():
    X, y, loader = synthetic_loader(n=24, batch_size=24)
    model, twin = small_model(seed=6), small_model(seed=6)
    opt = ndl.optim.SGD(model.parameters(), lr=0.5)
    error, loss = epoch(loader, model, opt)

    np.random.seed(4)  # epoch's own seed: the same dropout mask
    twin.train()
    logits = twin(ndl.Tensor(X)).numpy()
    assert error == pytest.approx(np.mean(logits.argmax(axis=1) != y), abs=1e-12)
    assert loss == pytest.approx(numpy_softmax_loss(logits, y), rel=1e-5)
    assert any(not np.allclose(a, b) for a, b in zip(snapshot(model), snapshot(twin)))


def test_epoch_reseeds_numpy_so_training_is_reproducible():
    _, _, loader = synthetic_loader(n=40, batch_size=8, shuffle=True, seed=2)
    results = []
    for outside_seed in (123, 999):
        model = small_model(seed=7)
        opt = ndl.optim.Adam(model.parameters(), lr=0.01)
        np.random.seed(outside_seed)
        stats = epoch(loader, model, opt)
        results.append((stats, snapshot(model)))
    assert results[0][0] == results[1][0]
    assert_same_values(results[0][1], results[1][1])


def test_epoch_flattens_images():
    rng = np.random.default_rng(8)
    images = rng.random((15, 4, 4, 1)).astype(np.float32)
    labels = rng.integers(0, 2, 15).astype(np.uint8)
    loader = ndl.data.DataLoader(ndl.data.NDArrayDataset(images, labels), batch_size=6)
    model = small_model(seed=8, dim=16, classes=2)
    error, loss = epoch(loader, model)
    logits = model.eval()(ndl.Tensor(images.reshape(15, 16))).numpy()
    assert error == pytest.approx(np.mean(logits.argmax(axis=1) != labels), abs=1e-12)
    assert loss == pytest.approx(numpy_softmax_loss(logits, labels), rel=1e-5)


# --- train_mnist ----------------------------------------------------------------------------


@pytest.fixture
def mnist_dir(tmp_path):
    """200 training and 50 test images of 10 classes (a noisy prototype each), as idx files."""
    rng = np.random.default_rng(9)
    prototypes = rng.random((10, 28, 28))
    for prefix, count in (("train", 200), ("t10k", 50)):
        labels = rng.integers(0, 10, count).astype(np.uint8)
        pixels = np.clip(prototypes[labels] + 0.3 * rng.standard_normal((count, 28, 28)), 0, 1)
        write_idx_images(tmp_path / f"{prefix}-images-idx3-ubyte.gz", np.round(pixels * 255).astype(np.uint8))
        write_idx_labels(tmp_path / f"{prefix}-labels-idx1-ubyte.gz", labels)
    return tmp_path


def test_train_mnist_returns_four_sensible_figures_and_is_deterministic(mnist_dir):
    first = train_mnist(batch_size=50, epochs=2, hidden_dim=32, data_dir=str(mnist_dir))
    again = train_mnist(batch_size=50, epochs=2, hidden_dim=32, data_dir=str(mnist_dir))
    assert len(first) == 4
    train_err, train_loss, test_err, test_loss = first
    assert all(np.isfinite(float(v)) for v in first)
    assert 0.0 <= train_err <= 1.0 and 0.0 <= test_err <= 1.0
    assert 0.0 < train_loss < 10.0 and 0.0 < test_loss < 10.0
    assert tuple(first) == tuple(again)


@pytest.mark.parametrize(
    "optimizer, lr, weight_decay", [(ndl.optim.Adam, 0.001, 0.001), (ndl.optim.SGD, 0.05, 0.0)], ids=["adam", "sgd"]
)
def test_train_mnist_follows_the_course_recipe(mnist_dir, optimizer, lr, weight_decay):
    result = train_mnist(batch_size=50, epochs=2, optimizer=optimizer, lr=lr, weight_decay=weight_decay,
                         hidden_dim=24, data_dir=str(mnist_dir))

    np.random.seed(4)
    model = MLPResNet(784, hidden_dim=24)
    opt = optimizer(model.parameters(), lr=lr, weight_decay=weight_decay)
    train_set = ndl.data.MNISTDataset(str(mnist_dir / "train-images-idx3-ubyte.gz"), str(mnist_dir / "train-labels-idx1-ubyte.gz"))
    test_set = ndl.data.MNISTDataset(str(mnist_dir / "t10k-images-idx3-ubyte.gz"), str(mnist_dir / "t10k-labels-idx1-ubyte.gz"))
    train_loader = ndl.data.DataLoader(train_set, 50, shuffle=True)
    for _ in range(2):
        train_err, train_loss = epoch(train_loader, model, opt)
    test_err, test_loss = epoch(ndl.data.DataLoader(test_set, 50), model)
    assert tuple(result) == pytest.approx((train_err, train_loss, test_err, test_loss), rel=1e-6, abs=1e-9)


@pytest.mark.hw2_mlp_resnet
def test_a_hundred_training_steps_leave_nothing_behind():
    """Nothing from one step outlives it: after 30 steps and after 100, the same number of live
    Tensors (autograd.TENSOR_COUNTER) and of objects Python's collector tracks, and as many of
    Python's memory blocks give or take 200 (small caches still warm up a little)."""
    import gc
    import sys

    np.random.seed(0)
    model = MLPResNet(20, hidden_dim=16, num_blocks=2, num_classes=5)
    opt = ndl.optim.Adam(model.parameters(), lr=0.01, weight_decay=0.001)
    X, y = make_classification(50, 20, 5)
    x, labels = ndl.Tensor(X, requires_grad=False), ndl.Tensor(y, requires_grad=False)

    def train(steps):
        for _ in range(steps):
            opt.reset_grad()
            nn.SoftmaxLoss()(model(x), labels).backward()
            opt.step()

    train(30)
    gc.collect()
    tensors, objects, blocks = ndl.autograd.TENSOR_COUNTER, len(gc.get_objects()), sys.getallocatedblocks()
    train(70)
    gc.collect()
    assert ndl.autograd.TENSOR_COUNTER == tensors
    assert len(gc.get_objects()) == objects
    assert sys.getallocatedblocks() - blocks < 200, f"{sys.getallocatedblocks() - blocks} more memory blocks after 70 steps"
