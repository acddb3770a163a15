"""DataLoader(dataset, batch_size, shuffle, device, dtype): every batch Tensor lands on the device
asked for (cpu() when None) as float32 with requires_grad=False, labels included; hw2's
semantics kept: batch order, the short last batch, len, and a fresh np.random.permutation at
every epoch that numpy.random.seed reproduces."""
import numpy as np
import pytest

import needle as ndl
from devices import ALL_DEVICES
from needle.data import DataLoader, NDArrayDataset

pytestmark = pytest.mark.hw4_resnet9


def indexed_dataset(n):
    """Row i of X is (i, -i, i / 2) and its label is i (int64): a batch tells which examples it holds."""
    i = np.arange(n)
    X = np.stack([i, -i, i / 2], axis=1).astype(np.float32)
    return NDArrayDataset(X, i.astype(np.int64))


def labels_per_batch(loader):
    return [y.numpy().astype(int).tolist() for _, y in loader]


@pytest.mark.parametrize("device", ALL_DEVICES)
def test_batches_land_on_the_device_as_float32_constants(device):
    dataset = indexed_dataset(5)
    loader = DataLoader(dataset, batch_size=2, device=device)
    batches = list(loader)
    assert len(batches) == 3
    for k, batch in enumerate(batches):
        assert isinstance(batch, tuple) and len(batch) == 2
        for field in batch:
            assert isinstance(field, ndl.Tensor)
            assert field.device == device
            assert field.dtype == "float32"
            assert not field.requires_grad and field.is_leaf()
        X, y = batch
        np.testing.assert_array_equal(X.numpy(), dataset.arrays[0][2 * k : 2 * k + 2])
        np.testing.assert_array_equal(y.numpy(), np.arange(2 * k, min(2 * k + 2, 5)))


def test_device_none_means_cpu():
    loader = DataLoader(indexed_dataset(3), batch_size=3)
    assert loader.device is None and loader.dtype == "float32"
    X, y = next(iter(loader))
    assert X.device == ndl.cpu() and y.device == ndl.cpu()
    assert X.dtype == "float32" and y.dtype == "float32"


@pytest.mark.parametrize("device", ALL_DEVICES)
def test_batches_feed_a_model_on_the_device(device):
    np.random.seed(0)
    model = ndl.nn.Linear(3, 4, device=device)
    X, y = next(iter(DataLoader(indexed_dataset(4), batch_size=4, device=device)))
    out = model(X)
    assert out.device == device and out.shape == (4, 4)
    ndl.nn.SoftmaxLoss()(out, y).backward()
    assert model.weight.grad.device == device


@pytest.mark.parametrize("n, batch_size", [(10, 4), (10, 5), (7, 1), (3, 10), (1, 1)])
def test_every_example_once_in_order_with_a_short_last_batch(n, batch_size):
    loader = DataLoader(indexed_dataset(n), batch_size=batch_size, device=ndl.cpu())
    batches = labels_per_batch(loader)
    count = -(-n // batch_size)
    assert len(loader) == count == len(batches)
    assert [len(b) for b in batches[:-1]] == [batch_size] * (count - 1)
    assert len(batches[-1]) == n - batch_size * (count - 1)
    assert sum(batches, []) == list(range(n))
    assert labels_per_batch(loader) == batches  # no shuffle: every epoch the same


@pytest.mark.parametrize("device", ALL_DEVICES)
def test_shuffle_draws_a_fresh_permutation_every_epoch(device):
    n = 12
    loader = DataLoader(indexed_dataset(n), batch_size=5, shuffle=True, device=device)
    np.random.seed(3)
    epochs = [list(loader) for _ in range(3)]
    np.random.seed(3)
    expected = [np.random.permutation(n).tolist() for _ in range(3)]
    orders = [sum([y.numpy().astype(int).tolist() for _, y in epoch], []) for epoch in epochs]
    assert orders == expected
    assert orders[0] != orders[1] != orders[2]
    for epoch, order in zip(epochs, orders):
        assert [X.shape[0] for X, _ in epoch] == [5, 5, 2]
        X = np.concatenate([X.numpy() for X, _ in epoch])
        np.testing.assert_array_equal(X[:, 0], order)  # images travel with their labels
        assert all(X.device == device for X, _ in epoch)


def test_single_array_datasets_give_one_tuples():
    X = np.arange(10, dtype=np.float32).reshape(5, 2)
    batches = list(DataLoader(NDArrayDataset(X), batch_size=2, device=ndl.cpu_numpy()))
    assert all(isinstance(b, tuple) and len(b) == 1 for b in batches)
    assert batches[2][0].device == ndl.cpu_numpy()
    np.testing.assert_array_equal(batches[2][0].numpy(), X[4:])


@pytest.mark.parametrize("batch_size", [0, -1, 2.5, None])
def test_a_batch_size_that_is_not_a_positive_integer_is_refused(batch_size):
    with pytest.raises(ValueError, match="batch_size"):
        DataLoader(indexed_dataset(4), batch_size=batch_size, device=ndl.cpu())
