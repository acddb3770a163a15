"""MNIST from its gzipped idx files, as images of shape 28 x 28 x 1 in [0, 1]."""
import gzip
import struct
from typing import List, Optional

import numpy as np

from ..data_basic import Dataset


class MNISTDataset(Dataset):
    """The images and labels of two MNIST idx files.

    Args:
        image_filename: gzipped idx3 file of uint8 images.
        label_filename: gzipped idx1 file of uint8 labels.
        transforms: applied in order to each 28 x 28 x 1 image when it is read.

    `dataset[i]` is `(image, label)`: a float32 array of shape (28, 28, 1) scaled to [0, 1]
    and a uint8 label; a slice or an array of indices gives `(images, labels)` of shapes
    (n, 28, 28, 1) and (n,).
    """

    def __init__(
        self,
        image_filename: str,
        label_filename: str,
        transforms: Optional[List] = None,
    ):
        super().__init__(transforms)
        ### BEGIN YOUR SOLUTION
        with gzip.open(image_filename, "rb") as f:
            magic, count, rows, cols = struct.unpack(">4I", f.read(16))
            if magic != 2051:
                raise ValueError(f"{image_filename}: not an idx3 image file (magic number {magic}, expected 2051)")
            pixels = np.frombuffer(f.read(count * rows * cols), dtype=np.uint8)
        with gzip.open(label_filename, "rb") as f:
            magic, num_labels = struct.unpack(">2I", f.read(8))
            if magic != 2049:
                raise ValueError(f"{label_filename}: not an idx1 label file (magic number {magic}, expected 2049)")
            self.labels = np.frombuffer(f.read(num_labels), dtype=np.uint8)
        if pixels.size != count * rows * cols or self.labels.size != num_labels:
            raise ValueError(f"{image_filename} or {label_filename} is truncated")
        if count != num_labels:
            raise ValueError(f"{image_filename} holds {count} images but {label_filename} holds {num_labels} labels")
        self.images = (pixels.reshape(count, rows, cols, 1) / np.float32(255)).astype(np.float32)
        ### END YOUR SOLUTION

    def __getitem__(self, index) -> object:
        ### BEGIN YOUR SOLUTION
        images = self.images[index]
        if images.ndim == 4:  # a slice or an array of indices: transform each image
            return np.stack([self.apply_transforms(image) for image in images]), self.labels[index]
        return self.apply_transforms(images), self.labels[index]
        ### END YOUR SOLUTION

    def __len__(self) -> int:
        ### BEGIN YOUR SOLUTION
        return len(self.labels)
        ### END YOUR SOLUTION
