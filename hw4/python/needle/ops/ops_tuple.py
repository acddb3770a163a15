"""Ops on TensorTuples: grouping Tensors into one node of the graph, and taking one back out.

Ops with several outputs (hw4's `split`) return a TensorTuple; `make_tuple` builds one and
`tuple_get_item` reads one element, each with its gradient side by side.
"""
from ..autograd import Tensor, TensorOp, TensorTuple, TensorTupleOp, Value
from .. import init


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
        # Zeros for every other element: the tuple's shared zero constants, which the adjoint sum
        # (autograd.sum_node_list) recognises by identity and skips, so the n pieces of a split
        # cost n adds, not n^2.
        zeros = zero_adjoints(node.inputs[0], out_grad.device)
        in_grad = MakeTensorTuple()(*[out_grad if i == self.index else zero for i, zero in enumerate(zeros)])
        in_grad.zero_adjoints = zeros
        return in_grad


def zero_adjoints(tuple_node: TensorTuple, device) -> list:
    """One zero Tensor per element of `tuple_node`, made once (one per shape) and kept on the node."""
    if tuple_node.zero_adjoints is None:
        by_shape = {}
        for array in tuple_node.realize_cached_data():
            key = (array.shape, array.dtype)
            if key not in by_shape:
                by_shape[key] = init.zeros(*array.shape, device=device, dtype=array.dtype)
        tuple_node.zero_adjoints = [by_shape[(a.shape, a.dtype)] for a in tuple_node.realize_cached_data()]
    return tuple_node.zero_adjoints


def tuple_get_item(value, index):
    return TupleGetItem(index)(value)
