"""Values as cases report them: float64 numpy arrays, whatever the student's code returned
(a needle Tensor, an array, a number). Shared by every suite; numpy only."""
import numpy as np


def f64(value):
    """A needle Tensor (or array, or number) as a float64 array, its shape kept."""
    if hasattr(value, "numpy") and not isinstance(value, np.ndarray):
        value = value.numpy()
    return np.asarray(value, dtype=np.float64)


def scalar(value):
    """A loss, a rate or an accuracy as a float64 0-d array: a Tensor or array of one element, or a number."""
    array = f64(value)
    if array.size != 1:
        raise ValueError(f"expected a single number, got an array of shape {array.shape}")
    return array.reshape(())
