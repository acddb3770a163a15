"""Shared setup for the public tests: needle and apps/ on the path, idx files made on the spot."""
import gzip
import struct
import sys
from pathlib import Path

import numpy as np
import pytest

HOMEWORK = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(HOMEWORK / "python"))
sys.path.insert(0, str(HOMEWORK / "apps"))


def write_idx_images(path, images, magic=2051):
    """Write uint8 images of shape (N, rows, cols) as a gzipped idx3 file."""
    count, rows, cols = images.shape
    with gzip.open(path, "wb") as f:
        f.write(struct.pack(">4I", magic, count, rows, cols))
        f.write(images.astype(np.uint8).tobytes())


def write_idx_labels(path, labels, magic=2049):
    """Write uint8 labels of shape (N,) as a gzipped idx1 file."""
    with gzip.open(path, "wb") as f:
        f.write(struct.pack(">2I", magic, len(labels)))
        f.write(labels.astype(np.uint8).tobytes())


def make_classification(num_examples, input_dim, num_classes, seed=0, noise=0.3):
    """Separable-ish data: one random prototype per class plus Gaussian noise, in [0, 1]."""
    rng = np.random.default_rng(seed)
    prototypes = rng.random((num_classes, input_dim))
    y = rng.integers(0, num_classes, num_examples).astype(np.uint8)
    X = prototypes[y] + noise * rng.standard_normal((num_examples, input_dim))
    return np.clip(X, 0, 1).astype(np.float32), y


def initial_weights(input_dim, hidden_dim, num_classes, seed=0):
    """float32 weights of the two-layer network, each layer scaled by 1/sqrt(its output width)."""
    rng = np.random.default_rng(seed)
    W1 = (rng.standard_normal((input_dim, hidden_dim)) / np.sqrt(hidden_dim)).astype(np.float32)
    W2 = (rng.standard_normal((hidden_dim, num_classes)) / np.sqrt(num_classes)).astype(np.float32)
    return W1, W2


@pytest.fixture
def idx_files(tmp_path):
    """A small MNIST-like pair of files (25 images of 28x28) and the raw arrays behind them."""
    rng = np.random.default_rng(1)
    images = rng.integers(0, 256, size=(25, 28, 28), dtype=np.uint8)
    images[0, 0, 0], images[1, 0, 0] = 0, 255  # the extremes must map to 0.0 and 1.0
    labels = rng.integers(0, 10, size=25, dtype=np.uint8)
    image_file, label_file = tmp_path / "images-idx3-ubyte.gz", tmp_path / "labels-idx1-ubyte.gz"
    write_idx_images(image_file, images)
    write_idx_labels(label_file, labels)
    return image_file, label_file, images, labels


@pytest.fixture
def torch():
    """PyTorch, the independent oracle; tests that use it skip cleanly when it is absent."""
    return pytest.importorskip("torch")
