"""Every op: forward against numpy, gradient against central differences, both against
PyTorch when it is installed, and the bad input each op must refuse with a clear message."""
import zlib
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pytest

import needle as ndl
from gradcheck import gradcheck

NORMAL, POSITIVE, AWAY_FROM_ZERO = "normal", "positive", "away from zero"


@dataclass
class OpCase:
    """One op on one set of input shapes, written three times: needle, numpy and torch."""

    id: str
    needle: Callable  # needle Tensors -> Tensor
    numpy: Callable  # numpy arrays -> array
    torch: Callable  # (torch module, torch tensors) -> tensor
    inputs: list  # one (shape, kind) per argument

    def arrays(self):
        rng = np.random.default_rng(zlib.crc32(self.id.encode()))
        arrays = []
        for shape, kind in self.inputs:
            if kind == NORMAL:
                arrays.append(rng.standard_normal(shape))
            elif kind == POSITIVE:
                arrays.append(rng.uniform(0.5, 2.0, shape))
            else:  # keep central differences off kinks (relu) and poles (division)
                arrays.append(rng.choice([-1.0, 1.0], shape) * rng.uniform(0.5, 2.0, shape))
        return arrays


def case(id, needle, numpy, torch, *inputs):
    return pytest.param(OpCase(id, needle, numpy, torch, list(inputs)), id=id)


def shape_case(op_name, in_shape, out_shape):
    """reshape or broadcast_to, which needle, numpy and torch all spell the same way."""
    return case(
        f"{op_name}{in_shape}->{out_shape}",
        lambda a: getattr(ndl, op_name)(a, out_shape),
        lambda a: getattr(np, op_name)(a, out_shape),
        lambda t, a: getattr(a, op_name)(out_shape),
        (in_shape, NORMAL),
    )


def summation_case(shape, axes):
    def torch_sum(t, a):
        return t.sum(a) if axes is None else t.sum(a, dim=axes)

    return case(
        f"summation{shape}-axes={axes}",
        lambda a: ndl.summation(a, axes),
        lambda a: np.sum(a, axis=axes),
        torch_sum,
        (shape, NORMAL),
    )


def matmul_case(a_shape, b_shape):
    return case(
        f"matmul{a_shape}@{b_shape}",
        ndl.matmul,
        np.matmul,
        lambda t, a, b: t.matmul(a, b),
        (a_shape, NORMAL),
        (b_shape, NORMAL),
    )


def transpose_case(shape, axes):
    def numpy_transpose(a):
        first, second = axes if axes is not None else (-2, -1)
        return np.swapaxes(a, first, second)

    def torch_transpose(t, a):
        first, second = axes if axes is not None else (-2, -1)
        return a.transpose(first, second)

    return case(
        f"transpose{shape}-axes={axes}",
        lambda a: ndl.transpose(a, axes),
        numpy_transpose,
        torch_transpose,
        (shape, NORMAL),
    )


