"""Operator implementations: each op is one class with its forward (`compute`, on raw arrays)
and its gradient (`gradient`, on Tensors) side by side, plus a lowercase function to call it."""

from typing import Optional

from ..autograd import NDArray, _check_scalar
from ..autograd import Op, Tensor, Value, TensorOp
from ..autograd import TensorTuple, TensorTupleOp
from .. import init
import numpy

# NOTE: we will import numpy as the array_api
# as the backend for our computations, this line will change in later homeworks
import numpy as array_api


# Shape checks. Elementwise ops of two Tensors broadcast their operands with explicit
# broadcast_to nodes before `compute` runs (TensorOp.elementwise in autograd.py), so each
# gradient comes back in its input's shape; `compute` itself, called on raw arrays, still
# refuses operands that numpy would broadcast silently.


def _check_same_shape(op_name, a, b):
    if a.shape != b.shape:
        raise ValueError(
            f"{op_name}: operand shapes {a.shape} and {b.shape} differ "
            "(the op's call broadcasts Tensors; compute takes arrays of one shape)"
        )


def _check_reshape(a, shape):
    known_size = int(numpy.prod([size for size in shape if size != -1], dtype=numpy.int64))
    if shape.count(-1) == 0:
        fits = known_size == a.size
    else:  # one -1 takes whatever size is left over
        fits = shape.count(-1) == 1 and known_size > 0 and a.size % known_size == 0
    if not fits or any(size < -1 for size in shape):
        raise ValueError(f"reshape: cannot reshape shape {a.shape} ({a.size} elements) into shape {shape}")


def _check_matmul_shapes(a, b):
    if a.ndim < 2 or b.ndim < 2:
        raise ValueError(f"matmul: needs operands with at least 2 dimensions, got shapes {a.shape} and {b.shape}")
    if a.shape[-1] != b.shape[-2]:
        raise ValueError(
            f"matmul: shapes {a.shape} and {b.shape} are not aligned "
            f"({a.shape[-1]} columns on the left, {b.shape[-2]} rows on the right)"
        )
    try:
        numpy.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    except ValueError:
        raise ValueError(
            f"matmul: the batch dimensions of shapes {a.shape} and {b.shape} cannot be broadcast together"
        ) from None


def _normalize_axes(axes, ndim, op_name, shape):
    """Turn an int, a tuple of ints or None into a tuple of non-negative axes (None stays None)."""
    if axes is None:
        return None
    axes = (axes,) if isinstance(axes, int) else tuple(axes)
    for axis in axes:
        if not -ndim <= axis < ndim:
            raise ValueError(f"{op_name}: axis {axis} is out of range for shape {shape}")
    return tuple(axis % ndim for axis in axes)


class MakeTensorTuple(TensorTupleOp):
    """Group Tensors into one TensorTuple node."""

    def compute(self, *args) -> tuple:
        return tuple(args)

    def gradient(self, out_grad, node):
        assert isinstance(out_grad, TensorTuple)
        return tuple([out_grad[i] for i in range(len(out_grad))])


def make_tuple(*args):
    return MakeTensorTuple()(*args)


class TupleGetItem(TensorOp):
    """One element of a TensorTuple."""

    def __init__(self, index):
        self.index = index

    def __call__(self, a: TensorTuple, fold_const=True) -> Value:
        if not isinstance(a, TensorTuple):
            raise TypeError(f"tuple_get_item: expected a TensorTuple, got {type(a).__name__}")
        # constant folding
        if fold_const and isinstance(a.op, MakeTensorTuple):
            return a.inputs[self.index]
        return Tensor.make_from_op(self, [a])

    def compute(self, a):
        return a[self.index]

    def gradient(self, out_grad, node):
        index = self.index
        in_grad = []
        for i, value in enumerate(node.inputs[0]):
            if i != index:
                in_grad.append(init.zeros_like(value))
            else:
                in_grad.append(out_grad)
        return MakeTensorTuple()(*in_grad)


def tuple_get_item(value, index):
    return TupleGetItem(index)(value)


class EWiseAdd(TensorOp):
    """a + b, elementwise (operands of different shapes are broadcast first)."""

    elementwise = "add"

    def compute(self, a: NDArray, b: NDArray):
        _check_same_shape("add", a, b)
        return a + b

    def gradient(self, out_grad: Tensor, node: Tensor):
        return out_grad, out_grad


def add(a, b):
    return EWiseAdd()(a, b)


class AddScalar(TensorOp):
    """a + scalar."""

    def __init__(self, scalar):
        self.scalar = _check_scalar("add_scalar", scalar)

    def compute(self, a: NDArray):
        return a + self.scalar

    def gradient(self, out_grad: Tensor, node: Tensor):
        return out_grad


def add_scalar(a, scalar):
    return AddScalar(scalar)(a)


class EWiseMul(TensorOp):
    """a * b, elementwise (operands of different shapes are broadcast first)."""

    elementwise = "multiply"

    def compute(self, a: NDArray, b: NDArray):
        _check_same_shape("multiply", a, b)
        return a * b

    def gradient(self, out_grad: Tensor, node: Tensor):
        lhs, rhs = node.inputs
        return out_grad * rhs, out_grad * lhs


