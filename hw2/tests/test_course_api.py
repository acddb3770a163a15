"""needle used the way the course's notebooks and tests use it, so that course code runs unchanged.

In the course's style on purpose: tensors made from numpy with `dtype="float32"` as a string,
integer label tensors, parameters replaced through `.data` by tensors of the course's shapes,
datasets indexed by slices, seeded shuffles, the init functions' keywords, and operands of
different shapes that broadcast.
"""
import numpy as np
import pytest

import needle as ndl
import needle.nn as nn
from conftest import write_idx_images, write_idx_labels
from mlp_resnet import MLPResNet, ResidualBlock


def get_tensor(*shape, entropy=1):
    np.random.seed(np.prod(shape) * len(shape) * entropy)
    return ndl.Tensor(np.random.randint(0, 100, size=shape) / 20, dtype="float32")


def get_int_tensor(*shape, low=0, high=10, entropy=1):
    np.random.seed(np.prod(shape) * len(shape) * entropy)
    return ndl.Tensor(np.random.randint(low, high, size=shape))


@pytest.mark.hw2_nn_basic
def test_linear_with_a_bias_replaced_by_a_1d_tensor():
    np.random.seed(199)
    f = nn.Linear(10, 5)
    f.bias.data = get_tensor(5)
    x = get_tensor(3, 10)
    expected = x.numpy() @ f.weight.numpy() + f.bias.numpy()
    np.testing.assert_allclose(f(x).cached_data, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.hw2_nn_norm
def test_batchnorm1d_with_affine_parameters_replaced_by_1d_tensors():
    x = get_tensor(4, 3)
    bn = nn.BatchNorm1d(3)
    bn.weight.data = get_tensor(3, entropy=42)
    bn.bias.data = get_tensor(3, entropy=1337)
    xs = x.numpy()
    normed = (xs - xs.mean(0)) / np.sqrt(xs.var(0) + 1e-5)
    np.testing.assert_allclose(bn(x).cached_data, normed * bn.weight.numpy() + bn.bias.numpy(), rtol=1e-5, atol=1e-5)
    for i in range(3):
        bn(get_tensor(4, 3, entropy=i))
    assert bn.running_mean.cached_data.shape == (3,)


@pytest.mark.hw2_nn_basic
@pytest.mark.parametrize("label_dtype", [None, np.uint8])
def test_softmax_loss_with_integer_label_tensors(label_dtype):
    x = get_tensor(5, 10)
    y = get_int_tensor(5, low=0, high=10)
    if label_dtype is not None:
        y = ndl.Tensor(y.numpy().astype(label_dtype))
    loss = nn.SoftmaxLoss()(x, y)
    z = x.numpy().astype(np.float64)
    labels = y.numpy().astype(int)
    expected = np.mean(np.log(np.exp(z).sum(1)) - z[np.arange(5), labels])
    np.testing.assert_allclose(np.array(loss.cached_data), expected, rtol=1e-5)


@pytest.mark.hw2_ops_logarithmic
def test_logsumexp_with_positional_axes_and_a_squared_loss():
    x = get_tensor(3, 3, 3)
    np.testing.assert_allclose(
        ndl.ops.logsumexp(x, (1, 2)).cached_data, np.log(np.exp(x.numpy()).sum((1, 2))), rtol=1e-5
    )
    y = (ndl.ops.logsumexp(x, axes=(1,)) ** 2).sum()
    y.backward()
    xs = x.numpy().astype(np.float64)
    lse = np.log(np.exp(xs).sum(1, keepdims=True))
    np.testing.assert_allclose(x.grad.cached_data, 2 * lse * np.exp(xs - lse), rtol=1e-4)
    big = ndl.ops.logsumexp(ndl.Tensor(np.array([[1e10, 1e9, 1e8, -10], [1e-10, 1e9, 1e8, -10]])), (0,)).numpy()
    np.testing.assert_allclose(big, [1e10, 1e9 + np.log(2), 1e8 + np.log(2), -10 + np.log(2)], rtol=1e-7)


@pytest.mark.hw2_optim
@pytest.mark.parametrize("optimizer, kwargs", [
    (ndl.optim.SGD, {"lr": 0.01, "momentum": 0.9, "weight_decay": 0.01}),
    (ndl.optim.Adam, {"lr": 0.001, "weight_decay": 0.01}),
])
def test_a_training_loop_as_the_course_writes_it(optimizer, kwargs):
    np.random.seed(42)
    model = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 16))
    X = get_tensor(256, 64).cached_data
    y = get_int_tensor(256, low=0, high=16).cached_data.astype(np.uint8)
    loss_func = nn.SoftmaxLoss()
    opt = optimizer(model.parameters(), **kwargs)
    losses = []
    for X0, y0 in zip(np.array_split(X, 8), np.array_split(y, 8)):
        opt.reset_grad()
        X0, y0 = ndl.Tensor(X0, dtype="float32"), ndl.Tensor(y0)
        loss = loss_func(model(X0), y0)
        loss.backward()
        grad_before = model.parameters()[0].grad.detach().cached_data.copy()
        opt.step()
        grad_after = model.parameters()[0].grad.detach().cached_data
        np.testing.assert_allclose(grad_before, grad_after, err_msg="Optim should not modify gradients in place")
        losses.append(float(loss.numpy()))
    assert np.array(loss.cached_data).dtype == np.float32
    assert isinstance(ndl.autograd.TENSOR_COUNTER, int)


