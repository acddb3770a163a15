"""needle.data: the image transforms on small known images (RandomFlipHorizontal and RandomCrop
against the documented draws replayed by hand after numpy.random.seed, including the zero fill
of the crop), NDArrayDataset, the DataLoader (tuples of Tensors, batch order, the short last
batch, len, a fresh np.random.permutation at every epoch that numpy.random.seed reproduces) and
MNISTDataset on idx files written by the conftest helpers (images (28, 28, 1) float32 in [0, 1]
against the raw bytes / 255, labels, length, slicing, transforms)."""
import numpy as np
import pytest

import needle as ndl
from conftest import write_idx_images, write_idx_labels
from needle.data import DataLoader, MNISTDataset, NDArrayDataset, RandomCrop, RandomFlipHorizontal

pytestmark = pytest.mark.hw2_data


def image(height=4, width=5, channels=2):
    """An H x W x C image whose every entry is distinct and nonzero."""
    return (np.arange(height * width * channels, dtype=np.float32) + 1).reshape(height, width, channels)


def shifted_by_hand(img, shift_x, shift_y):
    """out[i, j] = img[i + shift_x, j + shift_y], zero where that falls outside the image."""
    out = np.zeros_like(img)
    height, width = img.shape[:2]
    for i in range(height):
        for j in range(width):
            if 0 <= i + shift_x < height and 0 <= j + shift_y < width:
                out[i, j] = img[i + shift_x, j + shift_y]
    return out


# --- transforms -----------------------------------------------------------------------------


def test_flip_with_p_one_mirrors_the_width_axis():
    img = image()
    out = RandomFlipHorizontal(p=1.0)(img)
    assert out.shape == img.shape
    np.testing.assert_array_equal(out, img[:, ::-1, :])
    np.testing.assert_array_equal(out[:, 0, :], img[:, -1, :])


def test_flip_with_p_zero_keeps_the_image():
    img = image()
    np.testing.assert_array_equal(RandomFlipHorizontal(p=0.0)(img), img)


@pytest.mark.parametrize("seed", range(8))
def test_flip_follows_one_uniform_draw_under_a_seed(seed):
    img = image(3, 4, 1)
    np.random.seed(seed)
    out = RandomFlipHorizontal(p=0.5)(img)
    np.random.seed(seed)
    flipped = np.random.rand() < 0.5
    np.testing.assert_array_equal(out, img[:, ::-1, :] if flipped else img)


@pytest.mark.parametrize("seed", range(10))
@pytest.mark.parametrize("padding", [1, 2, 3])
def test_crop_shifts_by_the_drawn_amount_and_fills_with_zeros(seed, padding):
    img = image(5, 6, 2)
    np.random.seed(seed)
    out = RandomCrop(padding=padding)(img)
    np.random.seed(seed)
    shift_x, shift_y = np.random.randint(low=-padding, high=padding + 1, size=2)
    assert out.shape == img.shape
    np.testing.assert_array_equal(out, shifted_by_hand(img, shift_x, shift_y))


def test_crop_known_shift_by_hand():
    np.random.seed(0)
    shift_x, shift_y = np.random.randint(low=-2, high=3, size=2)
    assert (shift_x, shift_y) == (2, -2)  # numpy's legacy generator, fixed forever
    img = image(4, 4, 1)[..., 0]
    np.random.seed(0)
    out = RandomCrop(padding=2)(img[..., None])[..., 0]
    expected = np.array(
        [
            [0, 0, 9, 10],
            [0, 0, 13, 14],
            [0, 0, 0, 0],
            [0, 0, 0, 0],
        ],
        dtype=np.float32,
    )
    np.testing.assert_array_equal(out, expected)


def test_crop_with_zero_padding_is_the_identity():
    img = image()
    np.random.seed(1)
    np.testing.assert_array_equal(RandomCrop(padding=0)(img), img)


def test_crop_never_shifts_by_more_than_the_padding():
    img = np.ones((6, 6, 1), dtype=np.float32)
    np.random.seed(2)
    crop = RandomCrop(padding=2)
    zeros_seen = set()
    for _ in range(60):
        out = crop(img)
        zeros = int((out == 0).sum())
        assert zeros <= 6 * 6 - 4 * 4  # at most 2 rows and 2 columns shifted out
        zeros_seen.add(zeros)
    assert 0 in zeros_seen and len(zeros_seen) > 3


