"""hw2 init: the four weight initializers, seeded, on shapes the public tests never use.

Each initializer draws from numpy's global generator through `init.rand`/`init.randn`
(given code), so after `numpy.random.seed` its values are fixed. Two draws in a row check
that each call draws exactly once, and the shape (fan_in, fan_out) with rows = fan_in.
Values are float32, as `rand`/`randn` return them, and are reported as returned. The
tolerance leaves room for scaling in float32 after the draw (`rand(...) * 2a - a`) rather
than through `low`/`high` (a few float32 ulps of the bound, absolute).
"""
import numpy as np

from dlsys_harness import case, report

FLOAT32 = dict(rtol=1e-6, atol=1e-6, timeout=10)


@case(part="init", points=1.25, **FLOAT32)
def xavier_uniform_seeded():
    import needle as ndl

    np.random.seed(2311)
    report("7x13", ndl.init.xavier_uniform(7, 13).numpy())
    report("9x4_gain", ndl.init.xavier_uniform(9, 4, gain=1.7).numpy())


@case(part="init", points=1.25, **FLOAT32)
def xavier_normal_seeded():
    import needle as ndl

    np.random.seed(2312)
    report("11x6", ndl.init.xavier_normal(11, 6).numpy())
    report("3x17_gain", ndl.init.xavier_normal(3, 17, gain=0.6).numpy())


@case(part="init", points=1.25, **FLOAT32)
def kaiming_uniform_seeded():
    import needle as ndl

    np.random.seed(2313)
    report("15x4", ndl.init.kaiming_uniform(15, 4).numpy())
    report("5x1", ndl.init.kaiming_uniform(5, 1).numpy())  # Linear's bias is drawn like this
    report("2x9_relu", ndl.init.kaiming_uniform(2, 9, nonlinearity="relu").numpy())


@case(part="init", points=1.25, **FLOAT32)
def kaiming_normal_seeded():
    import needle as ndl

    np.random.seed(2314)
    report("6x14", ndl.init.kaiming_normal(6, 14).numpy())
    report("21x3_relu", ndl.init.kaiming_normal(21, 3, nonlinearity="relu").numpy())