CASES = [
    case("add", ndl.add, np.add, lambda t, a, b: a + b, ((3, 4), NORMAL), ((3, 4), NORMAL)),
    case("add-3d", ndl.add, np.add, lambda t, a, b: a + b, ((2, 3, 4), NORMAL), ((2, 3, 4), NORMAL)),
    case("add-operator", lambda a, b: a + b, np.add, lambda t, a, b: a + b, ((5,), NORMAL), ((5,), NORMAL)),
    case("add_scalar", lambda a: ndl.add_scalar(a, 1.5), lambda a: a + 1.5, lambda t, a: a + 1.5, ((3, 4), NORMAL)),
    case("scalar+tensor", lambda a: 1.5 + a, lambda a: 1.5 + a, lambda t, a: 1.5 + a, ((3, 4), NORMAL)),
    case("subtract", lambda a, b: a - b, np.subtract, lambda t, a, b: a - b, ((3, 4), NORMAL), ((3, 4), NORMAL)),
    case("tensor-scalar", lambda a: a - 2.5, lambda a: a - 2.5, lambda t, a: a - 2.5, ((4,), NORMAL)),
    case("scalar-tensor", lambda a: 2.5 - a, lambda a: 2.5 - a, lambda t, a: 2.5 - a, ((4,), NORMAL)),
    case("multiply", ndl.multiply, np.multiply, lambda t, a, b: a * b, ((3, 4), NORMAL), ((3, 4), NORMAL)),
    case("multiply-operator", lambda a, b: a * b, np.multiply, lambda t, a, b: a * b, ((2, 2, 3), NORMAL), ((2, 2, 3), NORMAL)),
    case("mul_scalar", lambda a: ndl.mul_scalar(a, -3.0), lambda a: a * -3.0, lambda t, a: a * -3.0, ((3, 4), NORMAL)),
    case("scalar*tensor", lambda a: 0.5 * a, lambda a: 0.5 * a, lambda t, a: 0.5 * a, ((3, 4), NORMAL)),
    case("power", ndl.power, np.power, lambda t, a, b: t.pow(a, b), ((3, 4), POSITIVE), ((3, 4), NORMAL)),
    case("power-operator", lambda a, b: a**b, np.power, lambda t, a, b: a**b, ((2, 3), POSITIVE), ((2, 3), NORMAL)),
    case("scalar**tensor", lambda a: 2.0**a, lambda a: 2.0**a, lambda t, a: 2.0**a, ((2, 3), NORMAL)),
    case("power_scalar-2", lambda a: ndl.power_scalar(a, 2), lambda a: a**2, lambda t, a: a**2, ((3, 4), NORMAL)),
    case("power_scalar-3", lambda a: a**3, lambda a: a**3, lambda t, a: a**3, ((3, 4), NORMAL)),
    case("power_scalar-0", lambda a: ndl.power_scalar(a, 0), lambda a: a**0, lambda t, a: a**0, ((3,), NORMAL)),
    case("power_scalar--1", lambda a: ndl.power_scalar(a, -1), lambda a: a**-1.0, lambda t, a: a**-1, ((3, 4), AWAY_FROM_ZERO)),
    case("divide", ndl.divide, np.divide, lambda t, a, b: a / b, ((3, 4), NORMAL), ((3, 4), AWAY_FROM_ZERO)),
    case("divide-operator", lambda a, b: a / b, np.divide, lambda t, a, b: a / b, ((5,), NORMAL), ((5,), AWAY_FROM_ZERO)),
    case("divide_scalar", lambda a: ndl.divide_scalar(a, 4.0), lambda a: a / 4.0, lambda t, a: a / 4.0, ((3, 4), NORMAL)),
    case("scalar/tensor", lambda a: 2.0 / a, lambda a: 2.0 / a, lambda t, a: 2.0 / a, ((3, 4), AWAY_FROM_ZERO)),
    transpose_case((3, 4), None),
    transpose_case((2, 3, 4), None),
    transpose_case((2, 3, 4), (0, 2)),
    transpose_case((3, 4), (1, 0)),
    transpose_case((2, 3, 4, 5), (1, 3)),
    shape_case("reshape", (3, 4), (2, 6)),
    shape_case("reshape", (2, 3, 4), (4, 6)),
    shape_case("reshape", (2, 3, 4), (24,)),
    shape_case("reshape", (6,), (2, 1, 3)),
    shape_case("reshape", (3, 4), (-1, 2)),
    shape_case("broadcast_to", (1, 4), (3, 4)),
    shape_case("broadcast_to", (3, 1), (3, 4)),
    shape_case("broadcast_to", (4,), (2, 3, 4)),
    shape_case("broadcast_to", (1,), (5,)),
    shape_case("broadcast_to", (2, 1, 3), (2, 4, 3)),
    shape_case("broadcast_to", (1, 1), (2, 3)),
    shape_case("broadcast_to", (3, 4), (3, 4)),
    summation_case((3, 4), None),
    summation_case((3, 4), 0),
    summation_case((3, 4), (1,)),
    summation_case((2, 3, 4), (0, 2)),
    summation_case((2, 3, 4), -1),
    summation_case((2, 3, 4), (0, 1, 2)),
    summation_case((5,), (0,)),
    matmul_case((3, 4), (4, 5)),
    matmul_case((1, 1), (1, 1)),
    matmul_case((2, 3, 4), (2, 4, 5)),
    matmul_case((2, 3, 4), (4, 5)),
    matmul_case((3, 4), (2, 4, 5)),
    matmul_case((1, 3, 4), (2, 4, 5)),
    matmul_case((2, 1, 3, 4), (5, 4, 2)),
    case("matmul-operator", lambda a, b: a @ b, np.matmul, lambda t, a, b: a @ b, ((4, 3), NORMAL), ((3, 2), NORMAL)),
    case("negate", ndl.negate, np.negative, lambda t, a: -a, ((3, 4), NORMAL)),
    case("negate-operator", lambda a: -a, np.negative, lambda t, a: -a, ((2, 3, 4), NORMAL)),
    case("log", ndl.log, np.log, lambda t, a: t.log(a), ((3, 4), POSITIVE)),
    case("exp", ndl.exp, np.exp, lambda t, a: t.exp(a), ((3, 4), NORMAL)),
    case("relu", ndl.relu, lambda a: np.maximum(a, 0), lambda t, a: t.relu(a), ((3, 4), AWAY_FROM_ZERO)),
    case("relu-3d", ndl.relu, lambda a: np.maximum(a, 0), lambda t, a: t.relu(a), ((2, 3, 4), AWAY_FROM_ZERO)),
    # Operands of different but compatible shapes are broadcast, as numpy and torch do; each
    # gradient comes back in its own input's shape (central differences check that too).
    case("add-broadcast", ndl.add, np.add, lambda t, a, b: a + b, ((4, 3), NORMAL), ((3,), NORMAL)),
    case("add-broadcast-both", lambda a, b: a + b, np.add, lambda t, a, b: a + b, ((2, 1, 3), NORMAL), ((4, 1), NORMAL)),
    case("subtract-broadcast", lambda a, b: a - b, np.subtract, lambda t, a, b: a - b, ((3,), NORMAL), ((2, 3), NORMAL)),
    case("multiply-broadcast", ndl.multiply, np.multiply, lambda t, a, b: a * b, ((3, 1), NORMAL), ((1, 4), NORMAL)),
    case("multiply-broadcast-0d", lambda a, b: a * b, np.multiply, lambda t, a, b: a * b, ((), NORMAL), ((2, 3), NORMAL)),
    case("divide-broadcast", ndl.divide, np.divide, lambda t, a, b: a / b, ((2, 3), NORMAL), ((2, 1), AWAY_FROM_ZERO)),
    case("power-broadcast", ndl.power, np.power, lambda t, a, b: t.pow(a, b), ((1, 3), POSITIVE), ((3,), NORMAL)),
    case(
        "log-sum-exp",
        lambda a: ndl.log(ndl.exp(a).sum(axes=(1,))),
        lambda a: np.log(np.exp(a).sum(axis=1)),
        lambda t, a: t.logsumexp(a, dim=1),
        ((4, 5), NORMAL),
    ),
    case(
        "two-layer-net",
        lambda x, w1, w2: (ndl.relu(x @ w1) @ w2).sum(),
        lambda x, w1, w2: (np.maximum(x @ w1, 0) @ w2).sum(),
        lambda t, x, w1, w2: (t.relu(x @ w1) @ w2).sum(),
        ((4, 3), AWAY_FROM_ZERO),
        ((3, 5), AWAY_FROM_ZERO),
        ((5, 2), NORMAL),
    ),
]