# --- NDArrayDataset -------------------------------------------------------------------------


def test_ndarray_dataset_gives_tuples_of_rows():
    X, y = np.arange(12).reshape(6, 2), np.arange(6) * 10
    dataset = NDArrayDataset(X, y)
    assert len(dataset) == 6
    item = dataset[4]
    assert isinstance(item, tuple) and len(item) == 2
    np.testing.assert_array_equal(item[0], X[4])
    assert item[1] == 40


def test_ndarray_dataset_refuses_arrays_of_different_lengths():
    with pytest.raises(ValueError, match="first dimension"):
        NDArrayDataset(np.zeros((3, 2)), np.zeros(4))


# --- DataLoader -----------------------------------------------------------------------------


def indexed_dataset(n):
    """Row i of X is (i, -i) and label i: a batch tells which examples it holds."""
    X = np.stack([np.arange(n), -np.arange(n)], axis=1).astype(np.float32)
    return NDArrayDataset(X, np.arange(n).astype(np.int64))


def labels_per_batch(loader):
    return [y.numpy().tolist() for _, y in loader]


def test_dataloader_yields_tuples_of_tensors_in_order():
    dataset = indexed_dataset(10)
    batches = list(DataLoader(dataset, batch_size=4))
    assert len(batches) == 3
    for batch in batches:
        assert isinstance(batch, tuple) and len(batch) == 2
        assert all(isinstance(field, ndl.Tensor) for field in batch)
    X, y = batches[0]
    assert X.shape == (4, 2) and y.shape == (4,)
    assert X.dtype == np.float32
    np.testing.assert_array_equal(X.numpy(), dataset.arrays[0][:4])
    assert labels_per_batch(DataLoader(dataset, batch_size=4)) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]