@pytest.mark.hw2_init
def test_init_functions_take_the_course_keywords():
    x = ndl.init.rand(3, 4, low=-1.0, high=1.0, device=ndl.cpu(), dtype="float32", requires_grad=True)
    assert x.shape == (3, 4) and x.dtype == np.float32 and x.requires_grad
    assert ndl.init.randn(2, 2, mean=1.0, std=0.0, requires_grad=False).numpy().tolist() == [[1.0, 1.0], [1.0, 1.0]]
    assert ndl.init.constant(2, c=3.0, device=ndl.cpu()).numpy().tolist() == [3.0, 3.0]
    assert ndl.init.one_hot(3, ndl.Tensor([2, 0]), device=ndl.cpu()).numpy().tolist() == [[0, 0, 1], [1, 0, 0]]
    assert ndl.init.zeros_like(x, device=ndl.cpu()).shape == (3, 4)
    np.random.seed(42)
    assert ndl.init.kaiming_uniform(3, 5).shape == (3, 5)
    assert ndl.init.xavier_uniform(3, 5, gain=1.5, dtype="float32").dtype == np.float32


@pytest.mark.hw2_nn_basic
def test_bias_added_without_broadcast_to_broadcasts():
    x, w, b = get_tensor(4, 3), get_tensor(3, 2, entropy=2), get_tensor(1, 2, entropy=3)
    out = x @ w + b  # (4, 2) + (1, 2): b's gradient comes back as (1, 2)
    out.sum().backward()
    np.testing.assert_allclose(out.numpy(), x.numpy() @ w.numpy() + b.numpy(), rtol=1e-6)
    np.testing.assert_allclose(b.grad.numpy(), np.full((1, 2), 4.0))


@pytest.mark.hw2_data
def test_datasets_index_by_slices_and_shuffle_with_numpys_permutation():
    train_dataset = ndl.data.NDArrayDataset(np.random.rand(100, 10, 10))
    for batch_size in [1, 10, 100]:
        loader = ndl.data.DataLoader(dataset=train_dataset, batch_size=batch_size, shuffle=False)
        for i, batch in enumerate(loader):
            truth = train_dataset[i * batch_size:(i + 1) * batch_size][0].reshape((batch_size, 10, 10))
            np.testing.assert_allclose(truth, batch[0].numpy())
    np.random.seed(0)
    order = np.random.permutation(100)
    np.random.seed(0)
    loader = iter(ndl.data.DataLoader(dataset=ndl.data.NDArrayDataset(np.arange(100)), batch_size=1, shuffle=True))
    assert [next(loader)[0].numpy().item() for _ in range(10)] == order[:10].tolist()


@pytest.mark.hw2_data
def test_mnist_dataset_by_index_and_by_slice(tmp_path):
    rng = np.random.default_rng(0)
    images, labels = rng.integers(0, 256, (6, 28, 28), dtype=np.uint8), np.arange(6, dtype=np.uint8)
    write_idx_images(tmp_path / "img.gz", images)
    write_idx_labels(tmp_path / "lbl.gz", labels)
    dataset = ndl.data.MNISTDataset(str(tmp_path / "img.gz"), str(tmp_path / "lbl.gz"))
    assert len(dataset) == 6
    np.testing.assert_allclose(np.linalg.norm(dataset[1][0]), np.linalg.norm(images[1] / 255.0), rtol=1e-5)
    X, y = dataset[2:4]
    assert X.shape[0] == 2 and y.tolist() == [2, 3]
    loader = ndl.data.DataLoader(dataset=dataset, batch_size=1, shuffle=False)
    for i, (batch_x, batch_y) in enumerate(loader):
        truth = dataset[i:i + 1]
        np.testing.assert_allclose(truth[0].reshape(-1), batch_x.numpy().flatten())
        np.testing.assert_allclose(batch_y.numpy(), truth[1].reshape(-1))
    flipped = ndl.data.MNISTDataset(str(tmp_path / "img.gz"), str(tmp_path / "lbl.gz"),
                                    transforms=[ndl.data.RandomCrop(15), ndl.data.RandomFlipHorizontal()])
    assert np.asarray(flipped[0][0]).size == 28 * 28


@pytest.mark.hw2_mlp_resnet
@pytest.mark.parametrize("norm", [nn.BatchNorm1d, nn.LayerNorm1d])
def test_mlp_resnet_pieces_on_float64_and_float32_inputs(norm):
    np.random.seed(2)
    out = ResidualBlock(15, 10, norm, 0.5)(ndl.Tensor(np.random.randn(1, 15)))
    assert out.shape == (1, 15)
    np.random.seed(4)
    out = MLPResNet(15, 10, 2, 5, norm, 0.5)(ndl.Tensor(np.random.randn(2, 15), dtype=np.float32))
    assert out.shape == (2, 5) and out.dtype == np.float32
