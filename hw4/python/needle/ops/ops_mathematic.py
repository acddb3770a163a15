"""Operator implementations: each op is one class with its forward (`compute`, on raw arrays)
and its gradient (`gradient`, on Tensors) side by side, plus a lowercase function to call it."""

from typing import Optional

from ..autograd import NDArray, _check_scalar
from ..autograd import Op, Tensor, Value, TensorOp
from ..autograd import TensorTuple, TensorTupleOp
from .. import init
from .ops_tuple import make_tuple
import numpy

# Ops compute through array_api: NDArray (any device) by default, numpy with NEEDLE_BACKEND=np.
from ..backend_selection import array_api


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
        if axes is None:  # a sum of everything is a scalar, shape ()
            return array_api.reshape(array_api.sum(a), ())
        return array_api.sum(a, axis=axes)  # NDArray sums several axes one at a time
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


class Tanh(TensorOp):
    """tanh(a), elementwise."""

    def compute(self, a):
        ### BEGIN YOUR SOLUTION
        return array_api.tanh(a)
        ### END YOUR SOLUTION

    def gradient(self, out_grad, node):
        ### BEGIN YOUR SOLUTION
        return out_grad * (1 - node ** 2)  # tanh' = 1 - tanh^2, and the node is tanh(a)
        ### END YOUR SOLUTION


def tanh(a):
    return Tanh()(a)


class Sigmoid(TensorOp):
    """1 / (1 + e^-a), elementwise."""

    def compute(self, a):
        ### BEGIN YOUR SOLUTION
        return (array_api.exp(-a) + 1) ** -1
        ### END YOUR SOLUTION

    def gradient(self, out_grad, node):
        ### BEGIN YOUR SOLUTION
        return out_grad * node * (1 - node)
        ### END YOUR SOLUTION


def sigmoid(a):
    return Sigmoid()(a)


class Stack(TensorOp):
    """Join equal-shaped Tensors along a new axis `axis`; the input is a TensorTuple."""

    def __init__(self, axis: int):
        self.axis = axis

    def compute(self, args):
        shapes = {a.shape for a in args}
        if len(shapes) != 1:
            raise ValueError(f"stack: every tensor must have the same shape, got shapes {sorted(shapes)}")
        ndim = len(args[0].shape) + 1
        if not -ndim <= self.axis < ndim:
            raise ValueError(f"stack: axis {self.axis} is out of range for {ndim - 1}-D tensors of shape {args[0].shape}")
        ### BEGIN YOUR SOLUTION
        return array_api.stack(args, axis=self.axis)
        ### END YOUR SOLUTION

    def gradient(self, out_grad, node):
        ### BEGIN YOUR SOLUTION
        return split(out_grad, self.axis)
        ### END YOUR SOLUTION


def stack(args, axis):
    return Stack(axis)(make_tuple(*args))


class Split(TensorTupleOp):
    """The slices of a Tensor along `axis`, that axis dropped: the inverse of stack.
    Returns a TensorTuple with one Tensor per index of the axis."""

    def __init__(self, axis: int):
        self.axis = axis

    def compute(self, A):
        axis = _normalize_axes(self.axis, A.ndim, "split", A.shape)[0]
        ### BEGIN YOUR SOLUTION
        piece_shape = A.shape[:axis] + A.shape[axis + 1:]
        pieces = []
        for i in range(A.shape[axis]):
            index = tuple(slice(i, i + 1) if d == axis else slice(None) for d in range(A.ndim))
            pieces.append(array_api.reshape(A[index], piece_shape))
        return tuple(pieces)
        ### END YOUR SOLUTION

    def gradient(self, out_grad, node):
        ### BEGIN YOUR SOLUTION
        return stack(out_grad, self.axis)
        ### END YOUR SOLUTION


def split(a, axis):
    return Split(axis)(a)


