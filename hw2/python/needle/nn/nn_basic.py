"""The basic neural network modules: parameters, containers, layers, normalization, losses.

A `Module` is a callable object holding `Parameter`s (trainable Tensors) and other modules
in its attributes. `parameters()` finds them all, however deeply they are nested in lists,
tuples, dicts and submodules, so that an optimizer can update them. Every parameter is
drawn through `needle.init`, weight before bias, so seeded models match the course's.
"""
from typing import Any, List

import needle.init as init
from needle import ops
from needle.autograd import Tensor


class Parameter(Tensor):
    """A Tensor that a Module owns and an optimizer updates."""


def _unpack_params(value: object) -> List[Tensor]:
    """Every Parameter inside `value`, depth first in attribute order."""
    if isinstance(value, Parameter):
        return [value]
    if isinstance(value, Module):
        return value.parameters()
    if isinstance(value, dict):
        return [p for v in value.values() for p in _unpack_params(v)]
    if isinstance(value, (list, tuple)):
        return [p for v in value for p in _unpack_params(v)]
    return []


def _child_modules(value: object) -> List["Module"]:
    """Every Module inside `value` (itself included when it is one), depth first."""
    if isinstance(value, Module):
        return [value] + _child_modules(value.__dict__)
    if isinstance(value, dict):
        return [m for v in value.values() for m in _child_modules(v)]
    if isinstance(value, (list, tuple)):
        return [m for v in value for m in _child_modules(v)]
    return []


def _unique(items: list) -> list:
    """`items` without repeats (by identity), first occurrence kept: a shared layer is updated once."""
    seen, unique = set(), []
    for item in items:
        if id(item) not in seen:
            seen.add(id(item))
            unique.append(item)
    return unique


def _check_features(module: str, x: Tensor, expected: int, what: str = "last dim"):
    """Name both the expected feature size and the shape received: the usual bug is a wrong reshape."""
    if len(x.shape) < 1 or x.shape[-1] != expected:
        raise ValueError(f"{module}: expected input with {what} {expected}, got shape {x.shape}")


class Module:
    """Base class of every layer and model.

    Subclasses assign Parameters and Modules to attributes in `__init__` and implement
    `forward`; calling the module calls `forward`. `train()` and `eval()` set `.training`
    on the module and every submodule (Dropout and BatchNorm1d behave differently).
    """

    def __init__(self):
        self.training = True

    def parameters(self) -> List[Tensor]:
        """Return the list of parameters in the module."""
        return _unique(_unpack_params(self.__dict__))

    def _children(self) -> List["Module"]:
        return _unique(_child_modules(self.__dict__))

    def children(self) -> List["Module"]:
        """Every submodule, however deeply nested, depth first."""
        return self._children()

    def eval(self):
        self.training = False
        for m in self._children():
            m.training = False
        return self

    def train(self):
        self.training = True
        for m in self._children():
            m.training = True
        return self

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} does not define forward")


class Identity(Module):
    """Return the input unchanged."""

    def forward(self, x):
        return x


class Linear(Module):
    """y = x W + b.

    Args:
        in_features: size of each input sample.
        out_features: size of each output sample.
        bias: whether to add a learned bias (default True).

    Shape: x is (N, in_features), y is (N, out_features); `weight` is (in_features,
    out_features) from kaiming_uniform(in_features, out_features), and `bias` is
    (1, out_features) from kaiming_uniform(out_features, 1), drawn after the weight.

    Example:
        >>> layer = Linear(784, 100)
        >>> layer(Tensor(numpy.zeros((32, 784)))).shape
        (32, 100)
    """

    def __init__(self, in_features, out_features, bias=True, device=None, dtype="float32"):
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        ### BEGIN YOUR SOLUTION
        self.weight = Parameter(init.kaiming_uniform(in_features, out_features, device=device, dtype=dtype))
        self.bias = None
        if bias:
            self.bias = Parameter(
                init.kaiming_uniform(out_features, 1, device=device, dtype=dtype).reshape((1, out_features))
            )
        ### END YOUR SOLUTION

    def forward(self, X: Tensor) -> Tensor:
        _check_features("Linear", X, self.in_features)
        ### BEGIN YOUR SOLUTION
        out = X @ self.weight
        if self.bias is not None:
            out = out + self.bias.broadcast_to(out.shape)
        return out
        ### END YOUR SOLUTION


class Flatten(Module):
    """Reshape (N, d1, d2, ...) to (N, d1 * d2 * ...)."""

    def forward(self, X):
        ### BEGIN YOUR SOLUTION
        size = 1
        for dim in X.shape[1:]:
            size *= dim
        return X.reshape((X.shape[0], size))
        ### END YOUR SOLUTION


class ReLU(Module):
    """max(x, 0), elementwise."""

    def forward(self, x: Tensor) -> Tensor:
        ### BEGIN YOUR SOLUTION
        return ops.relu(x)
        ### END YOUR SOLUTION


class Sequential(Module):
    """Apply `modules` one after the other; they are kept in `.modules`."""

    def __init__(self, *modules):
        super().__init__()
        self.modules = modules

    def forward(self, x: Tensor) -> Tensor:
        ### BEGIN YOUR SOLUTION
        for module in self.modules:
            x = module(x)
        return x
        ### END YOUR SOLUTION


