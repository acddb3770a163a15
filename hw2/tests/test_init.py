"""needle.init's weight initializers (xavier_uniform, xavier_normal, kaiming_uniform,
kaiming_normal): the (fan_in, fan_out) shape, dtype and keyword arguments; exact values under
numpy.random.seed against the documented formula applied by hand to numpy's own draws
(uniform: rand * (high - low) + low on [-bound, bound]; normal: randn * std); and, on large
draws, that the samples fill the promised bound or have the promised standard deviation."""
import math

import numpy as np
import pytest

import needle as ndl
from needle import init

pytestmark = pytest.mark.hw2_init

RELU_GAIN = math.sqrt(2)

# name -> (distribution, scale(fan_in, fan_out, gain)); scale is the bound or the std.
FORMULAS = {
    "xavier_uniform": ("uniform", lambda fan_in, fan_out, gain: gain * math.sqrt(6 / (fan_in + fan_out))),
    "xavier_normal": ("normal", lambda fan_in, fan_out, gain: gain * math.sqrt(2 / (fan_in + fan_out))),
    "kaiming_uniform": ("uniform", lambda fan_in, fan_out, gain: gain * math.sqrt(3 / fan_in)),
    "kaiming_normal": ("normal", lambda fan_in, fan_out, gain: gain / math.sqrt(fan_in)),
}
NAMES = list(FORMULAS)
UNIFORM = [name for name in NAMES if FORMULAS[name][0] == "uniform"]
NORMAL = [name for name in NAMES if FORMULAS[name][0] == "normal"]


def default_gain(name):
    """xavier's gain defaults to 1; kaiming's comes from nonlinearity="relu"."""
    return RELU_GAIN if name.startswith("kaiming") else 1.0


def scale(name, fan_in, fan_out, gain=None):
    return FORMULAS[name][1](fan_in, fan_out, default_gain(name) if gain is None else gain)


def by_hand(name, fan_in, fan_out, seed, gain=None, dtype=np.float32):
    """What the initializer must return after numpy.random.seed(seed), from numpy's own draws."""
    s = scale(name, fan_in, fan_out, gain)
    np.random.seed(seed)
    if FORMULAS[name][0] == "uniform":
        values = np.random.rand(fan_in, fan_out) * (2 * s) - s
    else:
        values = np.random.randn(fan_in, fan_out) * s
    return values.astype(dtype)


def draw(name, *args, seed=None, **kwargs):
    if seed is not None:
        np.random.seed(seed)
    return getattr(init, name)(*args, **kwargs)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("fan_in, fan_out", [(5, 7), (1, 3), (4, 1)])
def test_initializer_returns_a_fan_in_by_fan_out_float32_tensor_without_grad(name, fan_in, fan_out):
    weights = draw(name, fan_in, fan_out, seed=0)
    assert isinstance(weights, ndl.Tensor)
    assert weights.shape == (fan_in, fan_out)
    assert weights.dtype == np.float32
    assert not weights.requires_grad


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("fan_in, fan_out, seed", [(5, 7, 0), (6, 40, 1), (40, 6, 2), (3, 3, 3)])
def test_initializer_matches_the_formula_under_a_seed(name, fan_in, fan_out, seed):
    weights = draw(name, fan_in, fan_out, seed=seed)
    np.testing.assert_allclose(weights.numpy(), by_hand(name, fan_in, fan_out, seed), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", NAMES)
def test_initializer_uses_exactly_one_draw_of_fan_in_times_fan_out_numbers(name):
    np.random.seed(11)
    getattr(init, name)(4, 6)
    follower = np.random.rand()
    np.random.seed(11)
    by_hand_draw = np.random.rand if FORMULAS[name][0] == "uniform" else np.random.randn
    by_hand_draw(4, 6)
    assert follower == np.random.rand()


@pytest.mark.parametrize("name", UNIFORM)
@pytest.mark.parametrize("fan_in, fan_out", [(400, 500), (20, 10000)])
def test_uniform_initializer_fills_exactly_its_bound(name, fan_in, fan_out):
    values = draw(name, fan_in, fan_out, seed=5).numpy().astype(np.float64)
    bound = scale(name, fan_in, fan_out)
    assert np.abs(values).max() <= bound * (1 + 1e-6)
    assert values.max() > 0.999 * bound and values.min() < -0.999 * bound
    assert abs(values.mean()) < 0.01 * bound
    assert values.std() == pytest.approx(bound / math.sqrt(3), rel=0.01)


@pytest.mark.parametrize("name", NORMAL)
@pytest.mark.parametrize("fan_in, fan_out", [(400, 500), (20, 10000)])
def test_normal_initializer_has_the_promised_std(name, fan_in, fan_out):
    values = draw(name, fan_in, fan_out, seed=6).numpy().astype(np.float64)
    std = scale(name, fan_in, fan_out)
    assert abs(values.mean()) < 0.01 * std
    assert values.std() == pytest.approx(std, rel=0.01)
    # a normal, not a uniform of the same std: about 4.55% of the draws lie beyond two stds
    assert np.mean(np.abs(values) > 2 * std) == pytest.approx(0.0455, abs=0.003)


@pytest.mark.parametrize("name", ["xavier_uniform", "xavier_normal"])
@pytest.mark.parametrize("gain", [0.5, 3.0])
def test_xavier_gain_scales_the_draw(name, gain):
    weights = draw(name, 6, 9, gain=gain, seed=8)
    np.testing.assert_allclose(weights.numpy(), by_hand(name, 6, 9, 8, gain=gain), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", ["kaiming_uniform", "kaiming_normal"])
def test_kaiming_relu_gain_is_sqrt_2_and_is_the_default(name):
    explicit = draw(name, 12, 5, nonlinearity="relu", seed=9)
    default = draw(name, 12, 5, seed=9)
    np.testing.assert_array_equal(explicit.numpy(), default.numpy())
    np.testing.assert_allclose(explicit.numpy(), by_hand(name, 12, 5, 9, gain=math.sqrt(2)), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", ["kaiming_uniform", "kaiming_normal"])
def test_kaiming_rejects_an_unknown_nonlinearity(name):
    with pytest.raises(ValueError, match="tanh"):
        getattr(init, name)(3, 4, nonlinearity="tanh")


@pytest.mark.parametrize("name", NAMES)
def test_initializer_passes_dtype_and_requires_grad_on(name):
    weights = draw(name, 5, 3, dtype="float64", requires_grad=True, seed=4)
    assert weights.dtype == np.float64
    assert weights.requires_grad
    np.testing.assert_allclose(weights.numpy(), by_hand(name, 5, 3, 4, dtype=np.float64), rtol=1e-13)


@pytest.mark.parametrize("name", NAMES)
def test_initializer_is_reproducible_and_advances_the_generator(name):
    first = draw(name, 4, 4, seed=12).numpy()
    again = draw(name, 4, 4, seed=12).numpy()
    following = getattr(init, name)(4, 4).numpy()
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, following)