class Flip(TensorOp):
    """Reverse the order of elements along `axes`."""

    def __init__(self, axes: Optional[tuple] = None):
        self.axes = axes

    def compute(self, a):
        axes = _normalize_axes(self.axes, a.ndim, "flip", a.shape)
        axes = tuple(range(a.ndim)) if axes is None else axes
        ### BEGIN YOUR SOLUTION
        return array_api.flip(a, axes)
        ### END YOUR SOLUTION

    def gradient(self, out_grad, node):
        ### BEGIN YOUR SOLUTION
        return flip(out_grad, self.axes)
        ### END YOUR SOLUTION


def flip(a, axes):
    return Flip(axes)(a)


def _dilated_slices(shape, axes, dilation):
    """The positions of the original elements inside the dilated array: every (dilation+1)-th."""
    return tuple(slice(None, None, dilation + 1) if d in axes else slice(None) for d in range(len(shape)))


class Dilate(TensorOp):
    """Insert `dilation` zeros after every element along `axes` (after the last one too), so an
    axis of n becomes n * (dilation + 1); axes beyond the tensor's dimensions are ignored.
    The stride of a convolution, seen from its gradient."""

    def __init__(self, axes: tuple, dilation: int):
        self.axes = (axes,) if isinstance(axes, int) else tuple(axes)
        self.dilation = dilation

    def compute(self, a):
        if self.dilation < 0:
            raise ValueError(f"dilate: dilation must be >= 0, got {self.dilation}")
        ### BEGIN YOUR SOLUTION
        axes = {axis % a.ndim for axis in self.axes if -a.ndim <= axis < a.ndim}  # -1: the last axis
        shape = tuple(size * (self.dilation + 1) if d in axes else size for d, size in enumerate(a.shape))
        out = array_api.full(shape, 0.0, dtype="float32", device=a.device)
        out[_dilated_slices(shape, axes, self.dilation)] = a
        return out
        ### END YOUR SOLUTION

    def gradient(self, out_grad, node):
        ### BEGIN YOUR SOLUTION
        return undilate(out_grad, self.axes, self.dilation)
        ### END YOUR SOLUTION


def dilate(a, axes, dilation):
    return Dilate(axes, dilation)(a)


class UnDilate(TensorOp):
    """Keep every (dilation+1)-th element along `axes`: the inverse of dilate."""

    def __init__(self, axes: tuple, dilation: int):
        self.axes = (axes,) if isinstance(axes, int) else tuple(axes)
        self.dilation = dilation

    def compute(self, a):
        if self.dilation < 0:
            raise ValueError(f"undilate: dilation must be >= 0, got {self.dilation}")
        ### BEGIN YOUR SOLUTION
        axes = {axis % a.ndim for axis in self.axes if -a.ndim <= axis < a.ndim}  # -1: the last axis
        return a[_dilated_slices(a.shape, axes, self.dilation)]
        ### END YOUR SOLUTION

    def gradient(self, out_grad, node):
        ### BEGIN YOUR SOLUTION
        return dilate(out_grad, self.axes, self.dilation)
        ### END YOUR SOLUTION


def undilate(a, axes, dilation):
    return UnDilate(axes, dilation)(a)


class Pad(TensorOp):
    """Zeros around each axis: widths[i] = (before, after) for axis i."""

    def __init__(self, widths):
        self.widths = tuple(tuple(w) for w in widths)

    def compute(self, a):
        if len(self.widths) != a.ndim:
            raise ValueError(f"pad: needs one (before, after) pair per axis of shape {a.shape}, got {self.widths}")
        return array_api.pad(a, self.widths)

    def gradient(self, out_grad, node):
        return crop(out_grad, tuple(before for before, _ in self.widths), node.inputs[0].shape)


def pad(a, widths):
    return Pad(widths)(a)


class Crop(TensorOp):
    """The block of `shape` starting at index `starts`: the inverse of pad."""

    def __init__(self, starts, shape):
        self.starts, self.shape = tuple(starts), tuple(shape)

    def compute(self, a):
        if len(self.starts) != a.ndim or any(s < 0 or s + n > size for s, n, size in zip(self.starts, self.shape, a.shape)):
            raise ValueError(f"crop: a block of shape {self.shape} at {self.starts} does not fit in shape {a.shape}")
        return a[tuple(slice(s, s + n) for s, n in zip(self.starts, self.shape))]

    def gradient(self, out_grad, node):
        size = node.inputs[0].shape
        return pad(out_grad, tuple((s, total - s - n) for s, n, total in zip(self.starts, self.shape, size)))


