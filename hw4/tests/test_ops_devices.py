"""hw1 and hw2's ops, now computing through array_api, on every device (cpu_numpy, cpu, cuda):
forward against numpy, gradient against float32 central differences (gradcheck), results and
gradients on the inputs' device, and the bad shapes each op must refuse naming both shapes.

Covered: add/mul/div/pow (elementwise, scalar, scalar on the left), negate, log, exp, relu,
transpose (default and named axes), reshape (also of a non-contiguous transposed input),
broadcast_to, summation (None, one axis, several), matmul (2-D, batched 3-D/4-D, broadcast
batch, 3-D @ 2-D), logsoftmax and logsumexp (axes None/int/tuple, large values, -inf rows).
"""
import zlib
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pytest

import needle as ndl
from devices import ALL_DEVICES
from gradcheck import gradcheck

pytestmark = pytest.mark.hw4_ops

NORMAL, POSITIVE, AWAY_FROM_ZERO = "normal", "positive", "away from zero"


@dataclass
class OpCase:
    """One op on one set of input shapes, written twice: needle and numpy."""

    id: str
    needle: Callable  # needle Tensors -> Tensor
    numpy: Callable  # numpy arrays -> array
    inputs: list  # one (shape, kind) per argument

    def arrays(self):
        """float32 inputs, the same for every device (seeded by the case's id)."""
        rng = np.random.default_rng(zlib.crc32(self.id.encode()))
        arrays = []
        for shape, kind in self.inputs:
            if kind == NORMAL:
                array = rng.standard_normal(shape)
            elif kind == POSITIVE:
                array = rng.uniform(0.5, 2.0, shape)
            else:  # keep central differences off kinks (relu) and poles (division)
                array = rng.choice([-1.0, 1.0], shape) * rng.uniform(0.5, 2.0, shape)
            arrays.append(array.astype(np.float32))
        return arrays


def case(id, needle, numpy, *inputs):
    return pytest.param(OpCase(id, needle, numpy, list(inputs)), id=id)


def shape_case(op_name, in_shape, out_shape):
    """reshape or broadcast_to, which needle and numpy spell the same way."""
    return case(f"{op_name}{in_shape}->{out_shape}", lambda a: getattr(ndl, op_name)(a, out_shape),
                lambda a: getattr(np, op_name)(a, out_shape), (in_shape, NORMAL))


def summation_case(shape, axes):
    return case(f"summation{shape}-axes={axes}", lambda a: ndl.summation(a, axes),
                lambda a: np.sum(a, axis=axes), (shape, NORMAL))


def matmul_case(a_shape, b_shape):
    return case(f"matmul{a_shape}@{b_shape}", ndl.matmul, np.matmul, (a_shape, NORMAL), (b_shape, NORMAL))


def transpose_case(shape, axes):
    first, second = axes if axes is not None else (-2, -1)
    return case(f"transpose{shape}-axes={axes}", lambda a: ndl.transpose(a, axes),
                lambda a: np.swapaxes(a, first, second), (shape, NORMAL))


def numpy_logsumexp(a, axes):
    peak = np.max(a, axis=axes, keepdims=True)
    return np.log(np.sum(np.exp(a - peak), axis=axes)) + np.squeeze(peak, axis=axes)


def numpy_logsoftmax(a):
    peak = np.max(a, axis=-1, keepdims=True)
    return a - peak - np.log(np.sum(np.exp(a - peak), axis=-1, keepdims=True))


def logsumexp_case(shape, axes):
    return case(f"logsumexp{shape}-axes={axes}", lambda a: ndl.logsumexp(a, axes),
                lambda a: numpy_logsumexp(a, axes), (shape, NORMAL))


