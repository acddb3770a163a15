"""Seconds per softmax-regression epoch: hw0's numpy version beside its C++ version.

Same data for both (MNIST's 10,000 test images when a data folder has them,
random data of the same shape otherwise), batch 100, 10 classes. Each figure is
the best of several epochs, each epoch starting from the same theta.

    python benchmarks/hw0_softmax.py [--repeats 5]
"""
import argparse
import time

import numpy as np

from autograder.devtools.demo import find_mnist, load_simple_ml
from autograder.paths import data_dirs


def best_seconds(epoch, X, y, repeats):
    times = []
    for _ in range(repeats):
        theta = np.zeros((X.shape[1], 10), dtype=np.float32)
        start = time.perf_counter()
        epoch(X, y, theta, lr=0.1, batch=100)
        times.append(time.perf_counter() - start)
    return min(times), theta


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    simple_ml = load_simple_ml()
    mnist = find_mnist(data_dirs(), simple_ml)
    if mnist is not None:
        X = np.concatenate([mnist.X_train, mnist.X_test])[:10_000]
        y = np.concatenate([mnist.y_train, mnist.y_test])[:10_000]
        source = "MNIST"
    else:
        rng = np.random.default_rng(0)
        X, y = rng.random((10_000, 784), dtype=np.float32), rng.integers(0, 10, 10_000).astype(np.uint8)
        source = "random data"

    print(f"softmax regression epoch, {X.shape[0]:,} x {X.shape[1]} ({source}), batch 100, best of {args.repeats}")
    numpy_s, theta_numpy = best_seconds(simple_ml.softmax_regression_epoch, X, y, args.repeats)
    rows = [("numpy", numpy_s)]
    if simple_ml.softmax_regression_epoch_cpp is not None:
        cpp_s, theta_cpp = best_seconds(simple_ml.softmax_regression_epoch_cpp, X, y, args.repeats)
        rows.append(("C++", cpp_s))
        agreement = np.abs(theta_cpp - theta_numpy).max()
    print(f"{'implementation':<16}{'s/epoch':>10}{'vs numpy':>10}")
    for name, seconds in rows:
        print(f"{name:<16}{seconds:>10.4f}{numpy_s / seconds:>9.2f}x")
    if len(rows) == 2:
        print(f"max |theta_cpp - theta_numpy| after one epoch: {agreement:.2e}")
    else:
        print("C++: not built (run `pip install -e .`)")


if __name__ == "__main__":
    main()