def crop(a, starts, shape):
    return Crop(starts, shape)(a)


def _as_strided(a, shape, strides):
    """A view of `a` with `strides` counted in elements (numpy counts bytes)."""
    if isinstance(a, numpy.ndarray):
        a = numpy.ascontiguousarray(a)
        return numpy.lib.stride_tricks.as_strided(a, shape, tuple(s * a.itemsize for s in strides), writeable=False)
    return array_api.as_strided(a, shape, strides)


def _conv_output_size(H, W, K_h, K_w, stride, padding):
    """(H_out, W_out): how many windows fit along each axis of the padded input."""
    return (H + 2 * padding - K_h) // stride + 1, (W + 2 * padding - K_w) // stride + 1


class Im2Col(TensorOp):
    """im2col: every K_h x K_w x C window of an NHWC input, zero padded by `padding` on each
    side of H and W and taken every `stride` pixels, as one row of a matrix of shape
    (N * H_out * W_out, K_h * K_w * C); a row's columns run over (kh, kw, c), c fastest.
    A convolution is this matrix times its weights; its weight gradient is this matrix,
    transposed, times the output's gradient.
    """

    def __init__(self, kernel_size, stride: int = 1, padding: int = 0):
        self.kernel_size = (kernel_size, kernel_size) if isinstance(kernel_size, int) else tuple(kernel_size)
        self.stride = stride
        self.padding = padding

    def compute(self, a):
        (K_h, K_w), s, p = self.kernel_size, self.stride, self.padding
        if a.ndim != 4 or s < 1 or p < 0 or a.shape[1] + 2 * p < K_h or a.shape[2] + 2 * p < K_w:
            raise ValueError(f"im2col: cannot take {K_h}x{K_w} windows with stride {s} and padding {p} "
                             f"from an (N, H, W, C) input of shape {a.shape}")
        ### BEGIN YOUR SOLUTION
        N, H, W, C = a.shape
        if p:
            a = array_api.pad(a, ((0, 0), (p, p), (p, p), (0, 0)))
        H_out, W_out = _conv_output_size(H, W, K_h, K_w, s, p)
        Ns, Hs, Ws, Cs = (H + 2 * p) * (W + 2 * p) * C, (W + 2 * p) * C, C, 1
        windows = _as_strided(a, (N, H_out, W_out, K_h, K_w, C), (Ns, Hs * s, Ws * s, Hs, Ws, Cs))
        return array_api.reshape(windows, (N * H_out * W_out, K_h * K_w * C))  # the one copy
        ### END YOUR SOLUTION

    def gradient(self, out_grad, node):
        ### BEGIN YOUR SOLUTION
        # col2im: column block (kh, kw) came from X_pad[:, kh::s, kw::s, :]; put each block back
        # there and sum (windows overlap), then drop the padding. Only higher-order gradients
        # come here, so K_h * K_w plain graph ops rather than a kernel.
        N, H, W, C = node.inputs[0].shape
        (K_h, K_w), s, p = self.kernel_size, self.stride, self.padding
        H_out, W_out = _conv_output_size(H, W, K_h, K_w, s, p)
        blocks = reshape(out_grad, (N, H_out, W_out, K_h, K_w, C))
        span = ((H_out - 1) * s + 1, (W_out - 1) * s + 1)  # rows, columns a block covers in X_pad
        X_pad_grad = None
        for kh in range(K_h):
            for kw in range(K_w):
                block = reshape(crop(blocks, (0, 0, 0, kh, kw, 0), (N, H_out, W_out, 1, 1, C)), (N, H_out, W_out, C))
                if s > 1:
                    block = crop(dilate(block, (1, 2), s - 1), (0, 0, 0, 0), (N,) + span + (C,))
                block = pad(block, ((0, 0), (kh, H + 2 * p - kh - span[0]), (kw, W + 2 * p - kw - span[1]), (0, 0)))
                X_pad_grad = block if X_pad_grad is None else X_pad_grad + block
        return crop(X_pad_grad, (0, p, p, 0), (N, H, W, C)) if p else X_pad_grad
        ### END YOUR SOLUTION


