"""The core of needle: values in a computational graph, the ops that make them, and
reverse-mode automatic differentiation over that graph.

A `Tensor` remembers the `Op` that produced it and that op's `inputs`. `backward()` walks
the graph in reverse topological order and asks each op for the gradient of its inputs.
Gradients are themselves Tensors built from ops, so they can be differentiated again.
"""
from functools import reduce
from numbers import Number
from operator import add
from typing import Dict, List, Optional, Tuple, Union

import numpy

import needle
from needle import init
# Tensors compute through `array_api`: the NDArray backend (cpu(), cuda(), cpu_numpy()) by
# default, numpy with NEEDLE_BACKEND=np (see backend_selection.py).
from .backend_selection import Device, NDArray, all_devices, array_api, cpu, default_device

# When True, ops only record the graph; values are computed on `realize_cached_data()`.
LAZY_MODE = False
# How many Values are alive right now: a cheap way to see that graphs get freed.
TENSOR_COUNTER = 0


class Op:
    """An operator: `compute` maps input arrays to the output array, `gradient` maps the
    output's adjoint to the inputs' adjoints (as Tensors, so they can be differentiated)."""

    def __call__(self, *args):
        raise NotImplementedError()

    def compute(self, *args: Tuple[NDArray]):
        """Calculate the forward pass of the operator on raw arrays."""
        raise NotImplementedError()

    def gradient(self, out_grad: "Value", node: "Value") -> Union["Value", Tuple["Value"]]:
        """Return the partial adjoint of each input, given the adjoint `out_grad` of `node`."""
        raise NotImplementedError()

    def gradient_as_tuple(self, out_grad: "Value", node: "Value") -> Tuple["Value"]:
        """`gradient`, always as a tuple with one entry per input."""
        output = self.gradient(out_grad, node)
        if isinstance(output, tuple):
            return output
        if isinstance(output, list):
            return tuple(output)
        return (output,)


class TensorOp(Op):
    """An op whose output is a Tensor."""

    # Elementwise ops of two Tensors name themselves here ("add", "multiply", ...). Their
    # operands, when of different but compatible shapes, are first broadcast to one shape by
    # explicit broadcast_to nodes, as numpy would broadcast them: `compute` then always sees
    # equal shapes, and each input's gradient comes back in that input's own shape (through
    # BroadcastTo.gradient), as in PyTorch.
    elementwise: Optional[str] = None

    def __call__(self, *args):
        _check_inputs(self, args)
        if self.elementwise is not None:
            args = _broadcast_operands(self.elementwise, args)
        return Tensor.make_from_op(self, args)


class TensorTupleOp(Op):
    """An op whose output is a TensorTuple."""

    def __call__(self, *args):
        _check_inputs(self, args)
        return TensorTuple.make_from_op(self, args)


def _check_inputs(op: Op, args):
    """Ops take graph nodes only; a raw array would fail much later, with a puzzling message."""
    for arg in args:  # (every op runs this: the message is built only when it is needed)
        if not isinstance(arg, Value):
            position = next(i for i, a in enumerate(args) if not isinstance(a, Value))
            raise TypeError(
                f"{type(op).__name__}: input {position} is a {type(args[position]).__name__}, not a needle Tensor "
                "(wrap arrays with needle.Tensor(...))"
            )


def _broadcast_operands(op_name: str, operands):
    """The operands, each broadcast to their common shape by a broadcast_to node where needed;
    shapes that cannot be broadcast together are refused, naming both."""
    shapes = [x.shape for x in operands]
    if shapes[0] == shapes[-1] and all(shape == shapes[0] for shape in shapes):
        return operands
    try:
        shape = numpy.broadcast_shapes(*shapes)
    except ValueError:
        raise ValueError(
            f"{op_name}: operand shapes {' and '.join(str(s) for s in shapes)} cannot be broadcast together"
        ) from None
    return tuple(x if x.shape == shape else needle.ops.broadcast_to(x, shape) for x in operands)