class SoftmaxLoss(Module):
    """Mean cross-entropy of softmax(logits) against integer labels:
        loss = mean_i (logsumexp(logits_i) - logits_i[y_i])

    Shape: logits is (N, k), y is (N,) of integers in [0, k).
    """

    def forward(self, logits: Tensor, y: Tensor):
        if len(logits.shape) != 2:
            raise ValueError(f"SoftmaxLoss: expected logits of shape (batch, classes), got shape {logits.shape}")
        if tuple(y.shape) != (logits.shape[0],):
            raise ValueError(f"SoftmaxLoss: expected labels of shape ({logits.shape[0]},) for logits of "
                             f"shape {logits.shape}, got shape {y.shape}")
        ### BEGIN YOUR SOLUTION
        batch, classes = logits.shape
        y_one_hot = init.one_hot(classes, y, device=logits.device, dtype=logits.dtype)
        true_logits = ops.summation(logits * y_one_hot, axes=(1,))
        return ops.summation(ops.logsumexp(logits, axes=(1,)) - true_logits) / batch
        ### END YOUR SOLUTION


class BatchNorm1d(Module):
    """Normalize each feature over the batch, then scale and shift:
        y = weight * (x - mean) / sqrt(var + eps) + bias

    In training, mean and var are the batch's (var biased, divided by N), and the running
    estimates move towards them: running = (1 - momentum) * running + momentum * batch.
    In eval, the running estimates are used instead.

    Args:
        dim: number of features.
        eps: added to the variance for stability (default 1e-5).
        momentum: weight of the newest batch in the running estimates (default 0.1).

    Shape: x is (N, dim); `weight`, `bias`, `running_mean` and `running_var` are (dim,),
    starting at ones, zeros, zeros and ones.
    """

    def __init__(self, dim, eps=1e-5, momentum=0.1, device=None, dtype="float32"):
        super().__init__()
        self.dim = dim
        self.eps = eps
        self.momentum = momentum
        ### BEGIN YOUR SOLUTION
        self.weight = Parameter(init.ones(dim, device=device, dtype=dtype))
        self.bias = Parameter(init.zeros(dim, device=device, dtype=dtype))
        self.running_mean = init.zeros(dim, device=device, dtype=dtype)
        self.running_var = init.ones(dim, device=device, dtype=dtype)
        ### END YOUR SOLUTION

    def forward(self, x: Tensor) -> Tensor:
        if len(x.shape) != 2:
            raise ValueError(f"BatchNorm1d: expected input of shape (batch, {self.dim}), got shape {x.shape}")
        _check_features("BatchNorm1d", x, self.dim, what="features")
        ### BEGIN YOUR SOLUTION
        batch = x.shape[0]
        # (dim,)-shaped statistics and parameters broadcast over the batch's rows by themselves
        if self.training:
            mean = x.sum((0,)) / batch
            centered = x - mean
            var = (centered ** 2).sum((0,)) / batch
            # the running estimates are statistics, not part of the graph: updated on the raw arrays
            m = self.momentum
            self.running_mean = Tensor.make_const((1 - m) * self.running_mean.realize_cached_data()
                                                  + m * mean.realize_cached_data())
            self.running_var = Tensor.make_const((1 - m) * self.running_var.realize_cached_data()
                                                 + m * var.realize_cached_data())
        else:
            mean, var = self.running_mean, self.running_var
            centered = x - mean
        return self.weight * centered / (var + self.eps) ** 0.5 + self.bias
        ### END YOUR SOLUTION


class LayerNorm1d(Module):
    """Normalize each sample over its features, then scale and shift:
        y = weight * (x - mean) / sqrt(var + eps) + bias
    with mean and (biased) var taken over the last dimension.

    Shape: x is (N, dim); `weight` and `bias` are (dim,), starting at ones and zeros.
    """

    def __init__(self, dim, eps=1e-5, device=None, dtype="float32"):
        super().__init__()
        self.dim = dim
        self.eps = eps
        ### BEGIN YOUR SOLUTION
        self.weight = Parameter(init.ones(dim, device=device, dtype=dtype))
        self.bias = Parameter(init.zeros(dim, device=device, dtype=dtype))
        ### END YOUR SOLUTION

    def forward(self, x: Tensor) -> Tensor:
        if len(x.shape) != 2:
            raise ValueError(f"LayerNorm1d: expected input of shape (batch, {self.dim}), got shape {x.shape}")
        _check_features("LayerNorm1d", x, self.dim, what="features")
        ### BEGIN YOUR SOLUTION
        batch = x.shape[0]
        # per-row statistics as (batch, 1) columns, (dim,) parameters: the elementwise ops
        # broadcast both, and the square root runs on the column only
        mean = (x.sum((1,)) / self.dim).reshape((batch, 1))
        centered = x - mean
        var = ((centered ** 2).sum((1,)) / self.dim).reshape((batch, 1))
        return self.weight * centered / (var + self.eps) ** 0.5 + self.bias
        ### END YOUR SOLUTION


class Dropout(Module):
    """In training, zero each element with probability p and scale the rest by 1 / (1 - p),
    so the expected output equals the input; in eval, the identity.

    The mask is `init.randb(*x.shape, p=1 - p)`: one draw from numpy's global generator per call.
    """

    def __init__(self, p=0.5):
        super().__init__()
        if not 0 <= p < 1:
            raise ValueError(f"Dropout: p must be in [0, 1), got {p}")
        self.p = p

    def forward(self, x: Tensor) -> Tensor:
        ### BEGIN YOUR SOLUTION
        if not self.training:
            return x
        mask = init.randb(*x.shape, p=1 - self.p, device=x.device, dtype="float32")
        return x * mask / (1 - self.p)
        ### END YOUR SOLUTION


class Residual(Module):
    """fn(x) + x."""

    def __init__(self, fn: Module):
        super().__init__()
        self.fn = fn

    def forward(self, x: Tensor) -> Tensor:
        ### BEGIN YOUR SOLUTION
        return self.fn(x) + x
        ### END YOUR SOLUTION