@pytest.mark.hw1_forward
@pytest.mark.parametrize("op", CASES)
def test_forward_matches_numpy(op):
    arrays = op.arrays()
    out = op.needle(*[ndl.Tensor(a) for a in arrays])
    expected = np.asarray(op.numpy(*arrays))
    assert isinstance(out, ndl.Tensor)
    assert out.shape == expected.shape
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.hw1_backward
@pytest.mark.parametrize("op", CASES)
def test_gradient_matches_central_differences(op):
    gradcheck(op.needle, *op.arrays())


@pytest.mark.hw1_backward
@pytest.mark.parametrize("op", CASES)
def test_forward_and_gradient_match_torch(op, torch):
    arrays = op.arrays()
    tensors = [ndl.Tensor(a) for a in arrays]
    out = op.needle(*tensors)
    weight = np.random.default_rng(7).standard_normal(out.shape)
    out.backward(ndl.Tensor(weight))

    torch_inputs = [torch.tensor(a, requires_grad=True) for a in arrays]
    torch_out = op.torch(torch, *torch_inputs)
    (torch_out * torch.tensor(weight)).sum().backward()

    np.testing.assert_allclose(out.numpy(), torch_out.detach().numpy(), rtol=1e-10, atol=1e-12)
    for position, (tensor, torch_input) in enumerate(zip(tensors, torch_inputs)):
        np.testing.assert_allclose(
            tensor.grad.numpy(), torch_input.grad.numpy(), rtol=1e-10, atol=1e-12, err_msg=f"argument {position}"
        )


@pytest.mark.hw1_forward
def test_scalar_ops_keep_float32():
    x = ndl.Tensor(np.ones((2, 3), dtype=np.float32))
    for result in (x + 1.5, x * 2.0, x / 3.0, x - 1.0, 2.0 - x, x**2, 2.0 / x):
        assert result.dtype == np.float32


