"""Weight initializers: random Tensors whose scale keeps activations and gradients from
growing or vanishing layer after layer (Glorot & Bengio 2010; He et al. 2015).

Each returns a `(fan_in, fan_out)` Tensor (kaiming_uniform any `shape=`) drawn from numpy's global generator through
`rand`/`randn`, so `numpy.random.seed` makes them reproducible. Extra keyword arguments
(`device`, `dtype`, `requires_grad`) go to `rand`/`randn`.
"""
import math

from .init_basic import *

_GAINS = {"relu": math.sqrt(2)}


def _gain(nonlinearity: str) -> float:
    if nonlinearity not in _GAINS:
        raise ValueError(f"unsupported nonlinearity {nonlinearity!r}: choose one of {sorted(_GAINS)}")
    return _GAINS[nonlinearity]


def xavier_uniform(fan_in, fan_out, gain=1.0, **kwargs):
    """Uniform on [-a, a] with a = gain * sqrt(6 / (fan_in + fan_out)).

    Example:
        >>> W = xavier_uniform(784, 100)   # shape (784, 100), |W| <= 0.0826
    """
    ### BEGIN YOUR SOLUTION
    bound = gain * math.sqrt(6 / (fan_in + fan_out))
    return rand(fan_in, fan_out, low=-bound, high=bound, **kwargs)
    ### END YOUR SOLUTION


def xavier_normal(fan_in, fan_out, gain=1.0, **kwargs):
    """Normal with mean 0 and std = gain * sqrt(2 / (fan_in + fan_out))."""
    ### BEGIN YOUR SOLUTION
    std = gain * math.sqrt(2 / (fan_in + fan_out))
    return randn(fan_in, fan_out, mean=0.0, std=std, **kwargs)
    ### END YOUR SOLUTION


def kaiming_uniform(fan_in, fan_out, shape=None, nonlinearity="relu", **kwargs):
    """Uniform on [-bound, bound] with bound = gain * sqrt(3 / fan_in), gain = sqrt(2) for relu.

    `shape` gives the full weight shape when it is not (fan_in, fan_out), as for a
    convolution's (k, k, c_in, c_out) kernel with fan_in = c_in * k * k.
    """
    gain = _gain(nonlinearity)
    ### BEGIN YOUR SOLUTION
    bound = gain * math.sqrt(3 / fan_in)
    shape = (fan_in, fan_out) if shape is None else tuple(shape)
    return rand(*shape, low=-bound, high=bound, **kwargs)
    ### END YOUR SOLUTION


def kaiming_normal(fan_in, fan_out, nonlinearity="relu", **kwargs):
    """Normal with mean 0 and std = gain / sqrt(fan_in), gain = sqrt(2) for relu."""
    gain = _gain(nonlinearity)
    ### BEGIN YOUR SOLUTION
    std = gain / math.sqrt(fan_in)
    return randn(fan_in, fan_out, mean=0.0, std=std, **kwargs)
    ### END YOUR SOLUTION
