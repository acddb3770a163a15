"""hw0 softmax_regression_epoch: one SGD epoch in numpy, theta updated in place.

theta is reported after the call, so a function that rebinds theta instead of updating
it in place reports the untouched start. It stays the caller's float32 array.
"""
import numpy as np

from dlsys_harness import case, report
from _data import classification, softmax_theta


@case(part="softmax_regression", points=6, rtol=1e-5, atol=1e-6, timeout=30)
def softmax_regression_one_full_batch_step():
    from simple_ml import softmax_regression_epoch

    X, y = classification(7001, 36, 9, 4)
    theta = softmax_theta(7002, 9, 4)
    softmax_regression_epoch(X, y, theta, lr=0.35, batch=36)
    report("theta", theta)


@case(part="softmax_regression", points=7, rtol=1e-5, atol=1e-5, timeout=30)
def softmax_regression_minibatches_with_a_short_last_one():
    # 83 examples in batches of 20: four full ones, then one of 3 (a mean over its own size)
    from simple_ml import softmax_regression_epoch

    X, y = classification(7003, 83, 11, 5)
    theta = np.zeros((11, 5), dtype=np.float32)
    softmax_regression_epoch(X, y, theta, lr=0.4, batch=20)
    report("theta", theta)


@case(part="softmax_regression", points=6, rtol=1e-5, atol=1e-5, timeout=30)
def softmax_regression_default_lr_and_batch():
    # lr=0.1 and batch=100 by default: 250 examples are batches of 100, 100 and 50
    from simple_ml import softmax_regression_epoch

    X, y = classification(7004, 250, 15, 7)
    theta = softmax_theta(7005, 15, 7)
    softmax_regression_epoch(X, y, theta)
    report("theta", theta)


@case(part="softmax_regression", points=6, rtol=1e-4, atol=1e-5, timeout=60)
def softmax_regression_three_epochs_ten_classes():
    from simple_ml import softmax_regression_epoch

    X, y = classification(7006, 300, 40, 10)
    theta = np.zeros((40, 10), dtype=np.float32)
    for _ in range(3):
        softmax_regression_epoch(X, y, theta, lr=0.3, batch=32)
    report("theta", theta)
