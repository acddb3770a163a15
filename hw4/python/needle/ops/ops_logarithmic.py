"""Logarithmic ops: log-softmax and log-sum-exp, computed stably and differentiated as Tensors.

Both subtract the maximum before exponentiating, so that large logits do not overflow:
    logsumexp(z) = log(sum(exp(z - max z))) + max z
"""
from typing import Optional

from ..autograd import NDArray, Tensor, TensorOp
from .ops_mathematic import _normalize_axes, broadcast_to, exp, reshape, summation

from ..backend_selection import array_api

# Shifting an all -inf slice by its max would give -inf - -inf = nan; shifting by the lowest
# finite float32 instead keeps such a slice at -inf.
_LOWEST = -3.4028234663852886e38


class LogSoftmax(TensorOp):
    """log(softmax(z)) over the last axis: z - logsumexp(z), one row (or slice) at a time.

    Example:
        >>> logsoftmax(Tensor([[0.0, 0.0]])).numpy()
        array([[-0.6931472, -0.6931472]], dtype=float32)
    """

    def compute(self, Z: NDArray):
        if Z.ndim == 0:
            raise ValueError("logsoftmax: needs at least one axis, got a scalar (shape ())")
        ### BEGIN YOUR SOLUTION
        last = Z.ndim - 1
        Z_max = array_api.maximum(array_api.max(Z, axis=last, keepdims=True), _LOWEST)
        shifted = Z - array_api.broadcast_to(Z_max, Z.shape)
        lse = array_api.log(array_api.sum(array_api.exp(shifted), axis=last, keepdims=True))
        return shifted - array_api.broadcast_to(lse, Z.shape)
        ### END YOUR SOLUTION

    def gradient(self, out_grad: Tensor, node: Tensor):
        ### BEGIN YOUR SOLUTION
        # d/dz_j sum_i g_i (z_i - lse(z)) = g_j - softmax(z)_j * sum_i g_i
        shape = node.shape
        kept = shape[:-1] + (1,)
        softmax = exp(node)
        return out_grad - softmax * broadcast_to(reshape(summation(out_grad, axes=(len(shape) - 1,)), kept), shape)
        ### END YOUR SOLUTION


def logsoftmax(a):
    return LogSoftmax()(a)


class LogSumExp(TensorOp):
    """log(sum(exp(z))) over `axes` (an int, a tuple of ints, or None for all), dropping them.

    Example:
        >>> logsumexp(Tensor([[1000.0, 1000.0]]), axes=(1,)).numpy()   # no overflow
        array([1000.6931], dtype=float32)
    """

    def __init__(self, axes: Optional[tuple] = None):
        self.axes = axes

    def compute(self, Z: NDArray):
        axes = _normalize_axes(self.axes, Z.ndim, "logsumexp", Z.shape)
        ### BEGIN YOUR SOLUTION
        axes = tuple(range(Z.ndim)) if axes is None else axes
        Z_max = array_api.maximum(array_api.max(Z, axis=axes, keepdims=True), _LOWEST)
        summed = array_api.sum(array_api.exp(Z - array_api.broadcast_to(Z_max, Z.shape)), axis=axes)
        return array_api.log(summed) + array_api.reshape(Z_max, summed.shape)
        ### END YOUR SOLUTION

    def gradient(self, out_grad: Tensor, node: Tensor):
        ### BEGIN YOUR SOLUTION
        # d lse / dz = softmax(z) = exp(z - lse), with lse put back on the reduced axes
        z = node.inputs[0]
        axes = _normalize_axes(self.axes, len(z.shape), "logsumexp", z.shape)
        kept = tuple(1 if axes is None or i in axes else size for i, size in enumerate(z.shape))
        lse = broadcast_to(reshape(node, kept), z.shape)
        return broadcast_to(reshape(out_grad, kept), z.shape) * exp(z - lse)
        ### END YOUR SOLUTION


def logsumexp(a, axes=None):
    return LogSumExp(axes=axes)(a)
