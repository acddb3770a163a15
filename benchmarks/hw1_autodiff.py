"""One epoch of the two-layer network, three ways: hw1's needle autodiff, hw0's hand-written
numpy gradients, and PyTorch (when installed), with the test error each reaches.

Same data for all (MNIST when a data folder has it: with only the 10,000-image test set, its
first 8,000 images train and the last 2,000 test; generated digit-like data otherwise), hidden
layer 100, lr 0.1, batch 100, the same initial weights. Each time is the best of several
epochs, each starting from those weights.

    python benchmarks/hw1_autodiff.py [--repeats 3]
"""
import argparse
import importlib.util
import sys
import time

import numpy as np

from autograder.devtools.demo import find_mnist, generated_digits, load_simple_ml
from autograder.paths import REPO_ROOT, data_dirs

HIDDEN, LR, BATCH = 100, 0.1, 100


def load_hw1():
    """hw1's needle and apps/simple_ml, beside hw0's module of the same name."""
    sys.path.insert(0, str(REPO_ROOT / "hw1" / "python"))
    spec = importlib.util.spec_from_file_location("hw1_simple_ml", REPO_ROOT / "hw1" / "apps" / "simple_ml.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def initial_weights(input_dim, classes):
    rng = np.random.default_rng(0)
    W1 = (rng.standard_normal((input_dim, HIDDEN)) / np.sqrt(HIDDEN)).astype(np.float32)
    W2 = (rng.standard_normal((HIDDEN, classes)) / np.sqrt(classes)).astype(np.float32)
    return W1, W2


def best_of(repeats, one_epoch):
    """Run `one_epoch()` (which returns the trained W1, W2) several times; the fastest time and the weights."""
    best, weights = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        weights = one_epoch()
        best = min(best, time.perf_counter() - start)
    return best, weights


def needle_epoch(hw1, X, y, W1, W2):
    ndl = hw1.ndl
    new_W1, new_W2 = hw1.nn_epoch(X, y, ndl.Tensor(W1), ndl.Tensor(W2), lr=LR, batch=BATCH)
    return new_W1.numpy(), new_W2.numpy()


def numpy_epoch(hw0, X, y, W1, W2):
    W1, W2 = W1.copy(), W2.copy()
    hw0.nn_epoch(X, y, W1, W2, lr=LR, batch=BATCH)
    return W1, W2


def torch_epoch(torch, X, y, W1, W2):
    t1, t2 = torch.tensor(W1, requires_grad=True), torch.tensor(W2, requires_grad=True)
    X_all, y_all = torch.from_numpy(X), torch.from_numpy(y.astype(np.int64))
    for start in range(0, X.shape[0], BATCH):
        logits = torch.relu(X_all[start : start + BATCH] @ t1) @ t2
        torch.nn.functional.cross_entropy(logits, y_all[start : start + BATCH]).backward()
        with torch.no_grad():
            t1 -= LR * t1.grad
            t2 -= LR * t2.grad
        t1.grad, t2.grad = None, None
    return t1.detach().numpy(), t2.detach().numpy()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    hw0 = load_simple_ml()
    hw1 = load_hw1()
    data = find_mnist(data_dirs(), hw0) or generated_digits()
    W1, W2 = initial_weights(data.X_train.shape[1], 10)
    X, y = data.X_train, data.y_train

    rows = [
        ("needle (hw1)", *best_of(args.repeats, lambda: needle_epoch(hw1, X, y, W1, W2))),
        ("numpy (hw0)", *best_of(args.repeats, lambda: numpy_epoch(hw0, X, y, W1, W2))),
    ]
    try:
        import torch

        rows.append(("torch", *best_of(args.repeats, lambda: torch_epoch(torch, X, y, W1, W2))))
    except ImportError:
        print("torch: not installed, skipped")

    print(f"two-layer net, one epoch: {data.source}; hidden {HIDDEN}, lr {LR}, batch {BATCH}, best of {args.repeats}")
    numpy_seconds = rows[1][1]
    print(f"{'implementation':<16}{'s/epoch':>10}{'vs numpy':>10}{'test err':>10}")
    for name, seconds, (trained_W1, trained_W2) in rows:
        _, error = hw0.loss_err(np.maximum(data.X_test @ trained_W1, 0) @ trained_W2, data.y_test)
        print(f"{name:<16}{seconds:>10.4f}{numpy_seconds / seconds:>9.2f}x{error:>10.2%}")
    needle_W1, numpy_W1 = rows[0][2][0], rows[1][2][0]
    print(f"max |W1_needle - W1_numpy| after one epoch: {np.abs(needle_W1 - numpy_W1).max():.2e}")


if __name__ == "__main__":
    main()