CASES = [
    case("add", ndl.add, np.add, ((3, 4), NORMAL), ((3, 4), NORMAL)),
    case("add-operator-3d", lambda a, b: a + b, np.add, ((2, 3, 4), NORMAL), ((2, 3, 4), NORMAL)),
    case("add_scalar", lambda a: ndl.add_scalar(a, 1.5), lambda a: a + 1.5, ((3, 4), NORMAL)),
    case("scalar+tensor", lambda a: 1.5 + a, lambda a: 1.5 + a, ((3, 4), NORMAL)),
    case("subtract", lambda a, b: a - b, np.subtract, ((3, 4), NORMAL), ((3, 4), NORMAL)),
    case("scalar-tensor", lambda a: 2.5 - a, lambda a: 2.5 - a, ((4,), NORMAL)),
    case("multiply", ndl.multiply, np.multiply, ((3, 4), NORMAL), ((3, 4), NORMAL)),
    case("mul_scalar", lambda a: ndl.mul_scalar(a, -3.0), lambda a: a * -3.0, ((3, 4), NORMAL)),
    case("scalar*tensor", lambda a: 0.5 * a, lambda a: 0.5 * a, ((2, 3), NORMAL)),
    case("divide", ndl.divide, np.divide, ((3, 4), NORMAL), ((3, 4), AWAY_FROM_ZERO)),
    case("divide_scalar", lambda a: ndl.divide_scalar(a, 4.0), lambda a: a / 4.0, ((3, 4), NORMAL)),
    case("scalar/tensor", lambda a: 2.0 / a, lambda a: 2.0 / a, ((3, 4), AWAY_FROM_ZERO)),
    case("power", ndl.power, np.power, ((3, 4), POSITIVE), ((3, 4), NORMAL)),
    case("scalar**tensor", lambda a: 2.0**a, lambda a: 2.0**a, ((2, 3), NORMAL)),
    case("power_scalar-2", lambda a: ndl.power_scalar(a, 2), lambda a: a**2, ((3, 4), NORMAL)),
    case("power_scalar-3", lambda a: a**3, lambda a: a**3, ((3, 4), NORMAL)),
    case("power_scalar-0", lambda a: ndl.power_scalar(a, 0), lambda a: a**0, ((3,), NORMAL)),
    case("power_scalar--1", lambda a: ndl.power_scalar(a, -1), lambda a: a**-1.0, ((3, 4), AWAY_FROM_ZERO)),
    case("power_scalar-0.5", lambda a: ndl.power_scalar(a, 0.5), np.sqrt, ((3, 4), POSITIVE)),
    case("negate", ndl.negate, np.negative, ((3, 4), NORMAL)),
    case("log", ndl.log, np.log, ((3, 4), POSITIVE)),
    case("exp", ndl.exp, np.exp, ((3, 4), NORMAL)),
    case("relu", ndl.relu, lambda a: np.maximum(a, 0), ((2, 3, 4), AWAY_FROM_ZERO)),
    transpose_case((3, 4), None),
    transpose_case((2, 3, 4), None),
    transpose_case((2, 3, 4), (0, 2)),
    transpose_case((2, 3, 4, 5), (1, 3)),
    shape_case("reshape", (3, 4), (2, 6)),
    shape_case("reshape", (2, 3, 4), (4, 6)),
    shape_case("reshape", (6,), (2, 1, 3)),
    shape_case("reshape", (3, 4), (-1, 2)),
    case("reshape-of-transposed", lambda a: ndl.reshape(ndl.transpose(a), (12,)),
         lambda a: np.reshape(a.T, (12,)), ((3, 4), NORMAL)),
    case("reshape-of-permuted-3d", lambda a: ndl.reshape(ndl.transpose(a, (0, 2)), (4, 6)),
         lambda a: np.reshape(np.swapaxes(a, 0, 2), (4, 6)), ((2, 3, 4), NORMAL)),
    case("reshape-of-broadcast", lambda a: ndl.reshape(ndl.broadcast_to(a, (3, 4)), (2, 6)),
         lambda a: np.reshape(np.broadcast_to(a, (3, 4)), (2, 6)), ((3, 1), NORMAL)),
    shape_case("broadcast_to", (1, 4), (3, 4)),
    shape_case("broadcast_to", (3, 1), (3, 4)),
    shape_case("broadcast_to", (4,), (2, 3, 4)),
    shape_case("broadcast_to", (2, 1, 3), (2, 4, 3)),
    shape_case("broadcast_to", (1, 1), (2, 3)),
    shape_case("broadcast_to", (3, 4), (3, 4)),
    summation_case((3, 4), None),
    summation_case((3, 4), 0),
    summation_case((3, 4), (1,)),
    summation_case((2, 3, 4), (0, 2)),
    summation_case((2, 3, 4), (2, 0)),
    summation_case((2, 3, 4), -1),
    summation_case((2, 3, 4), (0, 1, 2)),
    summation_case((2, 3, 4), None),
    matmul_case((3, 4), (4, 5)),
    matmul_case((1, 1), (1, 1)),
    matmul_case((2, 3, 4), (2, 4, 5)),
    matmul_case((2, 2, 3, 4), (2, 2, 4, 3)),
    matmul_case((2, 3, 4), (4, 5)),
    matmul_case((3, 4), (2, 4, 5)),
    matmul_case((1, 3, 4), (2, 4, 5)),
    matmul_case((2, 1, 3, 4), (3, 4, 2)),
    case("matmul-of-transposed", lambda a, b: ndl.transpose(a) @ b, lambda a, b: a.T @ b,
         ((4, 3), NORMAL), ((4, 2), NORMAL)),
    case("matmul-of-transposed-3d", lambda a, b: ndl.transpose(a) @ b, lambda a, b: np.swapaxes(a, -1, -2) @ b,
         ((2, 4, 3), NORMAL), ((4, 2), NORMAL)),
    case("logsoftmax", ndl.logsoftmax, numpy_logsoftmax, ((4, 5), NORMAL)),
    case("logsoftmax-3d", ndl.logsoftmax, numpy_logsoftmax, ((2, 3, 4), NORMAL)),
    logsumexp_case((4, 5), None),
    logsumexp_case((4, 5), (1,)),
    logsumexp_case((4, 5), 0),
    logsumexp_case((2, 3, 4), (0, 2)),
    logsumexp_case((2, 3, 4), (1, 2)),
    logsumexp_case((2, 3, 4), -1),
    case("two-layer-net", lambda x, w1, w2: (ndl.relu(x @ w1) @ w2).sum(),
         lambda x, w1, w2: (np.maximum(x @ w1, 0) @ w2).sum(),
         ((4, 3), AWAY_FROM_ZERO), ((3, 5), AWAY_FROM_ZERO), ((5, 2), NORMAL)),
]


