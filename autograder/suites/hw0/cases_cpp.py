"""hw0 cpp: softmax_regression_epoch_cpp, the C++ epoch, through the built module.

The module is called directly (not through simple_ml), theta is the caller's float32
array updated in place; the C++ may sum in another order than the reference, hence
float32-level tolerances.
"""
import numpy as np

from dlsys_harness import case, report
from _data import classification, softmax_theta


@case(part="cpp", points=5, rtol=1e-5, atol=1e-5, timeout=30)
def cpp_minibatches_with_a_short_last_one():
    # 77 examples in batches of 16: four full ones, then one of 13
    import simple_ml_ext

    X, y = classification(9001, 77, 13, 6)
    theta = softmax_theta(9002, 13, 6)
    simple_ml_ext.softmax_regression_epoch_cpp(X, y, theta, lr=0.45, batch=16)
    report("theta", theta)


@case(part="cpp", points=5, rtol=1e-5, atol=1e-5, timeout=30)
def cpp_default_lr_and_batch():
    # the binding's defaults, lr=0.1 and batch=100: 240 examples are batches of 100, 100 and 40
    import simple_ml_ext

    X, y = classification(9003, 240, 25, 10)
    theta = np.zeros((25, 10), dtype=np.float32)
    simple_ml_ext.softmax_regression_epoch_cpp(X, y, theta)
    report("theta", theta)


@case(part="cpp", points=5, rtol=1e-5, atol=1e-5, timeout=30)
def cpp_batch_of_one_and_batch_larger_than_the_data():
    import simple_ml_ext

    X, y = classification(9004, 9, 5, 3)
    theta_ones = softmax_theta(9005, 5, 3)
    simple_ml_ext.softmax_regression_epoch_cpp(X, y, theta_ones, lr=0.2, batch=1)  # nine steps of one example
    report("theta_batch_1", theta_ones)

    X, y = classification(9006, 20, 6, 4)
    theta_big = softmax_theta(9007, 6, 4)
    simple_ml_ext.softmax_regression_epoch_cpp(X, y, theta_big, lr=0.6, batch=64)  # one step over all 20
    report("theta_batch_64", theta_big)
