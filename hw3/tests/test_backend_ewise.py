"""The backends' elementwise and scalar kernels (hw3_ewise_cpp, hw3_ewise_cuda), through NDArray's
operators: + - * / ** maximum == >= log exp tanh, and the operators NDArray derives from them
(!= > < <= and unary -, scalars on either side). Each is compared with numpy in float32 on
compact inputs, on non-compact views, and on every pair of special values (0, -0, inf, -inf,
NaN, huge and tiny numbers), where NaN must come out wherever numpy gives NaN (maximum
included). exp, log and tanh must be accurate to float32 rounding over a wide range, checked
against float64. Comparisons return 1.0 and 0.0."""
import operator

import numpy as np
import pytest

from ndarray_checks import assert_matches, backend_devices, normal, on

DEVICES = backend_devices(pytest.mark.hw3_ewise_cpp, pytest.mark.hw3_ewise_cuda)
pytestmark = pytest.mark.parametrize("device", DEVICES)

RTOL = 1e-6  # float32 rounding, with room for an op derived from two kernels (c / x as x ** -1 * c)

# name: (NDArray's operator, numpy's float32 oracle)
BINARY = {
    "add": (operator.add, np.add),
    "sub": (operator.sub, np.subtract),
    "mul": (operator.mul, np.multiply),
    "truediv": (operator.truediv, np.divide),
    "maximum": (lambda x, y: x.maximum(y), np.maximum),
    "eq": (operator.eq, np.equal),
    "ge": (operator.ge, np.greater_equal),
    "ne": (operator.ne, np.not_equal),
    "gt": (operator.gt, np.greater),
    "lt": (operator.lt, np.less),
    "le": (operator.le, np.less_equal),
}
UNARY = {
    "neg": (operator.neg, np.negative),
    "log": (lambda x: x.log(), np.log),
    "exp": (lambda x: x.exp(), np.exp),
    "tanh": (lambda x: x.tanh(), np.tanh),
}
SPECIAL = np.array([0.0, -0.0, 1.0, -1.0, 0.5, -2.5, 3.0, np.inf, -np.inf, np.nan,
                    1e30, -1e30, 1e-30, 88.0, 89.0, -87.0, -200.0, 20.0], dtype=np.float32)


def operands(shape, seed):
    """Two float32 arrays that are equal at every third element (so == and >= differ from >)."""
    A, B = normal(shape, seed), normal(shape, seed + 1)
    B.reshape(-1)[::3] = A.reshape(-1)[::3]
    return A, B


def unary_input(name, A):
    return np.abs(A) + 0.1 if name == "log" else A  # log of positive values here; special values below


def numpy_result(fn, *args):
    with np.errstate(all="ignore"):
        return fn(*args)


@pytest.mark.parametrize("name", list(BINARY))
def test_binary_ops_on_compact_arrays(device, name):
    op, oracle = BINARY[name]
    A, B = operands((3, 4, 5), seed=1)
    assert_matches(op(on(device, A), on(device, B)), oracle(A, B), rtol=RTOL, what=f"{name} of two arrays")


@pytest.mark.parametrize("name", list(BINARY))
def test_binary_ops_on_non_compact_views(device, name):
    op, oracle = BINARY[name]
    A, B = operands((6, 5), seed=2)
    a, b = on(device, A), on(device, B.T.copy())
    x, y = a[::2, 1:], b.permute((1, 0))[1::2, 1:]  # (3, 4) each: stepped rows, a transposed slice
    assert_matches(op(x, y), oracle(A[::2, 1:], B[1::2, 1:]), rtol=RTOL, what=f"{name} of two views")
    row = a[1:2, :].broadcast_to((6, 5))
    assert_matches(op(row, a), oracle(np.broadcast_to(A[1:2], (6, 5)), A), rtol=RTOL, what=f"{name} of a broadcast")


@pytest.mark.parametrize("scalar", [2.5, -1.0, 0.0, 3])
@pytest.mark.parametrize("name", list(BINARY))
def test_scalar_ops(device, name, scalar):
    op, oracle = BINARY[name]
    A = normal((4, 6), seed=3)
    A[0, :3] = scalar  # some elements equal to the scalar
    got = numpy_result(op, on(device, A), scalar)
    assert_matches(got, numpy_result(oracle, A, np.float32(scalar)), rtol=RTOL, what=f"array {name} {scalar}")
    got = numpy_result(op, on(device, A)[1:, ::2], scalar)
    assert_matches(got, numpy_result(oracle, A[1:, ::2], np.float32(scalar)), rtol=RTOL, what=f"view {name} {scalar}")


@pytest.mark.parametrize("name", ["add", "sub", "mul", "truediv"])
def test_scalars_on_the_left(device, name):
    op, oracle = BINARY[name]
    A = normal((4, 6), seed=4)
    assert_matches(op(2.5, on(device, A)), oracle(np.float32(2.5), A), rtol=RTOL, what=f"2.5 {name} array")
    assert_matches(op(-3.0, on(device, A).permute((1, 0))), oracle(np.float32(-3.0), A.T), rtol=RTOL,
                   what=f"-3.0 {name} transposed array")


@pytest.mark.parametrize("name", list(UNARY))
def test_unary_ops(device, name):
    op, oracle = UNARY[name]
    A = unary_input(name, normal((3, 4, 5), seed=5) * 3)
    assert_matches(op(on(device, A)), oracle(A), rtol=RTOL, what=name)
    assert_matches(op(on(device, A).permute((2, 0, 1))[1:, :, ::2]), oracle(A.transpose(2, 0, 1)[1:, :, ::2]),
                   rtol=RTOL, what=f"{name} of a view")