@pytest.mark.parametrize("device", ALL_DEVICES)
@pytest.mark.parametrize("op", CASES)
def test_forward_matches_numpy_on_the_inputs_device(op, device):
    arrays = op.arrays()
    out = op.needle(*[ndl.Tensor(a, device=device) for a in arrays])
    expected = np.asarray(op.numpy(*arrays))
    assert isinstance(out, ndl.Tensor)
    assert isinstance(out.realize_cached_data(), ndl.backend_ndarray.NDArray)
    assert out.device == device
    assert out.shape == expected.shape
    assert np.dtype(out.dtype) == np.float32
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("device", ALL_DEVICES)
@pytest.mark.parametrize("op", CASES)
def test_gradient_matches_central_differences(op, device):
    gradcheck(op.needle, *op.arrays(), device=device)


@pytest.mark.parametrize("device", ALL_DEVICES)
@pytest.mark.parametrize("shape", [(3, 4), (2, 3, 4), (5,)])
def test_summation_of_everything_is_a_scalar_of_shape_empty(shape, device):
    array = np.arange(np.prod(shape), dtype=np.float32).reshape(shape)
    total = ndl.summation(ndl.Tensor(array, device=device))
    assert total.shape == ()
    assert total.device == device
    assert float(total.numpy()) == pytest.approx(float(array.sum()))


@pytest.mark.parametrize("device", ALL_DEVICES)
def test_gradient_of_a_shared_input_accumulates(device):
    x = ndl.Tensor(np.array([1.0, 2.0, 3.0], dtype=np.float32), device=device)
    (x * x + x * 3.0).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [5.0, 7.0, 9.0], rtol=1e-6)
    assert x.grad.device == device


