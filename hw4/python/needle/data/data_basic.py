"""Datasets and the DataLoader that batches them into Tensors."""
from typing import Iterable, Iterator, List, Optional, Sized

import numpy as np

from ..autograd import Tensor


class Dataset:
    r"""An abstract class representing a `Dataset`.

    All subclasses should overwrite :meth:`__getitem__`, supporting fetching a
    data sample for a given key. Subclasses must also overwrite
    :meth:`__len__`, which is expected to return the size of the dataset.
    """

    def __init__(self, transforms: Optional[List] = None):
        self.transforms = transforms

    def __getitem__(self, index) -> object:
        raise NotImplementedError

    def __len__(self) -> int:
        raise NotImplementedError

    def apply_transforms(self, x):
        """Apply each transform in turn (none when `transforms` is None)."""
        if self.transforms is not None:
            # apply the transforms
            for tform in self.transforms:
                x = tform(x)
        return x


class DataLoader:
    r"""
    Data loader. Combines a dataset and a sampler, and provides an iterable over
    the given dataset.

    Args:
        dataset (Dataset): dataset from which to load the data.
        batch_size (int, optional): how many samples per batch to load
            (default: ``1``).
        shuffle (bool, optional): set to ``True`` to have the data reshuffled
            at every epoch (default: ``False``).
        device (optional): where the batches are created (default: ``None``, needle's
            default device ``cpu()``).
        dtype (str, optional): the batches' element type (default: ``"float32"``; labels
            come out as float32 too, the only type NDArray holds).

    Each batch is a tuple of Tensors, one per field of the samples (for example images and
    labels), stacked along a new first axis, on `device` with `dtype` and requires_grad=False.
    The last batch is shorter when `batch_size` does not divide the dataset. Shuffling draws
    a fresh `np.random.permutation` at the start of every epoch (every `iter`).

    Example:
        >>> for X, y in DataLoader(NDArrayDataset(images, labels), batch_size=100, shuffle=True):
        ...     loss = loss_fn(model(X), y)
    """

    dataset: Dataset
    batch_size: Optional[int]

    def __init__(
        self,
        dataset: Dataset,
        batch_size: Optional[int] = 1,
        shuffle: bool = False,
        device=None,
        dtype="float32",
    ):
        if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be a positive integer, got {batch_size!r}")
        self.dataset = dataset
        self.shuffle = shuffle
        self.batch_size = batch_size
        self.device = device
        self.dtype = dtype
        if not self.shuffle:
            self.ordering = np.array_split(np.arange(len(dataset)), range(batch_size, len(dataset), batch_size))

    def __iter__(self):
        ### BEGIN YOUR SOLUTION
        if self.shuffle:
            order = np.random.permutation(len(self.dataset))
            self.ordering = np.array_split(order, range(self.batch_size, len(self.dataset), self.batch_size))
        self._batch = 0
        ### END YOUR SOLUTION
        return self

    def __next__(self):
        ### BEGIN YOUR SOLUTION
        if self._batch >= len(self.ordering):
            raise StopIteration
        indices = self.ordering[self._batch]
        self._batch += 1
        samples = [self.dataset[int(i)] for i in indices]
        samples = [s if isinstance(s, tuple) else (s,) for s in samples]
        return tuple(
            Tensor(np.stack(field), device=self.device, dtype=self.dtype, requires_grad=False)
            for field in zip(*samples)
        )
        ### END YOUR SOLUTION

    def __len__(self) -> int:
        """The number of batches per epoch."""
        return -(-len(self.dataset) // self.batch_size)