class Value:
    """A node of the computational graph."""

    op: Optional[Op]
    inputs: List["Value"]
    cached_data: NDArray
    requires_grad: bool

    def realize_cached_data(self):
        """Compute this value's array (and its inputs' arrays) if not yet done."""
        if self.cached_data is not None:
            return self.cached_data
        self.cached_data = self.op.compute(*[x.realize_cached_data() for x in self.inputs])
        return self.cached_data

    def is_leaf(self):
        return self.op is None

    def __del__(self):
        global TENSOR_COUNTER
        TENSOR_COUNTER -= 1

    def _init(
        self,
        op: Optional[Op],
        inputs: List["Value"],
        *,
        num_outputs: int = 1,
        cached_data: NDArray = None,
        requires_grad: Optional[bool] = None,
    ):
        global TENSOR_COUNTER
        TENSOR_COUNTER += 1
        if requires_grad is None:  # (a loop: any() of a generator costs more for one or two inputs)
            requires_grad = False
            for x in inputs:
                if x.requires_grad:
                    requires_grad = True
                    break
        self.op = op
        self.inputs = inputs
        self.num_outputs = num_outputs
        self.cached_data = cached_data
        self.requires_grad = requires_grad

    @classmethod
    def make_const(cls, data, requires_grad=False):
        """A leaf holding `data` (an array, or another value's array), outside any graph."""
        value = cls.__new__(cls)
        if isinstance(data, Value):
            data = data.realize_cached_data()
        value._init(None, [], cached_data=data, requires_grad=requires_grad)
        return value

    @classmethod
    def make_from_op(cls, op: Op, inputs: List["Value"]):
        value = cls.__new__(cls)
        value._init(op, inputs)
        if not LAZY_MODE:
            value.realize_cached_data()
            if not value.requires_grad:  # a constant: keep the value, drop the graph (detach in place)
                value.op, value.inputs = None, []
        return value


class TensorTuple(Value):
    """A tuple of Tensors that is itself one node of the graph (used by ops with several
    outputs, such as split)."""

    # A zero Tensor per element (its shape), shared by the adjoints of all the items taken from
    # one tuple (ops_tuple.zero_adjoints): an element that *is* one of them is known to be zero,
    # and the adjoint sum skips it.
    zero_adjoints: Optional[List["Tensor"]] = None

    def __len__(self):
        return len(self.realize_cached_data())

    def __getitem__(self, index: int):
        return needle.ops.tuple_get_item(self, index)

    def __iter__(self):  # by length: a lazily built item would not raise IndexError at the end
        return (self[i] for i in range(len(self)))

    def tuple(self):
        return tuple([x for x in self])

    def __repr__(self):
        return "needle.TensorTuple" + str(self.tuple())

    def __str__(self):
        return self.__repr__()

    def __add__(self, other):
        if not isinstance(other, TensorTuple):
            raise TypeError(f"can only add a TensorTuple to a TensorTuple, not {type(other).__name__}")
        if len(self) != len(other):
            raise ValueError(f"cannot add TensorTuples of lengths {len(self)} and {len(other)}")
        return needle.ops.make_tuple(*[self[i] + other[i] for i in range(len(self))])

    def detach(self):
        """Create a new tuple that shares the data but detaches from the graph."""
        return TensorTuple.make_const(self.realize_cached_data())