@pytest.mark.hw1_forward
def test_broadcasting_inserts_broadcast_to_nodes_before_the_op():
    a, b = ndl.Tensor(np.ones((2, 3))), ndl.Tensor(np.ones((3,)))
    out = a * b
    assert out.inputs[0] is a  # already of the common shape: used as it is
    assert isinstance(out.inputs[1].op, ndl.ops.BroadcastTo) and out.inputs[1].inputs[0] is b
    assert out.inputs[1].shape == (2, 3)
    same = a * a
    assert [x is a for x in same.inputs] == [True, True]  # equal shapes: no extra node


@pytest.mark.hw1_backward
def test_broadcast_gradients_come_back_in_each_inputs_shape():
    a, b = ndl.Tensor(np.ones((1, 3))), ndl.Tensor(np.full((4, 1), 2.0))
    (a * b).sum().backward()
    assert a.grad.shape == (1, 3) and b.grad.shape == (4, 1)
    np.testing.assert_allclose(a.grad.numpy(), np.full((1, 3), 8.0))
    np.testing.assert_allclose(b.grad.numpy(), np.full((4, 1), 3.0))


# numpy scalars and one-element arrays stand for the number they hold, as in the course's tests
# (`ndl.divide_scalar(x, scalar=np.random.randn(1))`).
NUMBER_LIKE = [
    pytest.param(np.float32(2.5), id="float32"),
    pytest.param(np.float64(2.5), id="float64"),
    pytest.param(np.int64(2), id="int64"),
    pytest.param(np.array(2.5), id="0d-array"),
    pytest.param(np.array([2.5]), id="1-element-array"),
    pytest.param(np.array([[2.5]], dtype=np.float32), id="1x1-float32-array"),
]

SCALAR_FORMS = {
    "add_scalar": lambda x, s: ndl.add_scalar(x, s),
    "mul_scalar": lambda x, s: ndl.mul_scalar(x, scalar=s),
    "divide_scalar": lambda x, s: ndl.divide_scalar(x, scalar=s),
    "power_scalar": lambda x, s: ndl.power_scalar(x, s),
    "x+s": lambda x, s: x + s,
    "s+x": lambda x, s: s + x,
    "x-s": lambda x, s: x - s,
    "s-x": lambda x, s: s - x,
    "x*s": lambda x, s: x * s,
    "s*x": lambda x, s: s * x,
    "x/s": lambda x, s: x / s,
    "s/x": lambda x, s: s / x,
    "x**s": lambda x, s: x**s,
    "s**x": lambda x, s: s**x,
}


@pytest.mark.hw1_forward
@pytest.mark.parametrize("form", SCALAR_FORMS.values(), ids=SCALAR_FORMS.keys())
@pytest.mark.parametrize("scalar", NUMBER_LIKE)
def test_numpy_scalars_act_as_the_number_they_hold(form, scalar):
    values = np.array([[0.5, 1.0, 2.0], [3.0, 4.0, 5.0]], dtype=np.float32)
    number = scalar.item()
    got = form(ndl.Tensor(values), scalar)
    expected = form(ndl.Tensor(values), number)
    assert got.dtype == np.float32  # float32 stays float32, as with a Python float
    assert got.shape == values.shape
    np.testing.assert_array_equal(got.numpy(), expected.numpy())


@pytest.mark.hw1_backward
def test_divide_scalar_by_a_one_element_array_has_the_right_gradient():
    scalar = np.array([-0.75])
    gradcheck(lambda a: ndl.divide_scalar(a, scalar=scalar), np.random.default_rng(3).standard_normal((5, 4)))


def arrays_of(*shapes):
    return [ndl.Tensor(np.ones(shape)) for shape in shapes]


