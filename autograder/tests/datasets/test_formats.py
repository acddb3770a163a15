"""The data sets' own formats, written from arrays, read back as the real files are read."""
import pickle

import numpy as np

from autograder.datasets.formats import write_cifar10_batch


def test_a_cifar10_batch_is_laid_out_as_the_real_ones(tmp_path):
    data = np.arange(2 * 3072).reshape(2, 3072) % 256
    write_cifar10_batch(tmp_path / "data_batch_1", data, np.array([3, 7]), name="training batch 1 of 5")
    raw = (tmp_path / "data_batch_1").read_bytes()
    assert raw[:2] == b"\x80\x02"  # pickle protocol 2, as Python 2 wrote the real files
    with open(tmp_path / "data_batch_1", "rb") as f:
        batch = pickle.load(f, encoding="bytes")
    assert sorted(batch) == [b"batch_label", b"data", b"filenames", b"labels"]
    assert batch[b"batch_label"] == b"training batch 1 of 5" and batch[b"labels"] == [3, 7]
    assert batch[b"data"].dtype == np.uint8 and np.array_equal(batch[b"data"], data)
    assert batch[b"filenames"] == [b"image_0.png", b"image_1.png"]