@pytest.mark.parametrize("exponent", [2, 3, 0.5, -1.0, 0, 1.5, -2.5])
def test_power_by_a_scalar(device, exponent):
    A = normal((4, 5), seed=6)
    base = np.abs(A) + 0.1 if exponent != int(exponent) else A  # negative bases only for whole exponents
    assert_matches(on(device, base) ** exponent, base ** np.float32(exponent), rtol=RTOL, what=f"x ** {exponent}")
    assert_matches(on(device, base).permute((1, 0)) ** exponent, base.T ** np.float32(exponent), rtol=RTOL,
                   what=f"transposed x ** {exponent}")


def test_results_are_fresh_compact_arrays_on_the_device(device):
    a = on(device, normal((3, 4), seed=7)).permute((1, 0))
    for name, result in [("+", a + a), ("+ 1", a + 1), ("**", a ** 2), ("exp", a.exp()), ("==", a == a)]:
        assert result.device == device and result.shape == (4, 3), f"a {name}: shape {result.shape} on {result.device}"
        assert result.is_compact(), f"a {name} is not compact"


# --- special values --------------------------------------------------------------------------

KERNEL_BINARY = ["add", "sub", "mul", "truediv", "maximum", "eq", "ge", "ne", "gt", "lt", "le"]


@pytest.mark.parametrize("name", KERNEL_BINARY)
def test_binary_ops_on_every_pair_of_special_values(device, name):
    op, oracle = BINARY[name]
    X, Y = (np.ascontiguousarray(g) for g in np.meshgrid(SPECIAL, SPECIAL, indexing="ij"))
    got = numpy_result(op, on(device, X), on(device, Y))
    assert_matches(got, numpy_result(oracle, X, Y), rtol=RTOL, what=f"{name} of special values (rows: x, columns: y)")


@pytest.mark.parametrize("name", KERNEL_BINARY)
@pytest.mark.parametrize("scalar", [np.nan, np.inf, -np.inf, 0.0])
def test_scalar_ops_with_a_special_scalar(device, name, scalar):
    op, oracle = BINARY[name]
    got = numpy_result(op, on(device, SPECIAL), float(scalar))
    assert_matches(got, numpy_result(oracle, SPECIAL, np.float32(scalar)), rtol=RTOL,
                   what=f"special values {name} {scalar}")


def test_maximum_propagates_nan_from_either_side(device):
    X = np.array([np.nan, 1.0, np.nan, -np.inf, 2.0], dtype=np.float32)
    Y = np.array([1.0, np.nan, np.nan, np.nan, -np.inf], dtype=np.float32)
    assert_matches(on(device, X).maximum(on(device, Y)), [np.nan, np.nan, np.nan, np.nan, 2.0],
                   what="maximum(x, y) with NaN")
    assert_matches(on(device, Y).maximum(on(device, X)), [np.nan, np.nan, np.nan, np.nan, 2.0],
                   what="maximum(y, x) with NaN")
    assert_matches(on(device, X).maximum(0.0), [np.nan, 1.0, np.nan, 0.0, 2.0], what="maximum(x, 0.0)")
    assert_matches(on(device, X).maximum(float("nan")), np.full(5, np.nan), what="maximum(x, nan)")


@pytest.mark.parametrize("name", list(UNARY))
def test_unary_ops_on_special_values(device, name):
    op, oracle = UNARY[name]
    got = numpy_result(op, on(device, SPECIAL))
    assert_matches(got, numpy_result(oracle, SPECIAL), rtol=RTOL, what=f"{name} of {SPECIAL.tolist()}")


@pytest.mark.parametrize("exponent", [2.0, 0.5, -1.0, 0.0])
def test_power_of_special_values(device, exponent):
    got = numpy_result(lambda x: x ** exponent, on(device, SPECIAL))
    assert_matches(got, numpy_result(np.power, SPECIAL, np.float32(exponent)), rtol=RTOL,
                   what=f"{SPECIAL.tolist()} ** {exponent}")


# --- accuracy of exp, log, tanh ----------------------------------------------------------------

ACCURACY_INPUTS = {
    "exp": np.linspace(-87.0, 88.0, 20001),  # exp stays a normal float32 over this range
    "log": np.concatenate([np.logspace(-37, 38, 10001), np.linspace(0.5, 2.0, 10001)]),
    "tanh": np.concatenate([np.linspace(-20.0, 20.0, 10000), np.logspace(-30, 0, 2001), -np.logspace(-30, 0, 2001)]),
}


@pytest.mark.parametrize("name", list(ACCURACY_INPUTS))
def test_exp_log_tanh_are_accurate_over_a_wide_range(device, name):
    X = ACCURACY_INPUTS[name].astype(np.float32)
    op, oracle = UNARY[name]
    exact = oracle(X.astype(np.float64))  # of the very same float32 inputs
    assert_matches(op(on(device, X)), exact, rtol=1e-6, what=f"{name} against float64")


def test_ops_on_empty_arrays(device):
    # no elements, so nothing to compute: the kernels must still run (a GPU launch of 0 blocks fails)
    E, F = np.zeros((0, 3), np.float32), np.zeros((3, 0), np.float32)
    e, f = on(device, E), on(device, F).permute((1, 0))
    for name, result in [("+", e + f), ("+ 1", e + 1.0), ("maximum", e.maximum(f)), ("==", e == f),
                         ("**", e ** 2), ("exp", e.exp()), ("log", f.log())]:
        assert_matches(result, np.zeros((0, 3)), what=f"{name} of empty arrays")