class Tensor(Value):
    """An n-dimensional array that records how it was computed, so it can be differentiated.

    Args:
        array: a Tensor, a numpy array, a nested list or a scalar.
        device: where the data lives (`needle.cpu()` by default).
        dtype: the element type; `None` keeps the array's own (float64 stays float64).
        requires_grad: whether gradients flow to this tensor.

    Example:
        >>> x = needle.Tensor([[1.0, 2.0]])
        >>> (x * x).sum().backward()
        >>> x.grad
        needle.Tensor([[2. 4.]])
    """

    grad: "Tensor"

    # numpy must not treat a Tensor as a sequence of scalars: `ndarray + Tensor` should
    # reach Tensor.__radd__ (and its clear error) instead of silently building object arrays.
    __array_ufunc__ = None

    def __init__(self, array, *, device: Optional[Device] = None, dtype=None, requires_grad=True):
        if isinstance(array, Tensor):
            if device is None:
                device = array.device
            if dtype is None:
                dtype = array.dtype
            if device == array.device and dtype == array.dtype:
                cached_data = array.realize_cached_data()
            else:
                # fall back to a copy through numpy
                cached_data = Tensor._array_from_numpy(array.numpy(), device=device, dtype=dtype)
        else:
            if device is None:  # an NDArray keeps its device; anything else goes to cpu(), as init does
                device = array.device if isinstance(array, NDArray) and array_api is not numpy else cpu()
            cached_data = Tensor._array_from_numpy(array, device=device, dtype=dtype)

        self._init(None, [], cached_data=cached_data, requires_grad=requires_grad)

    @staticmethod
    def _array_from_numpy(numpy_array, device, dtype):
        if array_api is numpy:
            return numpy.array(numpy_array, dtype=dtype)
        return array_api.array(numpy_array, device=device, dtype=dtype)

    @property
    def data(self):
        """The same values, detached from the graph."""
        return self.detach()

    @data.setter
    def data(self, value):
        if not isinstance(value, Tensor):
            raise TypeError(f"Tensor.data must be set to a Tensor, got {type(value).__name__}")
        if value.dtype != self.dtype:
            raise TypeError(f"Tensor.data: dtype {value.dtype} does not match the tensor's dtype {self.dtype}")
        self.cached_data = value.realize_cached_data()

    def detach(self):
        """Create a new tensor that shares the data but detaches from the graph."""
        return Tensor.make_const(self.realize_cached_data())

    @property
    def shape(self):
        return self.realize_cached_data().shape

    @property
    def dtype(self):
        return self.realize_cached_data().dtype

    @property
    def device(self):
        data = self.realize_cached_data()
        if array_api is numpy:
            return cpu()
        return data.device

    def backward(self, out_grad=None):
        """Compute the gradient of this tensor with respect to every tensor it depends on,
        and store it in their `.grad`. `out_grad` defaults to ones (the tensor's own shape)."""
        if not self.requires_grad:
            raise RuntimeError(
                "backward: this tensor does not require a gradient "
                "(it was computed from tensors that all have requires_grad=False)"
            )
        if out_grad is None:
            out_grad = init.ones(*self.shape, dtype=self.dtype, device=self.device)
        elif not isinstance(out_grad, Tensor):
            raise TypeError(f"backward: out_grad must be a Tensor, got {type(out_grad).__name__}")
        elif out_grad.shape != self.shape:
            raise ValueError(f"backward: out_grad has shape {out_grad.shape}, but the tensor has shape {self.shape}")
        compute_gradient_of_variables(self, out_grad)

    def __repr__(self):
        return "needle.Tensor(" + str(self.realize_cached_data()) + ")"

    def __str__(self):
        return self.realize_cached_data().__str__()

    def numpy(self):
        data = self.realize_cached_data()
        if array_api is numpy:
            return data
        return data.numpy()

    def __add__(self, other):
        if isinstance(other, Tensor):
            return needle.ops.EWiseAdd()(self, other)
        return needle.ops.AddScalar(other)(self)

    def __mul__(self, other):
        if isinstance(other, Tensor):
            return needle.ops.EWiseMul()(self, other)
        return needle.ops.MulScalar(other)(self)

    def __pow__(self, other):
        if isinstance(other, Tensor):
            return needle.ops.EWisePow()(self, other)
        return needle.ops.PowerScalar(other)(self)

    def __sub__(self, other):
        if isinstance(other, Tensor):
            return needle.ops.EWiseAdd()(self, needle.ops.Negate()(other))
        return needle.ops.AddScalar(-_check_scalar("subtract", other))(self)

    def __truediv__(self, other):
        if isinstance(other, Tensor):
            return needle.ops.EWiseDiv()(self, other)
        return needle.ops.DivScalar(other)(self)

    def __matmul__(self, other):
        return needle.ops.MatMul()(self, other)

    def matmul(self, other):
        return needle.ops.MatMul()(self, other)

    def sum(self, axes=None):
        return needle.ops.Summation(axes)(self)

    def broadcast_to(self, shape):
        return needle.ops.BroadcastTo(shape)(self)

    def reshape(self, shape):
        return needle.ops.Reshape(shape)(self)

    def __neg__(self):
        return needle.ops.Negate()(self)

    def transpose(self, axes=None):
        return needle.ops.Transpose(axes)(self)

    # A scalar on the left: `2 + x`, `2 * x`, `2 - x`, `2 / x`, `2 ** x`.
    __radd__ = __add__
    __rmul__ = __mul__

    def __rsub__(self, other):
        return needle.ops.AddScalar(other)(needle.ops.Negate()(self))

    def __rtruediv__(self, other):
        return needle.ops.MulScalar(other)(needle.ops.PowerScalar(-1)(self))

    def __rpow__(self, other):
        base = init.constant(*self.shape, c=_check_scalar("power", other), device=self.device,
                             dtype=self.dtype, requires_grad=False)
        return needle.ops.EWisePow()(base, self)


def _check_scalar(op_name: str, value):
    """`value` as a Python number: a Python number as it is, a numpy scalar (`np.float32(2)`)
    or a one-element numpy array (`np.random.randn(1)`) as the number it holds, so the result
    keeps the tensor's dtype as with a Python float (float32 stays float32). Anything else is
    refused, saying what was passed (scalar ops would otherwise broadcast an array silently,
    or fail deep inside numpy)."""
    if isinstance(value, (numpy.ndarray, numpy.generic)) and value.size == 1:
        return value.item()
    if isinstance(value, Number):
        return value
    shape = getattr(value, "shape", None)
    described = type(value).__name__ + (f" of shape {tuple(shape)}" if shape is not None else "")
    raise TypeError(f"{op_name}: expected a Tensor or a number (a Python or numpy scalar, or a one-element array), got {described}")


