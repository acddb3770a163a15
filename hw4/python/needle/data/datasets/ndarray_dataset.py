"""A Dataset over arrays already in memory."""
from ..data_basic import Dataset


class NDArrayDataset(Dataset):
    """Sample i is `(arrays[0][i], arrays[1][i], ...)`; the arrays share their first dimension."""

    def __init__(self, *arrays):
        if not arrays:
            raise ValueError("NDArrayDataset: needs at least one array")
        lengths = [a.shape[0] for a in arrays]
        if len(set(lengths)) != 1:
            raise ValueError(f"NDArrayDataset: arrays must have the same first dimension, got lengths {lengths}")
        self.arrays = arrays

    def __len__(self) -> int:
        return self.arrays[0].shape[0]

    def __getitem__(self, i) -> object:
        return tuple([a[i] for a in self.arrays])
