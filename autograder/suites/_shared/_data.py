"""Hidden inputs for grading cases, made on the spot from fixed seeds (shared by every suite).

Only the standard library and numpy: this module is imported by the harness when it
loads the suite, before any student code. No course data is ever read.
"""
import contextlib
import gzip
import shutil
import struct
import tempfile
from pathlib import Path

import numpy as np


def write_idx_images(path, images, magic=2051, truncate_to=None):
    """uint8 images of shape (N, rows, cols) as a gzipped idx3 file (big-endian header).

    `truncate_to` keeps only that many pixel bytes after the header (a truncated file).
    """
    count, rows, cols = images.shape
    pixels = images.astype(np.uint8).tobytes()
    with gzip.open(path, "wb") as f:
        f.write(struct.pack(">4I", magic, count, rows, cols))
        f.write(pixels if truncate_to is None else pixels[:truncate_to])


def write_idx_labels(path, labels, magic=2049):
    """uint8 labels of shape (N,) as a gzipped idx1 file (big-endian header)."""
    with gzip.open(path, "wb") as f:
        f.write(struct.pack(">2I", magic, len(labels)))
        f.write(labels.astype(np.uint8).tobytes())


@contextlib.contextmanager
def temporary_folder():
    """A fresh folder under the system's temporary directory, removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="dlsys-case-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def random_images(seed, count, rows, cols):
    """Random uint8 images whose pixels span the full 0..255 range, and labels 0..9."""
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(count, rows, cols), dtype=np.uint8)
    images[count // 3, rows - 1, 0] = 0
    images[count // 2, 0, cols - 1] = 255  # both extremes present: /255 and min-max scaling agree
    labels = rng.integers(0, 10, size=count, dtype=np.uint8)
    return images, labels


def classification(seed, num_examples, input_dim, num_classes, noise=0.35):
    """float32 inputs in [0, 1] around one random centre per class, uint8 labels."""
    rng = np.random.default_rng(seed)
    centres = rng.random((num_classes, input_dim))
    y = rng.integers(0, num_classes, num_examples).astype(np.uint8)
    X = centres[y] + noise * rng.standard_normal((num_examples, input_dim))
    return np.clip(X, 0.0, 1.0).astype(np.float32), y


def softmax_theta(seed, input_dim, num_classes, scale=0.2):
    """A small random float32 starting point for softmax regression (C-contiguous)."""
    rng = np.random.default_rng(seed)
    return np.ascontiguousarray((scale * rng.standard_normal((input_dim, num_classes))).astype(np.float32))


def two_layer_weights(seed, input_dim, hidden_dim, num_classes):
    """float32 weights of the two-layer network, each layer scaled by 1/sqrt(its output width)."""
    rng = np.random.default_rng(seed)
    W1 = (rng.standard_normal((input_dim, hidden_dim)) / np.sqrt(hidden_dim)).astype(np.float32)
    W2 = (rng.standard_normal((hidden_dim, num_classes)) / np.sqrt(num_classes)).astype(np.float32)
    return W1, W2


def one_hot(labels, num_classes, dtype=np.float32):
    """Row i is the unit vector of class labels[i]."""
    encoded = np.zeros((len(labels), num_classes), dtype=dtype)
    encoded[np.arange(len(labels)), labels] = 1
    return encoded


def normal(seed, *shape, scale=1.0, shift=0.0, dtype=np.float32):
    """Gaussian numbers from a generator of their own (never numpy's global one)."""
    rng = np.random.default_rng(seed)
    return (shift + scale * rng.standard_normal(shape)).astype(dtype)


def uniform(seed, low, high, *shape):
    """float32 numbers uniform in [low, high), from a generator of their own."""
    return np.random.default_rng(seed).uniform(low, high, shape).astype(np.float32)