@pytest.mark.parametrize("n, batch_size", [(10, 4), (10, 5), (7, 1), (3, 10), (1, 1)])
def test_dataloader_covers_everything_once_with_a_short_last_batch(n, batch_size):
    loader = DataLoader(indexed_dataset(n), batch_size=batch_size)
    batches = labels_per_batch(loader)
    expected_count = -(-n // batch_size)
    assert len(loader) == expected_count == len(batches)
    assert [len(b) for b in batches[:-1]] == [batch_size] * (expected_count - 1)
    assert len(batches[-1]) == n - batch_size * (expected_count - 1)
    assert sum(batches, []) == list(range(n))


def test_dataloader_without_shuffle_repeats_the_same_epoch():
    loader = DataLoader(indexed_dataset(9), batch_size=2)
    assert labels_per_batch(loader) == labels_per_batch(loader)


def test_dataloader_shuffle_draws_a_fresh_permutation_every_epoch():
    n, batch_size = 12, 5
    loader = DataLoader(indexed_dataset(n), batch_size=batch_size, shuffle=True)
    np.random.seed(3)
    epochs = [sum(labels_per_batch(loader), []) for _ in range(3)]
    np.random.seed(3)
    expected = [np.random.permutation(n).tolist() for _ in range(3)]
    assert epochs == expected
    assert epochs[0] != epochs[1] != epochs[2]
    assert all(sorted(order) == list(range(n)) for order in epochs)
    assert [len(b) for b in labels_per_batch(loader)] == [5, 5, 2]


def test_dataloader_shuffle_is_reproducible_under_a_seed():
    loader = DataLoader(indexed_dataset(20), batch_size=3, shuffle=True)
    np.random.seed(4)
    first = labels_per_batch(loader)
    np.random.seed(4)
    again = labels_per_batch(loader)
    assert first == again
    assert sum(first, []) != list(range(20))


def test_dataloader_batches_of_a_single_array_dataset_are_one_tuples():
    X = np.arange(10, dtype=np.float32).reshape(5, 2)
    batches = list(DataLoader(NDArrayDataset(X), batch_size=2))
    assert all(isinstance(b, tuple) and len(b) == 1 for b in batches)
    np.testing.assert_array_equal(batches[2][0].numpy(), X[4:])


def test_dataloader_batches_feed_a_model():
    np.random.seed(5)
    model = ndl.nn.Linear(2, 3)
    X, y = next(iter(DataLoader(indexed_dataset(6), batch_size=6)))
    loss = ndl.nn.SoftmaxLoss()(model(X), ndl.Tensor(np.array([0, 1, 2, 0, 1, 2])))
    loss.backward()
    assert model.weight.grad.shape == (2, 3)


@pytest.mark.parametrize("batch_size", [0, -1, 2.5, None])
def test_dataloader_refuses_a_batch_size_that_is_not_a_positive_integer(batch_size):
    with pytest.raises(ValueError, match="batch_size"):
        DataLoader(indexed_dataset(4), batch_size=batch_size)


# --- MNISTDataset ---------------------------------------------------------------------------


def test_mnist_dataset_reads_images_as_28_28_1_float32_in_0_1(idx_files):
    image_file, label_file, images, labels = idx_files
    dataset = MNISTDataset(str(image_file), str(label_file))
    assert len(dataset) == 25
    for index in (0, 1, 7, 24):
        img, label = dataset[index]
        assert img.shape == (28, 28, 1) and img.dtype == np.float32
        np.testing.assert_allclose(img[..., 0], images[index] / 255.0, rtol=1e-6)
        assert label == labels[index]
    assert dataset[0][0][0, 0, 0] == 0.0 and dataset[1][0][0, 0, 0] == 1.0
    every = np.stack([dataset[i][0] for i in range(25)])
    assert every.min() == 0.0 and every.max() == 1.0


def test_mnist_dataset_slices_give_stacked_images_and_labels(idx_files):
    image_file, label_file, images, labels = idx_files
    dataset = MNISTDataset(str(image_file), str(label_file))
    batch, batch_labels = dataset[3:8]
    assert batch.shape == (5, 28, 28, 1) and batch.dtype == np.float32
    np.testing.assert_allclose(batch[..., 0], images[3:8] / 255.0, rtol=1e-6)
    np.testing.assert_array_equal(batch_labels, labels[3:8])


def test_mnist_dataset_applies_its_transforms_in_order(idx_files):
    image_file, label_file, images, labels = idx_files
    dataset = MNISTDataset(str(image_file), str(label_file), transforms=[RandomFlipHorizontal(p=1.0)])
    img, label = dataset[2]
    np.testing.assert_allclose(img[..., 0], images[2][:, ::-1] / 255.0, rtol=1e-6)
    assert label == labels[2]
    batch, _ = dataset[0:3]
    np.testing.assert_allclose(batch[..., 0], images[0:3][:, :, ::-1] / 255.0, rtol=1e-6)

    cropping = MNISTDataset(str(image_file), str(label_file), transforms=[RandomCrop(padding=3), RandomFlipHorizontal(p=1.0)])
    np.random.seed(6)
    out, _ = cropping[4]
    np.random.seed(6)
    shift_x, shift_y = np.random.randint(low=-3, high=4, size=2)
    np.random.rand()  # the flip's draw
    expected = shifted_by_hand(images[4][..., None] / np.float32(255), shift_x, shift_y)[:, ::-1]
    np.testing.assert_allclose(out, expected, rtol=1e-6)


def test_mnist_dataset_in_a_dataloader(idx_files):
    image_file, label_file, images, labels = idx_files
    loader = DataLoader(MNISTDataset(str(image_file), str(label_file)), batch_size=10)
    batches = list(loader)
    assert [X.shape for X, _ in batches] == [(10, 28, 28, 1), (10, 28, 28, 1), (5, 28, 28, 1)]
    np.testing.assert_allclose(batches[1][0].numpy()[..., 0], images[10:20] / 255.0, rtol=1e-6)
    np.testing.assert_array_equal(np.concatenate([y.numpy() for _, y in batches]), labels)


def test_mnist_dataset_reads_a_file_of_three_images(tmp_path):
    rng = np.random.default_rng(7)
    images = rng.integers(0, 256, size=(3, 28, 28), dtype=np.uint8)
    labels = np.array([9, 0, 4], dtype=np.uint8)
    write_idx_images(tmp_path / "i.gz", images)
    write_idx_labels(tmp_path / "l.gz", labels)
    dataset = MNISTDataset(str(tmp_path / "i.gz"), str(tmp_path / "l.gz"))
    assert len(dataset) == 3
    assert [int(dataset[i][1]) for i in range(3)] == [9, 0, 4]


def test_mnist_dataset_rejects_swapped_files(idx_files):
    image_file, label_file, _, _ = idx_files
    with pytest.raises(ValueError, match="magic"):
        MNISTDataset(str(label_file), str(image_file))
