"""Tiny data sets written in the real on-disk formats, for tests that must not read real data.

    write_cifar10(folder, n_train_per_batch=4, n_test=3, seed=0)   # cifar-10-batches-py layout
    write_ptb(folder, train_lines, test_lines)                      # ptb/{train,test}.txt

A plain module: test files import it by name (`from datafiles import write_cifar10`), as they do
devices.py.
"""
import pickle
from collections import namedtuple
from pathlib import Path

import numpy as np

CIFAR10_TRAIN_FILES = [f"data_batch_{k}" for k in range(1, 6)]
CIFAR10_TEST_FILE = "test_batch"
CIFAR10_LABEL_NAMES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]

# What write_cifar10 wrote: uint8 rows of 3072 bytes (R, G, B planes, each 32 x 32 row-major)
# and int64 labels. train_* hold the five training batches concatenated in file order;
# train_batches lists (data, labels) per file, data_batch_1 first.
CIFAR10Files = namedtuple("CIFAR10Files", ["train_data", "train_labels", "test_data", "test_labels", "train_batches"])


def _write_cifar10_batch(path, data, labels, name):
    """One batch as the real files hold it: a dict with bytes keys, data a uint8 array, labels a list."""
    batch = {
        b"batch_label": name.encode(),
        b"labels": [int(label) for label in labels],
        b"data": data,
        b"filenames": [f"image_{i}.png".encode() for i in range(len(labels))],
    }
    with open(path, "wb") as f:
        pickle.dump(batch, f, protocol=2)


def write_cifar10(folder, n_train_per_batch=4, n_test=3, seed=0):
    """Write data_batch_1..5, test_batch and batches.meta of random images into `folder`
    (created if needed) and return the CIFAR10Files written."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    train_batches = []
    for k, name in enumerate(CIFAR10_TRAIN_FILES):
        data = rng.integers(0, 256, size=(n_train_per_batch, 3072), dtype=np.uint8)
        labels = rng.integers(0, 10, size=n_train_per_batch).astype(np.int64)
        _write_cifar10_batch(folder / name, data, labels, f"training batch {k + 1} of 5")
        train_batches.append((data, labels))
    test_data = rng.integers(0, 256, size=(n_test, 3072), dtype=np.uint8)
    test_labels = rng.integers(0, 10, size=n_test).astype(np.int64)
    _write_cifar10_batch(folder / CIFAR10_TEST_FILE, test_data, test_labels, "testing batch 1 of 1")
    meta = {b"label_names": [name.encode() for name in CIFAR10_LABEL_NAMES], b"num_vis": 3072}
    with open(folder / "batches.meta", "wb") as f:
        pickle.dump(meta, f, protocol=2)
    return CIFAR10Files(
        train_data=np.concatenate([data for data, _ in train_batches]),
        train_labels=np.concatenate([labels for _, labels in train_batches]),
        test_data=test_data,
        test_labels=test_labels,
        train_batches=train_batches,
    )


def write_ptb(folder, train_lines, test_lines):
    """Write train.txt and test.txt into `folder` (created if needed), one given line per line
    (each string written as is, then a newline), and return the folder as a Path."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name, lines in (("train.txt", train_lines), ("test.txt", test_lines)):
        (folder / name).write_text("".join(line + "\n" for line in lines))
    return folder