@pytest.mark.parametrize("device", ALL_DEVICES)
@pytest.mark.parametrize("axes", [None, (1,), (0, 1)])
def test_logsumexp_of_large_values_does_not_overflow(axes, device):
    z = np.array([[1e4, 1e4 - 1.0, 1e4 - 2.0], [-1e4, -1e4 + 3.0, -1e4 + 1.0]], dtype=np.float32)
    out = ndl.logsumexp(ndl.Tensor(z, device=device), axes)
    expected = numpy_logsumexp(z.astype(np.float64), axes)
    assert np.all(np.isfinite(out.numpy()))
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-6)


@pytest.mark.parametrize("device", ALL_DEVICES)
def test_logsoftmax_of_large_values_does_not_overflow(device):
    z = np.array([[1e4, 1e4 - 1.0, 1e4 - 2.0], [-1e4, -1e4 + 3.0, -1e4 + 1.0]], dtype=np.float32)
    out = ndl.logsoftmax(ndl.Tensor(z, device=device))
    np.testing.assert_allclose(out.numpy(), numpy_logsoftmax(z.astype(np.float64)), rtol=1e-5, atol=1e-5)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # numpy's log(0) on the cpu_numpy device
@pytest.mark.parametrize("device", ALL_DEVICES)
def test_logsumexp_of_an_all_minus_infinity_row_is_minus_infinity(device):
    z = np.array([[-np.inf, -np.inf, -np.inf], [0.0, 1.0, -np.inf]], dtype=np.float32)
    out = ndl.logsumexp(ndl.Tensor(z, device=device), (1,)).numpy()
    assert out[0] == -np.inf
    assert out[1] == pytest.approx(np.log(1.0 + np.e))


def ones(device, *shapes):
    return [ndl.Tensor(np.ones(shape, dtype=np.float32), device=device) for shape in shapes]


# (op on Tensors of the given shapes, the shapes, fragments the message must contain)
BAD_SHAPES = [
    pytest.param(ndl.add, [(2, 3), (3, 2)], ["add", "(2, 3)", "(3, 2)"], id="add"),
    pytest.param(ndl.multiply, [(2, 3), (2, 2)], ["multiply", "(2, 3)", "(2, 2)"], id="multiply"),
    pytest.param(ndl.divide, [(4,), (3,)], ["divide", "(4,)", "(3,)"], id="divide"),
    pytest.param(ndl.power, [(2, 2), (3,)], ["power", "(2, 2)", "(3,)"], id="power"),
    pytest.param(ndl.matmul, [(2, 3), (4, 5)], ["matmul", "(2, 3)", "(4, 5)"], id="matmul-inner"),
    pytest.param(ndl.matmul, [(2, 3, 4), (3, 4, 5)], ["matmul", "(2, 3, 4)", "(3, 4, 5)"], id="matmul-batch"),
    pytest.param(lambda a: ndl.broadcast_to(a, (4, 3)), [(2, 3)], ["broadcast_to", "(2, 3)", "(4, 3)"], id="broadcast_to"),
    pytest.param(lambda a: ndl.reshape(a, (4, 2)), [(2, 3)], ["reshape", "(2, 3)", "(4, 2)"], id="reshape"),
    pytest.param(lambda a: ndl.summation(a, (2,)), [(2, 3)], ["summation", "axis 2", "(2, 3)"], id="summation-axis"),
    pytest.param(lambda a: ndl.logsumexp(a, (3,)), [(2, 3)], ["logsumexp", "axis 3", "(2, 3)"], id="logsumexp-axis"),
    pytest.param(lambda a: ndl.transpose(a), [(3,)], ["transpose", "(3,)"], id="transpose-1d"),
]


@pytest.mark.parametrize("device", ALL_DEVICES)
@pytest.mark.parametrize("op, shapes, fragments", BAD_SHAPES)
def test_bad_shapes_are_refused_naming_both_shapes(op, shapes, fragments, device):
    with pytest.raises(ValueError) as raised:
        op(*ones(device, *shapes))
    for fragment in fragments:
        assert fragment in str(raised.value)
