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
        # Zeros for every other element, one constant per shape shared by them: each of the n
        # pieces of a split has such a gradient, so n - 1 zero arrays apiece would add up to n^2.
        zeros = {}
        in_grad = []
        for i, array in enumerate(node.inputs[0].realize_cached_data()):
            if i == self.index:
                in_grad.append(out_grad)
                continue
            key = (array.shape, array.dtype)
            if key not in zeros:
                zeros[key] = init.zeros(*array.shape, device=out_grad.device, dtype=array.dtype)
            in_grad.append(zeros[key])
        return MakeTensorTuple()(*in_grad)


def tuple_get_item(value, index):
    return TupleGetItem(index)(value)