def compute_gradient_of_variables(output_tensor, out_grad):
    """Take the gradient of the output node with respect to each node in node_list.

    Store the computed result in the grad field of each Variable.
    """
    # a map from node to a list of gradient contributions from each output node
    node_to_output_grads_list: Dict[Tensor, List[Tensor]] = {}
    # Special note on initializing gradient of
    # We are really taking a derivative of the scalar reduce_sum(output_node)
    # instead of the vector output_node. But this is the common case for loss function.
    node_to_output_grads_list[output_tensor] = [out_grad]

    # Traverse graph in reverse topological order given the output_node that we are taking gradient wrt.
    reverse_topo_order = list(reversed(find_topo_sort([output_tensor])))

    ### BEGIN YOUR SOLUTION
    global LAZY_MODE
    for node in reverse_topo_order:
        if not node.requires_grad:
            continue  # nothing upstream of a constant wants a gradient
        grad = sum_node_list(node_to_output_grads_list[node])
        if node.is_leaf():
            node.grad = grad
            continue
        # An inner node keeps its adjoint's value only: with the graph, node -> grad -> (the
        # gradient graph) -> node would be a reference cycle, and every step's arrays would wait
        # for Python's cycle collector. The graph still flows on to the leaves, below.
        node.grad = grad.detach() if grad.requires_grad else grad
        # An op returns the adjoints of all its inputs, but a constant input (the images into a
        # convolution, a one-hot matrix) wants none: build them lazily, compute the wanted ones.
        lazy, LAZY_MODE = LAZY_MODE, True
        try:
            input_grads = node.op.gradient_as_tuple(grad, node)
        finally:
            LAZY_MODE = lazy
        for input_node, input_grad in zip(node.inputs, input_grads):
            if input_node.requires_grad:
                if not LAZY_MODE:  # computed now, and a constant without its graph, as eagerly built
                    input_grad.realize_cached_data()
                    # (but a tuple keeps its elements, constants too: the adjoint sum reads them
                    # back by identity to skip zeros, see sum_node_list)
                    if not input_grad.requires_grad and not isinstance(input_grad, TensorTuple):
                        input_grad = input_grad.detach()
                node_to_output_grads_list.setdefault(input_node, []).append(input_grad)
    ### END YOUR SOLUTION


def find_topo_sort(node_list: List[Value]) -> List[Value]:
    """Given a list of nodes, return a topological sort list of nodes ending in them.

    A simple algorithm is to do a post-order DFS traversal on the given nodes,
    going backwards based on input edges. Since a node is added to the ordering
    after all its predecessors are traversed due to post-order DFS, we get a topological
    sort.
    """
    ### BEGIN YOUR SOLUTION
    visited = set()
    topo_order = []
    for node in node_list:
        topo_sort_dfs(node, visited, topo_order)
    return topo_order
    ### END YOUR SOLUTION


def topo_sort_dfs(node, visited, topo_order):
    """Post-order DFS"""
    ### BEGIN YOUR SOLUTION
    # An explicit stack instead of recursion: an RNN unrolled over a long sequence makes
    # graphs deeper than Python's recursion limit.
    if node in visited:
        return
    visited.add(node)
    stack = [(node, iter(node.inputs))]
    while stack:
        current, inputs = stack[-1]
        for child in inputs:
            if child not in visited:
                visited.add(child)
                stack.append((child, iter(child.inputs)))
                break
        else:
            stack.pop()
            topo_order.append(current)
    ### END YOUR SOLUTION


##############################
####### Helper Methods #######
##############################


def sum_node_list(node_list):
    """Custom sum function in order to avoid create redundant nodes in Python sum implementation."""
    if len(node_list) > 1 and isinstance(node_list[0], TensorTuple):
        return _sum_tuples(node_list)
    return reduce(add, node_list)


def _sum_tuples(tuples):
    """The adjoints of a TensorTuple, summed position by position. Each item taken from a tuple
    adds an adjoint that is zero but at its own position (TupleGetItem.gradient): the shared zero
    constants are skipped by identity, else the n items of a split would cost n^2 adds."""
    zeros = set()
    for t in tuples:
        zeros.update(id(z) for z in (t.zero_adjoints or ()))
    sums = []
    for i in range(len(tuples[0])):
        entries = [t[i] for t in tuples]
        wanted = [e for e in entries if id(e) not in zeros]
        sums.append(reduce(add, wanted) if wanted else entries[0])
    return needle.ops.make_tuple(*sums)