def multiply(a, b):
    return EWiseMul()(a, b)


class MulScalar(TensorOp):
    """a * scalar."""

    def __init__(self, scalar):
        self.scalar = _check_scalar("mul_scalar", scalar)

    def compute(self, a: NDArray):
        return a * self.scalar

    def gradient(self, out_grad: Tensor, node: Tensor):
        return out_grad * self.scalar


def mul_scalar(a, scalar):
    return MulScalar(scalar)(a)


class EWisePow(TensorOp):
    """Op to element-wise raise a tensor to a power: a ** b (operands of different shapes are
    broadcast first)."""

    elementwise = "power"

    def compute(self, a: NDArray, b: NDArray) -> NDArray:
        _check_same_shape("power", a, b)
        ### BEGIN YOUR SOLUTION
        return array_api.power(a, b)
        ### END YOUR SOLUTION

    def gradient(self, out_grad, node):
        ### BEGIN YOUR SOLUTION
        a, b = node.inputs
        # d(a^b)/da = b a^(b-1);  d(a^b)/db = a^b log(a)
        return out_grad * b * power(a, b - 1), out_grad * node * log(a)
        ### END YOUR SOLUTION


def power(a, b):
    return EWisePow()(a, b)


class PowerScalar(TensorOp):
    """Op raise a tensor to an (integer) power."""

    def __init__(self, scalar: int):
        self.scalar = _check_scalar("power_scalar", scalar)

    def compute(self, a: NDArray) -> NDArray:
        ### BEGIN YOUR SOLUTION
        return array_api.power(a, self.scalar)
        ### END YOUR SOLUTION

    def gradient(self, out_grad, node):
        ### BEGIN YOUR SOLUTION
        if self.scalar == 0:
            return out_grad * 0  # a^0 is constant; a^(-1) would put 0 * inf at a = 0
        a = node.inputs[0]
        return out_grad * (self.scalar * power_scalar(a, self.scalar - 1))
        ### END YOUR SOLUTION


def power_scalar(a, scalar):
    return PowerScalar(scalar)(a)


class EWiseDiv(TensorOp):
    """Op to element-wise divide two nodes: a / b (operands of different shapes are broadcast
    first)."""

    elementwise = "divide"

    def compute(self, a, b):
        _check_same_shape("divide", a, b)
        ### BEGIN YOUR SOLUTION
        return a / b
        ### END YOUR SOLUTION

    def gradient(self, out_grad, node):
        ### BEGIN YOUR SOLUTION
        a, b = node.inputs
        return out_grad / b, -out_grad * a / power_scalar(b, 2)
        ### END YOUR SOLUTION


def divide(a, b):
    return EWiseDiv()(a, b)


class DivScalar(TensorOp):
    """a / scalar."""

    def __init__(self, scalar):
        self.scalar = _check_scalar("divide_scalar", scalar)

    def compute(self, a):
        ### BEGIN YOUR SOLUTION
        return a / self.scalar
        ### END YOUR SOLUTION

    def gradient(self, out_grad, node):
        ### BEGIN YOUR SOLUTION
        return out_grad / self.scalar
        ### END YOUR SOLUTION


def divide_scalar(a, scalar):
    return DivScalar(scalar)(a)


class Transpose(TensorOp):
    """Swap two axes: the last two by default, or the two named in `axes`."""

    def __init__(self, axes: Optional[tuple] = None):
        if axes is not None and len(tuple(axes)) != 2:
            raise ValueError(f"transpose: axes must name exactly two axes to swap, got {axes}")
        self.axes = None if axes is None else tuple(axes)

    def compute(self, a):
        if a.ndim < 2:
            raise ValueError(f"transpose: needs at least 2 dimensions, got shape {a.shape}")
        ### BEGIN YOUR SOLUTION
        first, second = self.axes if self.axes is not None else (a.ndim - 2, a.ndim - 1)
        return array_api.swapaxes(a, first, second)
        ### END YOUR SOLUTION

    def gradient(self, out_grad, node):
        ### BEGIN YOUR SOLUTION
        return transpose(out_grad, self.axes)
        ### END YOUR SOLUTION


def transpose(a, axes=None):
    return Transpose(axes)(a)


class Reshape(TensorOp):
    """The same elements in a new shape (row-major order)."""

    def __init__(self, shape):
        self.shape = tuple(shape)

    def compute(self, a):
        _check_reshape(a, self.shape)
        ### BEGIN YOUR SOLUTION
        return array_api.reshape(a, self.shape)
        ### END YOUR SOLUTION

    def gradient(self, out_grad, node):
        ### BEGIN YOUR SOLUTION
        return reshape(out_grad, node.inputs[0].shape)
        ### END YOUR SOLUTION


def reshape(a, shape):
    return Reshape(shape)(a)


