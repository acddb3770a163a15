"""hw3 ewise_cpp / ewise_cuda: the backend's elementwise and scalar kernels.

Each body runs twice, as `<name>_cpp` on "cpu" (nd.cpu(), part ewise_cpp) and as
`<name>_cuda` on "cuda" (nd.cuda(), part ewise_cuda), on the same inputs. Kernels are
called directly on compact buffers of odd sizes (1, 1001, 4099: no vector width or CUDA
block divides them), whose `out` starts as NaN (see _hw3).

Tolerances. Sums, products and quotients of float32 numbers are correctly rounded however
they are written (in float, or in double and rounded back); a quotient written as a product
with the reciprocal is off by an ulp or two. exp, log, tanh and pow may come from numpy,
expf/logf/tanhf/powf, the double versions, or CUDA's (2 to 4 ulp, more with fast math: __expf
is off by about 2 + 1.2|x| ulp, 13 ulp at |x| = 9). rtol = 1e-5 (80 to 170 float32 ulp) covers
all of these; atol = 1e-6 covers results near 0 (log near 1, tanh of tiny inputs). Comparisons
and maximum copy or compare values: exact, and ties are included (a >= a is 1, a == a is 1),
as are neighbours one ulp apart (a == nextafter(a) is 0), so ge written as gt, or an eq
with a tolerance, are caught. pow is given exponents 2.5 and -0.5 (an integer exponent would
hide truncation) and 3.0 on negative bases (pow is defined there; exp(y log x) is not).
"""
import numpy as np

from dlsys_harness import report
from _hw3 import ewise, normal, scalar, twins, uniform

FLOAT32 = dict(rtol=1e-5, atol=1e-6, timeout=30)
EXACT = dict(rtol=0.0, atol=0.0, timeout=30)


def _nonzero(seed, *shape):
    """float32 numbers with |x| in [0.5, 4) and random signs."""
    rng = np.random.default_rng(seed)
    return (rng.choice([-1.0, 1.0], shape) * rng.uniform(0.5, 4.0, shape)).astype(np.float32)


def _near(seed, a):
    """b like a: equal to it in about a third of the places, one ulp away in another third
    (above or below), unrelated elsewhere."""
    rng = np.random.default_rng(seed)
    pick = rng.integers(0, 3, a.shape)
    ulp = np.nextafter(a, np.where(rng.random(a.shape) < 0.5, np.inf, -np.inf).astype(np.float32))
    other = rng.standard_normal(a.shape).astype(np.float32)
    return np.where(pick == 0, a, np.where(pick == 1, ulp, other)).astype(np.float32)


@twins("ewise", points=2, **FLOAT32)
def ewise_add_mul_div(dev):
    a, b = normal(4201, 7, 11, 13), normal(4202, 7, 11, 13)
    report("add", ewise(dev, "ewise_add", a, b))
    report("mul", ewise(dev, "ewise_mul", a, b))
    report("div", ewise(dev, "ewise_div", a, _nonzero(4203, 7, 11, 13)))
    report("mul_one_element", ewise(dev, "ewise_mul", np.float32([1.75]), np.float32([-2.5])))


@twins("ewise", points=2, **FLOAT32)
def scalar_add_mul_div(dev):
    a = normal(4211, 4099, scale=3.0)
    report("add", scalar(dev, "scalar_add", a, -0.375))
    report("mul", scalar(dev, "scalar_mul", a, 2.75))
    report("div", scalar(dev, "scalar_div", a, -3.3))
    report("add_one_element", scalar(dev, "scalar_add", np.float32([4.5]), 1.25))


@twins("ewise", points=1, **FLOAT32)
def scalar_power(dev):
    positive = uniform(4221, 0.1, 9.0, 1001)
    report("to_2_5", scalar(dev, "scalar_power", positive, 2.5))
    report("to_minus_0_5", scalar(dev, "scalar_power", uniform(4222, 0.2, 6.0, 31, 33), -0.5))
    report("cube_of_signed", scalar(dev, "scalar_power", _nonzero(4223, 1001), 3.0))


@twins("ewise", points=1, **EXACT)
def maximum(dev):
    a = normal(4231, 4099)
    report("ewise", ewise(dev, "ewise_maximum", a, _near(4232, a)))
    report("scalar", scalar(dev, "scalar_maximum", normal(4233, 1001), 0.25))


@twins("ewise", points=2, **EXACT)
def comparisons_eq_and_ge(dev):
    a = normal(4241, 1001)
    b = _near(4242, a)
    report("ewise_eq", ewise(dev, "ewise_eq", a, b))
    report("ewise_ge", ewise(dev, "ewise_ge", a, b))
    rng = np.random.default_rng(4243)
    c = np.float32(0.375)
    x = rng.choice(np.array([c, np.nextafter(c, np.float32(1)), np.nextafter(c, np.float32(0)), -c, 2 * c],
                            dtype=np.float32), 4099)
    x[::7] = normal(4244, x[::7].size)
    report("scalar_eq", scalar(dev, "scalar_eq", x, 0.375))
    report("scalar_ge", scalar(dev, "scalar_ge", x, 0.375))


@twins("ewise", points=2, **FLOAT32)
def log_exp_tanh(dev):
    report("log", ewise(dev, "ewise_log", uniform(4251, 0.01, 50.0, 4099)))
    report("exp", ewise(dev, "ewise_exp", uniform(4252, -9.0, 9.0, 4099)))
    t = normal(4253, 1001, scale=2.0)
    t[::5] *= 1e-3  # tanh(x) ~ x: relative accuracy where the result is small
    report("tanh", ewise(dev, "ewise_tanh", t))
