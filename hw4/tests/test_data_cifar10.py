"""CIFAR10Dataset on tiny batch files written in the real pickle format (datafiles.write_cifar10):
images (3, 32, 32) float32 equal to the written bytes / 255 in CHW order, labels, the five
training batches read in numeric order, train vs test, transforms applied in order, clear
errors naming the missing path and `dlsys data fetch cifar10`, and batches through a DataLoader
on every device."""
import numpy as np
import pytest

from datafiles import write_cifar10
from devices import ALL_DEVICES
from needle.data import CIFAR10Dataset, DataLoader

pytestmark = pytest.mark.hw4_resnet9


@pytest.fixture
def cifar(tmp_path):
    """A cifar-10-batches-py folder with 3 images per training batch and 4 test images."""
    folder = tmp_path / "cifar-10-batches-py"
    return folder, write_cifar10(folder, n_train_per_batch=3, n_test=4, seed=1)


def as_images(rows):
    """uint8 rows of 3072 bytes as float images (n, 3, 32, 32) in [0, 1], by hand."""
    images = np.zeros((len(rows), 3, 32, 32), dtype=np.float64)
    for n, row in enumerate(rows):
        for channel in range(3):
            plane = row[channel * 1024 : (channel + 1) * 1024]
            images[n, channel] = plane.reshape(32, 32) / 255.0
    return images


def test_train_set_holds_all_five_batches_as_chw_float32(cifar):
    folder, written = cifar
    dataset = CIFAR10Dataset(str(folder), train=True)
    assert len(dataset) == 15
    assert dataset.X.shape == (15, 3, 32, 32) and dataset.X.dtype == np.float32
    assert dataset.y.shape == (15,)
    np.testing.assert_allclose(dataset.X, as_images(written.train_data), rtol=1e-6)
    np.testing.assert_array_equal(dataset.y, written.train_labels)


def test_pixels_land_at_channel_row_column(cifar):
    folder, written = cifar
    dataset = CIFAR10Dataset(str(folder), train=True)
    row = written.train_data[7]
    for channel, r, c in [(0, 0, 1), (1, 0, 0), (2, 31, 30), (1, 5, 17), (0, 17, 5)]:
        assert dataset.X[7, channel, r, c] == np.float32(row[1024 * channel + 32 * r + c] / 255.0)


def test_pixels_are_scaled_to_0_1(tmp_path):
    folder = tmp_path / "cifar"
    written = write_cifar10(folder, n_train_per_batch=2, n_test=2, seed=2)
    dataset = CIFAR10Dataset(str(folder), train=False)
    assert written.test_data.min() == 0 and written.test_data.max() == 255
    assert dataset.X.min() == 0.0 and dataset.X.max() == 1.0


def test_training_batches_are_read_in_numeric_order(cifar):
    folder, written = cifar
    dataset = CIFAR10Dataset(str(folder), train=True)
    for k, (data, labels) in enumerate(written.train_batches):
        rows = slice(3 * k, 3 * k + 3)
        np.testing.assert_allclose(dataset.X[rows], as_images(data), rtol=1e-6, err_msg=f"data_batch_{k + 1}")
        np.testing.assert_array_equal(dataset.y[rows], labels, err_msg=f"data_batch_{k + 1}")


def test_test_set_reads_test_batch_only(cifar):
    folder, written = cifar
    dataset = CIFAR10Dataset(str(folder), train=False)
    assert len(dataset) == 4
    assert dataset.X.shape == (4, 3, 32, 32) and dataset.X.dtype == np.float32
    np.testing.assert_allclose(dataset.X, as_images(written.test_data), rtol=1e-6)
    np.testing.assert_array_equal(dataset.y, written.test_labels)


def test_getitem_gives_one_image_and_its_label(cifar):
    folder, written = cifar
    dataset = CIFAR10Dataset(str(folder), train=True, p=0.7)
    expected = as_images(written.train_data)
    for index in (0, 4, 14):
        image, label = dataset[index]
        assert image.shape == (3, 32, 32) and image.dtype == np.float32
        np.testing.assert_allclose(image, expected[index], rtol=1e-6)
        assert label == written.train_labels[index]


def test_transforms_are_applied_in_order(cifar):
    folder, written = cifar

    def plus_one(image):
        return image + 1

    def double(image):
        return image * 2

    dataset = CIFAR10Dataset(str(folder), train=False, transforms=[plus_one, double])
    image, label = dataset[2]
    np.testing.assert_allclose(image, (as_images(written.test_data)[2] + 1) * 2, rtol=1e-6)
    assert label == written.test_labels[2]
    np.testing.assert_allclose(dataset.X[2], as_images(written.test_data)[2], rtol=1e-6)  # stored untransformed


def test_a_missing_folder_names_it_and_the_fetch_command(tmp_path):
    missing = tmp_path / "no-such-folder"
    with pytest.raises(FileNotFoundError, match="dlsys data fetch cifar10") as error:
        CIFAR10Dataset(str(missing), train=True)
    assert str(missing) in str(error.value)


def test_a_missing_training_batch_is_named(cifar):
    folder, _ = cifar
    (folder / "data_batch_3").unlink()
    with pytest.raises(FileNotFoundError, match="dlsys data fetch cifar10") as error:
        CIFAR10Dataset(str(folder), train=True)
    assert str(folder / "data_batch_3") in str(error.value)
    assert len(CIFAR10Dataset(str(folder), train=False)) == 4  # the test set needs only test_batch


def test_a_missing_test_batch_is_named(cifar):
    folder, _ = cifar
    (folder / "test_batch").unlink()
    with pytest.raises(FileNotFoundError, match="dlsys data fetch cifar10") as error:
        CIFAR10Dataset(str(folder), train=False)
    assert str(folder / "test_batch") in str(error.value)
    assert len(CIFAR10Dataset(str(folder), train=True)) == 15


@pytest.mark.parametrize("device", ALL_DEVICES)
def test_dataloader_gives_cifar_batches_on_the_device(cifar, device):
    folder, written = cifar
    loader = DataLoader(CIFAR10Dataset(str(folder), train=True), batch_size=4, device=device)
    batches = list(loader)
    assert len(loader) == len(batches) == 4
    assert [X.shape for X, _ in batches] == [(4, 3, 32, 32)] * 3 + [(3, 3, 32, 32)]
    expected = as_images(written.train_data)
    for k, (X, y) in enumerate(batches):
        assert X.device == device and y.device == device
        assert X.dtype == "float32" and y.dtype == "float32"
        np.testing.assert_allclose(X.numpy(), expected[4 * k : 4 * k + 4], rtol=1e-6)
        np.testing.assert_array_equal(y.numpy(), written.train_labels[4 * k : 4 * k + 4])