class BroadcastTo(TensorOp):
    """Repeat along new leading axes and along axes of size 1 to reach `shape`."""

    def __init__(self, shape):
        self.shape = tuple(shape)

    def compute(self, a):
        lead = len(self.shape) - a.ndim
        if lead < 0 or any(size not in (1, self.shape[lead + i]) for i, size in enumerate(a.shape)):
            raise ValueError(f"broadcast_to: cannot broadcast shape {a.shape} to shape {self.shape}")
        ### BEGIN YOUR SOLUTION
        return array_api.broadcast_to(a, self.shape)
        ### END YOUR SOLUTION

    def gradient(self, out_grad, node):
        ### BEGIN YOUR SOLUTION
        input_shape = node.inputs[0].shape
        lead = len(self.shape) - len(input_shape)
        # each new leading axis, and each axis stretched from size 1, made copies: sum their adjoints
        stretched = [lead + i for i, size in enumerate(input_shape) if size == 1 and self.shape[lead + i] != 1]
        axes = tuple(range(lead)) + tuple(stretched)
        if not axes:
            return out_grad
        summed = summation(out_grad, axes)
        return summed if summed.shape == input_shape else reshape(summed, input_shape)
        ### END YOUR SOLUTION


def broadcast_to(a, shape):
    return BroadcastTo(shape)(a)


class Summation(TensorOp):
    """Sum over `axes` (an int, a tuple of ints, or None for all), dropping them."""

    def __init__(self, axes: Optional[tuple] = None):
        self.axes = axes

    def compute(self, a):
        axes = _normalize_axes(self.axes, a.ndim, "summation", a.shape)
        ### BEGIN YOUR SOLUTION
        return array_api.sum(a, axis=axes)
        ### END YOUR SOLUTION

    def gradient(self, out_grad, node):
        ### BEGIN YOUR SOLUTION
        input_shape = node.inputs[0].shape
        axes = _normalize_axes(self.axes, len(input_shape), "summation", input_shape)
        kept_shape = [1 if axes is None or i in axes else size for i, size in enumerate(input_shape)]
        return broadcast_to(reshape(out_grad, kept_shape), input_shape)
        ### END YOUR SOLUTION


def summation(a, axes=None):
    return Summation(axes)(a)


class MatMul(TensorOp):
    """a @ b over the last two axes; leading (batch) axes broadcast as in numpy."""

    def compute(self, a, b):
        _check_matmul_shapes(a, b)
        ### BEGIN YOUR SOLUTION
        return array_api.matmul(a, b)
        ### END YOUR SOLUTION

    def gradient(self, out_grad, node):
        ### BEGIN YOUR SOLUTION
        a, b = node.inputs
        grad_a = matmul(out_grad, transpose(b))
        grad_b = matmul(transpose(a), out_grad)
        # A batch axis that was broadcast got one adjoint per copy; summing them is
        # exactly the gradient of broadcast_to.
        if grad_a.shape != a.shape:
            grad_a = BroadcastTo(grad_a.shape).gradient(grad_a, broadcast_to(a, grad_a.shape))
        if grad_b.shape != b.shape:
            grad_b = BroadcastTo(grad_b.shape).gradient(grad_b, broadcast_to(b, grad_b.shape))
        return grad_a, grad_b
        ### END YOUR SOLUTION


def matmul(a, b):
    return MatMul()(a, b)


class Negate(TensorOp):
    """-a."""

    def compute(self, a):
        ### BEGIN YOUR SOLUTION
        return array_api.negative(a)
        ### END YOUR SOLUTION

    def gradient(self, out_grad, node):
        ### BEGIN YOUR SOLUTION
        return negate(out_grad)
        ### END YOUR SOLUTION


def negate(a):
    return Negate()(a)


class Log(TensorOp):
    """Natural logarithm, elementwise."""

    def compute(self, a):
        ### BEGIN YOUR SOLUTION
        return array_api.log(a)
        ### END YOUR SOLUTION

    def gradient(self, out_grad, node):
        ### BEGIN YOUR SOLUTION
        return out_grad / node.inputs[0]
        ### END YOUR SOLUTION


def log(a):
    return Log()(a)


class Exp(TensorOp):
    """e ** a, elementwise."""

    def compute(self, a):
        ### BEGIN YOUR SOLUTION
        return array_api.exp(a)
        ### END YOUR SOLUTION

    def gradient(self, out_grad, node):
        ### BEGIN YOUR SOLUTION
        return out_grad * node  # d(e^a)/da = e^a, which is the node itself
        ### END YOUR SOLUTION


def exp(a):
    return Exp()(a)


class ReLU(TensorOp):
    """max(a, 0), elementwise."""

    def compute(self, a):
        ### BEGIN YOUR SOLUTION
        return array_api.maximum(a, 0)
        ### END YOUR SOLUTION

    def gradient(self, out_grad, node):
        ### BEGIN YOUR SOLUTION
        # the mask is a constant: its own derivative is zero almost everywhere
        positive = Tensor(node.inputs[0].realize_cached_data() > 0, dtype=out_grad.dtype, requires_grad=False)
        return out_grad * positive
        ### END YOUR SOLUTION


def relu(a):
    return ReLU()(a)
