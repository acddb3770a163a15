"""hw0 add: x + y for Python numbers and numpy arrays (results reported as returned)."""
import numpy as np

from dlsys_harness import case, report


@case(part="add", points=2.5, rtol=0.0, atol=0.0, timeout=20)
def add_python_numbers():
    from simple_ml import add

    report("int_plus_int", add(7, -19))  # an int stays an int (reported as int64)
    report("float_plus_float", add(2.75, -0.5))  # exact in binary, so compared exactly
    report("int_plus_float", add(-3, 0.125))


@case(part="add", points=2.5, rtol=1e-6, atol=0.0, timeout=20)
def add_numpy_arrays():
    from simple_ml import add

    rng = np.random.default_rng(50505)
    a = rng.integers(-50, 50, size=(3, 4)).astype(np.int32)
    b = rng.integers(-50, 50, size=(3, 4)).astype(np.int32)
    report("int32_arrays", add(a, b))
    x = rng.standard_normal((2, 5)).astype(np.float32)
    row = rng.standard_normal(5).astype(np.float32)
    report("float32_broadcast_row", add(x, row))  # numpy broadcasting, as x + y does
