"""CIFAR-10 from its python pickle batches, as images of shape 3 x 32 x 32 in [0, 1]."""
import os
import pickle
from typing import List, Optional

import numpy as np

from ..data_basic import Dataset

__all__ = ["CIFAR10Dataset"]

TRAIN_FILES = [f"data_batch_{k}" for k in range(1, 6)]
TEST_FILES = ["test_batch"]


class CIFAR10Dataset(Dataset):
    """The images and labels of the CIFAR-10 training or test set.

    Args:
        base_folder: the `cifar-10-batches-py` folder (`dlsys data fetch cifar10` downloads it).
        train: read `data_batch_1` .. `data_batch_5`, in that order; else `test_batch`.
        p: unused (kept for the course's signature).
        transforms: applied in order to each image when it is read.

    Each batch file is a pickle (encoding "bytes") of a dict whose b"data" holds uint8 rows of
    3072 bytes (1024 red, then green, then blue, each row-major 32 x 32) and whose b"labels"
    lists the classes 0..9.

    Attributes:
        X: float32 images, shape (n, 3, 32, 32), the bytes divided by 255.
        y: uint8 labels, shape (n,).

    `dataset[i]` is `(image, label)`, an image of shape (3, 32, 32).

    Example:
        >>> train = CIFAR10Dataset("data/cifar-10-batches-py", train=True)
        >>> image, label = train[0]
    """

    def __init__(
        self,
        base_folder: str,
        train: bool,
        p: Optional[int] = 0.5,
        transforms: Optional[List] = None,
    ):
        super().__init__(transforms)
        if not os.path.isdir(base_folder):
            raise FileNotFoundError(
                f"CIFAR10Dataset: no folder {base_folder}; `dlsys data fetch cifar10` downloads it"
            )
        files = [os.path.join(base_folder, name) for name in (TRAIN_FILES if train else TEST_FILES)]
        missing = [path for path in files if not os.path.isfile(path)]
        if missing:
            raise FileNotFoundError(
                f"CIFAR10Dataset: missing {', '.join(missing)}; `dlsys data fetch cifar10` downloads CIFAR-10"
            )
        ### BEGIN YOUR SOLUTION
        images, labels = [], []
        for path in files:
            with open(path, "rb") as f:
                batch = pickle.load(f, encoding="bytes")
            data = np.asarray(batch[b"data"], dtype=np.uint8)
            if data.ndim != 2 or data.shape[1] != 3 * 32 * 32 or len(batch[b"labels"]) != data.shape[0]:
                raise ValueError(
                    f"{path}: expected data of shape (n, 3072) and n labels, "
                    f"got data {data.shape} and {len(batch[b'labels'])} labels"
                )
            images.append(data)
            labels.append(np.asarray(batch[b"labels"], dtype=np.uint8))
        self.X = (np.concatenate(images).reshape(-1, 3, 32, 32) / np.float32(255)).astype(np.float32)
        self.y = np.concatenate(labels)
        ### END YOUR SOLUTION

    def __getitem__(self, index) -> object:
        ### BEGIN YOUR SOLUTION
        images = self.X[index]
        if images.ndim == 4:  # a slice or an array of indices: transform each image
            return np.stack([self.apply_transforms(image) for image in images]), self.y[index]
        return self.apply_transforms(images), self.y[index]
        ### END YOUR SOLUTION

    def __len__(self) -> int:
        ### BEGIN YOUR SOLUTION
        return len(self.y)
        ### END YOUR SOLUTION