def im2col(a, kernel_size, stride=1, padding=0):
    return Im2Col(kernel_size, stride, padding)(a)


class Conv(TensorOp):
    """2-D convolution (cross-correlation, as in deep learning) of an NHWC input with
    (k, k, c_in, c_out) weights, zero padding `padding` on each side of H and W, and `stride`.
    The output is (N, (H + 2p - k) // stride + 1, (W + 2p - k) // stride + 1, c_out).

    Forward: im2col, a strided view listing every k x k x c_in patch (no copy until compact),
    then one matrix product with the weights as a (k*k*c_in, c_out) matrix.
    """

    def __init__(self, stride: Optional[int] = 1, padding: Optional[int] = 0):
        self.stride = stride
        self.padding = padding

    def compute(self, A, B):
        if A.ndim != 4 or B.ndim != 4 or A.shape[3] != B.shape[2]:
            raise ValueError(f"conv: expected input (N, H, W, C_in) and weight (K, K, C_in, C_out), got shapes "
                             f"{A.shape} and {B.shape}")
        if self.stride < 1 or self.padding < 0:
            raise ValueError(f"conv: stride must be >= 1 and padding >= 0, got stride={self.stride}, padding={self.padding}")
        N, H, W, C_in = A.shape
        K_h, K_w, _, C_out = B.shape  # the gradient convolves with non-square kernels too
        if H + 2 * self.padding < K_h or W + 2 * self.padding < K_w:
            raise ValueError(f"conv: a {K_h}x{K_w} kernel does not fit in input of shape {A.shape} "
                             f"with padding {self.padding}")
        ### BEGIN YOUR SOLUTION
        patches = Im2Col((K_h, K_w), self.stride, self.padding).compute(A)  # (N*H_out*W_out, K_h*K_w*C_in)
        out = patches @ array_api.reshape(B, (K_h * K_w * C_in, C_out))
        return array_api.reshape(out, (N, *_conv_output_size(H, W, K_h, K_w, self.stride, self.padding), C_out))
        ### END YOUR SOLUTION

    def gradient(self, out_grad, node):
        ### BEGIN YOUR SOLUTION
        X, W = node.inputs
        N, H, Wd, C_in = X.shape
        K, K_w, _, C_out = W.shape
        if K != K_w:
            raise ValueError(f"conv gradient: needs a square kernel, got shape {W.shape}")
        p, s = self.padding, self.stride
        _, H_out, W_out, _ = out_grad.shape
        # dW = patches^T @ gradient: the forward's product transposed. The patches are copied again
        # here (keeping the forward's copy would hold every layer's patches until the backward).
        patches = im2col(X, K, s, p)  # (N*H_out*W_out, K*K*C_in)
        W_grad = reshape(matmul(transpose(patches), reshape(out_grad, (N * H_out * W_out, C_out))), W.shape)
        if s > 1:  # put each output's gradient back where its window started
            out_grad = dilate(out_grad, (1, 2), s - 1)  # (N, H_out*s, W_out*s, C_out)
        # dX: a full convolution of the gradient with the flipped kernel, (c_out, c_in) swapped.
        # Its rows start at input row p - (K - 1); keep the H x W block of the input.
        W_flipped = transpose(flip(W, (0, 1)), (2, 3))  # (K, K, C_out, C_in)
        full_pad = max(K - 1 - p, 0)
        X_grad = conv(out_grad, W_flipped, stride=1, padding=full_pad)
        start = full_pad - (K - 1 - p)
        X_grad = crop(X_grad, (0, start, start, 0), (N, H, Wd, C_in))
        return X_grad, W_grad
        ### END YOUR SOLUTION


def conv(a, b, stride=1, padding=1):
    return Conv(stride, padding)(a, b)