# (what is called, the exception, fragments the message must contain)
BAD_INPUT = [
    pytest.param(lambda: ndl.add(*arrays_of((2, 3), (3, 2))), ValueError, ["add", "(2, 3)", "(3, 2)"], id="add-shapes"),
    pytest.param(lambda: ndl.multiply(*arrays_of((2, 3), (2, 2))), ValueError, ["multiply", "(2, 3)", "(2, 2)"], id="multiply-shapes"),
    pytest.param(lambda: ndl.divide(*arrays_of((4,), (3,))), ValueError, ["divide", "(4,)", "(3,)"], id="divide-shapes"),
    pytest.param(lambda: ndl.power(*arrays_of((2, 2), (3,))), ValueError, ["power", "(2, 2)", "(3,)"], id="power-shapes"),
    pytest.param(lambda: ndl.Tensor(np.ones((4, 3))) - ndl.Tensor(np.ones((4,))), ValueError, ["add", "(4, 3)", "(4,)"], id="subtract-shapes"),
    pytest.param(lambda: ndl.matmul(*arrays_of((2, 3), (4, 5))), ValueError, ["matmul", "(2, 3)", "(4, 5)"], id="matmul-inner"),
    pytest.param(lambda: ndl.matmul(*arrays_of((3,), (3, 4))), ValueError, ["matmul", "(3,)", "(3, 4)"], id="matmul-1d"),
    pytest.param(lambda: ndl.matmul(*arrays_of((2, 3, 4), (3, 4, 5))), ValueError, ["matmul", "(2, 3, 4)", "(3, 4, 5)"], id="matmul-batch"),
    pytest.param(lambda: ndl.broadcast_to(*arrays_of((2, 3)), (4, 3)), ValueError, ["broadcast_to", "(2, 3)", "(4, 3)"], id="broadcast_to-size"),
    pytest.param(lambda: ndl.broadcast_to(*arrays_of((2, 3)), (3,)), ValueError, ["broadcast_to", "(2, 3)", "(3,)"], id="broadcast_to-rank"),
    pytest.param(lambda: ndl.reshape(*arrays_of((2, 3)), (4, 2)), ValueError, ["reshape", "(2, 3)", "(4, 2)"], id="reshape-size"),
    pytest.param(lambda: ndl.reshape(*arrays_of((2, 3)), (4, -1)), ValueError, ["reshape", "(2, 3)", "(4, -1)"], id="reshape-wildcard"),
    pytest.param(lambda: ndl.summation(*arrays_of((2, 3)), (2,)), ValueError, ["summation", "axis 2", "(2, 3)"], id="summation-axis"),
    pytest.param(lambda: ndl.transpose(*arrays_of((2, 3, 4)), (0, 1, 2)), ValueError, ["transpose", "two axes"], id="transpose-axes"),
    pytest.param(lambda: ndl.transpose(*arrays_of((3,))), ValueError, ["transpose", "(3,)"], id="transpose-1d"),
    pytest.param(lambda: ndl.add_scalar(*arrays_of((3,)), np.ones(3)), TypeError, ["add_scalar", "(3,)"], id="add_scalar-array"),
    pytest.param(lambda: ndl.mul_scalar(*arrays_of((3,)), [1, 2, 3]), TypeError, ["mul_scalar", "list"], id="mul_scalar-list"),
    pytest.param(lambda: ndl.divide_scalar(*arrays_of((3,)), "2"), TypeError, ["divide_scalar", "str"], id="divide_scalar-str"),
    pytest.param(lambda: ndl.power_scalar(*arrays_of((3,)), np.ones(2)), TypeError, ["power_scalar", "(2,)"], id="power_scalar-array"),
    pytest.param(lambda: ndl.Tensor([1.0]) - np.ones(2), TypeError, ["subtract", "(2,)"], id="subtract-array"),
    pytest.param(lambda: ndl.Tensor([1.0]) * np.ones((1, 2)), TypeError, ["mul_scalar", "(1, 2)"], id="multiply-array"),
    pytest.param(lambda: np.ones(2) + ndl.Tensor([1.0, 2.0]), TypeError, ["add_scalar", "(2,)"], id="array+tensor"),
    pytest.param(lambda: ndl.negate(np.ones(3)), TypeError, ["Negate", "ndarray"], id="negate-array"),
    pytest.param(lambda: ndl.log(np.ones(3)), TypeError, ["Log", "ndarray"], id="log-array"),
    pytest.param(lambda: ndl.exp([1.0]), TypeError, ["Exp", "list"], id="exp-list"),
    pytest.param(lambda: ndl.relu(3.0), TypeError, ["ReLU", "float"], id="relu-float"),
    pytest.param(lambda: ndl.add(ndl.Tensor([1.0]), np.ones(1)), TypeError, ["EWiseAdd", "input 1"], id="add-array"),
]


@pytest.mark.parametrize("call, error, fragments", BAD_INPUT)
def test_bad_input_is_refused_with_a_clear_message(call, error, fragments):
    with pytest.raises(error) as raised:
        call()
    for fragment in fragments:
        assert fragment in str(raised.value)
