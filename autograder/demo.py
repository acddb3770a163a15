"""`dlsys demo`: the main job on embedded defaults, until the grading service exists.

It trains hw0's reference softmax regression (or two-layer network), or hw2's
MLPResNet built with needle, on MNIST when the data is on this machine, and on
generated digit-like data otherwise, and prints the epoch table. No network and
no set-up beyond `pip install -e .`.
"""
import importlib
import sys
import time
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


# Each model's defaults for what the caller leaves as None (hidden_dim is unused by softmax).
DEFAULTS = {
    "softmax": dict(epochs=10, lr=0.2, hidden_dim=400),
    "nn": dict(epochs=10, lr=0.2, hidden_dim=400),
    "mlp_resnet": dict(epochs=5, lr=0.001, hidden_dim=100),  # train_mnist's lr and width; Adam
}


def run_demo(model: str = "softmax", epochs: int | None = None, lr: float | None = None, batch: int = 100,
             hidden_dim: int | None = None, cpp: bool = False, data_dir: Path | None = None) -> float:
    """Train and print the epoch table; return the final test error. Options left as None take the model's DEFAULTS."""
    if model not in DEFAULTS:
        raise DlsysError(f"Unknown model {model!r}: choose one of {', '.join(map(repr, DEFAULTS))}.")
    defaults = DEFAULTS[model]
    epochs = defaults["epochs"] if epochs is None else epochs
    lr = defaults["lr"] if lr is None else lr
    hidden_dim = defaults["hidden_dim"] if hidden_dim is None else hidden_dim
    simple_ml = load_simple_ml()
    if cpp and simple_ml.softmax_regression_epoch_cpp is None:
        raise DlsysError("The C++ extension hw0/src/simple_ml_ext is not built: run `pip install -e .`.")
    if cpp and model != "softmax":
        raise DlsysError("--cpp trains softmax regression only.")
    candidates = [Path(data_dir)] if data_dir else data_dirs()
    split = find_mnist(candidates, simple_ml) or generated_digits()
    print(f"Data: {split.source}")
    if model == "mlp_resnet":
        return train_mlp_resnet(split, epochs=epochs, lr=lr, batch=batch, hidden_dim=hidden_dim)
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


def load_mlp_resnet(root: Path = REPO_ROOT):
    """hw2's reference `mlp_resnet` app and its needle, imported as the handout's notebooks do.

    Only one needle snapshot can live in a process: this one imports hw2's.
    """
    for folder in ("python", "apps"):
        path = str(root / "hw2" / folder)
        if path not in sys.path:
            sys.path.insert(0, path)
    return importlib.import_module("mlp_resnet")


def train_mlp_resnet(split: Split, epochs: int = 5, lr: float = 0.001, batch: int = 100,
                     hidden_dim: int = 100, weight_decay: float = 0.001) -> float:
    """hw2's MLPResNet trained with needle's Adam, as `train_mnist` does, on `split`.

    Prints one row per epoch with its seconds; returns the final test error.
    """
    mlp_resnet = load_mlp_resnet()
    ndl = mlp_resnet.ndl
    print(f"MLPResNet (needle), hidden {hidden_dim}, Adam lr {lr}, weight decay {weight_decay}, "
          f"{epochs} epochs, batch {batch}")
    np.random.seed(4)  # as train_mnist does: the model's weights and the shuffles are reproducible
    train_loader = ndl.data.DataLoader(ndl.data.NDArrayDataset(split.X_train, split.y_train), batch, shuffle=True)
    test_loader = ndl.data.DataLoader(ndl.data.NDArrayDataset(split.X_test, split.y_test), batch)
    model = mlp_resnet.MLPResNet(split.X_train.shape[1], hidden_dim)
    opt = ndl.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    print("| Epoch | Train Loss | Train Err | Test Loss | Test Err | s/epoch |")
    for number in range(1, epochs + 1):
        start = time.perf_counter()
        with mlp_resnet.ProgressBar(len(train_loader), f"epoch {number}") as bar:
            train_err, train_loss = mlp_resnet.epoch(train_loader, model, opt, progress=bar.advance)
        seconds = time.perf_counter() - start
        test_err, test_loss = mlp_resnet.epoch(test_loader, model)
        print(f"|  {number:>4} |    {train_loss:.5f} | {train_err:.5f} |   {test_loss:.5f} | {test_err:.5f} | "
              f"{seconds:7.2f} |", flush=True)
    return float(test_err)
