"""`dlsys demo`: the main job on embedded defaults, until the grading service exists.

It trains hw0's reference softmax regression (or two-layer network) on MNIST
when the data is on this machine, and on generated digit-like data otherwise, and
prints the epoch table. No network and no set-up beyond `pip install -e .`.
"""
import importlib
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from autograder.datasets import MNIST_TEST_FILES, MNIST_TRAIN_FILES
from autograder.errors import DlsysError
from autograder.paths import REPO_ROOT, data_dirs


@dataclass
class Split:
    """Training and test arrays, and a sentence saying where they came from."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    source: str


def load_simple_ml(root: Path = REPO_ROOT):
    """hw0's reference `simple_ml`, imported from hw0/src as the handout does."""
    src = str(root / "hw0" / "src")
    if src not in sys.path:
        sys.path.insert(0, src)
    return importlib.import_module("simple_ml")


def find_mnist(candidates: list[Path], simple_ml) -> Split | None:
    """MNIST from the first candidate folder that has it.

    With the full data set, the usual 60,000/10,000 split; with the test set
    alone (what course machines share), its first 80% train and the last 20%
    test: 8,000 and 2,000 images.
    """
    for folder in [c for d in candidates for c in (d, d / "mnist")]:
        if all((folder / name).is_file() for name in MNIST_TEST_FILES):
            X_test, y_test = simple_ml.parse_mnist(*(str(folder / n) for n in MNIST_TEST_FILES))
            if all((folder / name).is_file() for name in MNIST_TRAIN_FILES):
                X_train, y_train = simple_ml.parse_mnist(*(str(folder / n) for n in MNIST_TRAIN_FILES))
                return Split(X_train, y_train, X_test, y_test, f"MNIST from {folder} (60,000 train / 10,000 test)")
            cut = len(y_test) * 4 // 5
            return Split(X_test[:cut], y_test[:cut], X_test[cut:], y_test[cut:],
                         f"MNIST test set from {folder} (first {cut:,} train / last {len(y_test) - cut:,} test)")
    return None


def generated_digits(num_examples: int = 10_000, seed: int = 0) -> Split:
    """Digit-like data for machines without MNIST: ten smooth 28x28 prototypes plus noise."""
    rng = np.random.default_rng(seed)
    prototypes = np.kron(rng.random((10, 7, 7)), np.ones((4, 4))).reshape(10, 784)
    y = rng.integers(0, 10, num_examples).astype(np.uint8)
    X = np.clip(prototypes[y] + 0.35 * rng.standard_normal((num_examples, 784)), 0, 1).astype(np.float32)
    cut = num_examples * 4 // 5
    return Split(X[:cut], y[:cut], X[cut:], y[cut:], f"generated digit-like data ({cut:,} train / {num_examples - cut:,} test)")


def run_demo(model: str = "softmax", epochs: int = 10, lr: float = 0.2, batch: int = 100,
             hidden_dim: int = 400, cpp: bool = False, data_dir: Path | None = None) -> float:
    """Train and print the epoch table; return the final test error."""
    if model not in ("softmax", "nn"):
        raise DlsysError(f"Unknown model {model!r}: choose 'softmax' or 'nn'.")
    simple_ml = load_simple_ml()
    if cpp and simple_ml.softmax_regression_epoch_cpp is None:
        raise DlsysError("The C++ extension hw0/src/simple_ml_ext is not built: run `pip install -e .`.")
    if cpp and model != "softmax":
        raise DlsysError("--cpp trains softmax regression only.")
    candidates = [Path(data_dir)] if data_dir else data_dirs()
    split = find_mnist(candidates, simple_ml) or generated_digits()
    print(f"Data: {split.source}")
    if model == "softmax":
        print(f"Softmax regression ({'C++' if cpp else 'numpy'}), {epochs} epochs, lr {lr}, batch {batch}")
        theta = simple_ml.train_softmax(split.X_train, split.y_train, split.X_test, split.y_test,
                                        epochs=epochs, lr=lr, batch=batch, cpp=cpp)
        logits = split.X_test @ theta
    else:
        print(f"Two-layer network, hidden {hidden_dim}, {epochs} epochs, lr {lr}, batch {batch}")
        W1, W2 = simple_ml.train_nn(split.X_train, split.y_train, split.X_test, split.y_test,
                                    hidden_dim=hidden_dim, epochs=epochs, lr=lr, batch=batch)
        logits = np.maximum(split.X_test @ W1, 0) @ W2
    return float(simple_ml.loss_err(logits, split.y_test)[1])
