"""`dlsys demo`: the main job on embedded defaults, until the grading service exists.

It trains hw0's reference softmax regression (or two-layer network), or hw2's
MLPResNet built with needle, on MNIST when the data is on this machine, and on
generated digit-like data otherwise, and prints the epoch table. hw4's models
train the same way: ResNet9 on CIFAR-10, and RNN, LSTM and Transformer language
models on the Penn Treebank, each on generated data in the real format when the
data set is absent. No network and no set-up beyond `pip install -e .`.
"""
import importlib
import importlib.util
import math
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from autograder.datasets.formats import write_cifar10_batch
from autograder.datasets.registry import MNIST_TEST_FILES, MNIST_TRAIN_FILES
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


# Each model's defaults for what the caller leaves as None (hidden_dim is unused by softmax and resnet9).
# `limit` caps the training set of hw4's models (CIFAR-10 images, PTB lines) so that a run stays short.
DEFAULTS = {
    "softmax": dict(epochs=10, lr=0.2, batch=100, hidden_dim=400),
    "nn": dict(epochs=10, lr=0.2, batch=100, hidden_dim=400),
    "mlp_resnet": dict(epochs=5, lr=0.001, batch=100, hidden_dim=100),  # train_mnist's lr and width; Adam
    "resnet9": dict(epochs=2, lr=0.001, batch=32, hidden_dim=None, limit=320),  # train_cifar10's Adam
    "rnn": dict(epochs=4, lr=1.0, batch=16, hidden_dim=64, limit=400),  # SGD, gradients clipped
    "lstm": dict(epochs=4, lr=4.0, batch=16, hidden_dim=64, limit=400),
    "transformer": dict(epochs=4, lr=0.01, batch=16, hidden_dim=64, limit=400),  # Adam
}
HW4_MODELS = ("resnet9", "rnn", "lstm", "transformer")
LANGUAGE_MODELS = ("rnn", "lstm", "transformer")
NEEDLE_DEVICES = ("cpu", "cuda", "cpu_numpy")  # needle's devices, by the names of their makers


def run_demo(model: str = "softmax", epochs: int | None = None, lr: float | None = None, batch: int | None = None,
             hidden_dim: int | None = None, cpp: bool = False, data_dir: Path | None = None,
             plot: Path | None = None, limit: int | None = None, device: str = "cpu") -> float:
    """Train and print the epoch table; return the final test error (test perplexity for the
    language models). Options left as None take the model's DEFAULTS; `plot`, `limit` and
    `device` apply to hw4's models."""
    if model not in DEFAULTS:
        raise DlsysError(f"Unknown model {model!r}: choose one of {', '.join(map(repr, DEFAULTS))}.")
    defaults = DEFAULTS[model]
    epochs = defaults["epochs"] if epochs is None else epochs
    lr = defaults["lr"] if lr is None else lr
    batch = defaults["batch"] if batch is None else batch
    hidden_dim = defaults["hidden_dim"] if hidden_dim is None else hidden_dim
    candidates = [Path(data_dir)] if data_dir else data_dirs()
    if model in HW4_MODELS:
        if cpp:
            raise DlsysError("--cpp trains softmax regression only.")
        if device not in NEEDLE_DEVICES:
            raise DlsysError(f"Unknown device {device!r}: choose one of {', '.join(map(repr, NEEDLE_DEVICES))}.")
        settings = dict(epochs=epochs, lr=lr, batch=batch, limit=defaults["limit"] if limit is None else limit,
                        device=device, plot=plot)
        if model == "resnet9":
            return train_resnet9(candidates, **settings)
        return train_language_model(candidates, model, hidden_dim=hidden_dim, **settings)
    if plot is not None or limit is not None or device != "cpu":
        raise DlsysError(f"--plot, --limit and --device are for hw4's models: {', '.join(HW4_MODELS)}.")
    simple_ml = load_simple_ml()
    if cpp and simple_ml.softmax_regression_epoch_cpp is None:
        raise DlsysError("The C++ extension hw0/src/simple_ml_ext is not built: run `pip install -e .`.")
    if cpp and model != "softmax":
        raise DlsysError("--cpp trains softmax regression only.")
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


# --- hw4: ResNet9 on CIFAR-10, language models on the Penn Treebank -------------------------

CIFAR10_FILES = tuple(f"data_batch_{i}" for i in range(1, 6)) + ("test_batch",)


def load_hw4_apps(root: Path = REPO_ROOT):
    """hw4's reference apps `models` and `simple_ml` with hw4's needle, as (models, simple_ml).

    They are loaded as `hw4_models` and `hw4_simple_ml`, since hw0's `simple_ml` may already be
    imported. Only one needle snapshot can live in a process: another one already imported is an error.
    """
    python = root / "hw4" / "python"
    if str(python) not in sys.path:
        sys.path.insert(0, str(python))
    needle = importlib.import_module("needle")
    if Path(needle.__file__).resolve().parent != (python / "needle").resolve():
        raise DlsysError(f"This process already imported another needle ({needle.__file__}); "
                         "run hw4's demo in a fresh process.")
    apps = []
    for name in ("models", "simple_ml"):
        module_name = f"hw4_{name}"
        if module_name not in sys.modules:
            spec = importlib.util.spec_from_file_location(module_name, root / "hw4" / "apps" / f"{name}.py")
            module = importlib.util.module_from_spec(spec)
            sys.modules[module_name] = module
            spec.loader.exec_module(module)
        apps.append(sys.modules[module_name])
    return tuple(apps)


def needle_device(ndl, name: str):
    """needle's device called `name` (one of NEEDLE_DEVICES), refusing a cuda() without a GPU."""
    device = getattr(ndl, name)()
    if not device.enabled():
        raise DlsysError(f"needle's {name}() is not enabled here (no GPU, or hw4 was built without CUDA).")
    return device


def find_cifar10(candidates: list[Path]) -> Path | None:
    """The first candidate's `cifar-10-batches-py` folder holding every batch file."""
    for folder in (d / "cifar-10-batches-py" for d in candidates):
        if all((folder / name).is_file() for name in CIFAR10_FILES):
            return folder
    return None


def write_generated_cifar10(folder: Path, n_train: int = 320, n_test: int = 80, seed: int = 0) -> Path:
    """Write CIFAR-10's pickle batches into `folder`: images with a learnable signal, a blob of
    the class's own colour near the class's own place on a noisy background. The training
    images are spread over data_batch_1..5."""
    rng = np.random.default_rng(seed)
    colours = rng.integers(0, 256, (10, 3))
    centres = rng.integers(8, 24, (10, 2))
    rows, cols = np.mgrid[:32, :32]

    def batch(n):
        labels = rng.integers(0, 10, n)
        centre = centres[labels] + rng.integers(-2, 3, (n, 2))
        blob = np.exp(-((rows - centre[:, :1, None]) ** 2 + (cols - centre[:, 1:, None]) ** 2) / 32.0)[:, None]
        images = rng.normal(128, 40, (n, 3, 32, 32)) * (1 - blob) + colours[labels][:, :, None, None] * blob
        return np.clip(images, 0, 255).astype(np.uint8).reshape(n, 3072), labels

    folder.mkdir(parents=True, exist_ok=True)
    sizes = [len(part) for part in np.array_split(np.arange(n_train), 5)] + [n_test]
    for name, size in zip(CIFAR10_FILES, sizes):
        write_cifar10_batch(folder / name, *batch(size), name=name)
    return folder


def train_resnet9(candidates: list[Path], epochs: int = 2, lr: float = 0.001, batch: int = 32, limit: int = 320,
                  device: str = "cpu", plot: Path | None = None, weight_decay: float = 0.001) -> float:
    """hw4's ResNet9 trained with needle's Adam, as `train_cifar10` does, on the first `limit`
    training images of CIFAR-10 (generated ones when it is absent); tested on limit // 4 test images.

    Prints one row per epoch with its seconds; returns the final test error.
    """
    models, simple_ml = load_hw4_apps()
    ndl = simple_ml.ndl
    dev = needle_device(ndl, device)
    n_test = max(limit // 4, 1)
    with tempfile.TemporaryDirectory() as scratch:
        folder = find_cifar10(candidates)
        source = f"CIFAR-10 from {folder}"
        if folder is None:
            folder = write_generated_cifar10(Path(scratch) / "cifar-10-batches-py", limit, n_test)
            source = "generated CIFAR-10-format colour blobs"
        train = ndl.data.CIFAR10Dataset(str(folder), train=True)
        test = ndl.data.CIFAR10Dataset(str(folder), train=False)
    n_test = max(limit // 4, 1)
    X_train, y_train, X_test, y_test = train.X[:limit], train.y[:limit], test.X[:n_test], test.y[:n_test]
    print(f"Data: {source} ({len(y_train):,} train / {len(y_test):,} test images)")
    print(f"ResNet9 (needle, {device}), Adam lr {lr}, weight decay {weight_decay}, {epochs} epochs, batch {batch}")
    np.random.seed(4)  # as train_cifar10 does: the shuffles are reproducible
    train_loader = ndl.data.DataLoader(ndl.data.NDArrayDataset(X_train, y_train), batch, shuffle=True, device=dev)
    test_loader = ndl.data.DataLoader(ndl.data.NDArrayDataset(X_test, y_test), batch, device=dev)
    model = models.ResNet9(device=dev)
    opt = ndl.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    loss_fn = ndl.nn.SoftmaxLoss()
    history = {"train": [], "test": []}
    print("| Epoch | Train Loss | Train Acc | Test Loss | Test Acc | s/epoch |")
    for number in range(1, epochs + 1):
        start = time.perf_counter()
        with simple_ml.ProgressBar(len(train_loader), f"epoch {number}") as bar:
            train_acc, train_loss = simple_ml.epoch_general_cifar10(train_loader, model, loss_fn, opt,
                                                                    progress=bar.advance)
        seconds = time.perf_counter() - start
        test_acc, test_loss = simple_ml.epoch_general_cifar10(test_loader, model, loss_fn)
        history["train"].append((train_acc, train_loss))
        history["test"].append((test_acc, test_loss))
        print(f"|  {number:>4} |    {train_loss:.5f} |   {train_acc:.4f} |   {test_loss:.5f} |   {test_acc:.4f} | "
              f"{seconds:7.2f} |", flush=True)
    _save_plot(simple_ml, plot, history, "ResNet9")
    return 1.0 - float(test_acc)


def find_ptb(candidates: list[Path]) -> Path | None:
    """The first candidate's `ptb` folder holding train.txt and test.txt."""
    for folder in (d / "ptb" for d in candidates):
        if all((folder / name).is_file() for name in ("train.txt", "test.txt")):
            return folder
    return None


# A tiny grammar for the generated corpus: one word from each slot, in order, makes a line.
GRAMMAR = (("the", "a"), ("small", "big", "red", "old"), ("cat", "dog", "bird", "fish"),
           ("sees", "eats", "likes"), ("the", "a"), ("tree", "house", "car", "ball"))


def write_generated_ptb(folder: Path, n_train: int = 400, n_test: int = 100, seed: int = 0) -> Path:
    """Write train.txt and test.txt into `folder`, as PTB's text files are (space-separated words,
    one sentence a line), from GRAMMAR: each word narrows down the next one, so a model that
    learns the structure reaches a perplexity near 3 (a uniform guess: the vocabulary's size)."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for name, count in (("train.txt", n_train), ("test.txt", n_test)):
        lines = (" ".join(slot[rng.integers(len(slot))] for slot in GRAMMAR) for _ in range(count))
        (folder / name).write_text("".join(f" {line} \n" for line in lines))  # PTB's lines start and end with a space
    return folder


def train_language_model(candidates: list[Path], kind: str, epochs: int = 4, lr: float = 1.0, batch: int = 16,
                         hidden_dim: int = 64, limit: int = 400, device: str = "cpu", plot: Path | None = None,
                         embedding_size: int = 32, seq_len: int = 20, clip: float = 0.25) -> float:
    """hw4's LanguageModel with an RNN, LSTM or Transformer, trained as `train_ptb` does (SGD with
    clipped gradients; Adam for the Transformer) on the first `limit` lines of the Penn Treebank
    (a generated corpus when it is absent), and tested on its test lines.

    Prints one row per epoch with losses, perplexities (exp of the average loss) and seconds;
    returns the final test perplexity.
    """
    models, simple_ml = load_hw4_apps()
    ndl = simple_ml.ndl
    dev = needle_device(ndl, device)
    with tempfile.TemporaryDirectory() as scratch:
        folder = find_ptb(candidates)
        source = f"Penn Treebank from {folder}"
        if folder is None:
            folder = write_generated_ptb(Path(scratch) / "ptb", limit, max(limit // 4, 1))
            source = "a generated PTB-format corpus"
        corpus = ndl.data.Corpus(str(folder), max_lines=limit)
    train_data = ndl.data.batchify(corpus.train, batch, device=dev, dtype="float32")
    test_data = ndl.data.batchify(corpus.test, min(batch, len(corpus.test) // 2), device=dev, dtype="float32")
    print(f"Data: {source} (first {limit:,} lines: {len(corpus.train):,} train / {len(corpus.test):,} test words, "
          f"{len(corpus.dictionary):,} in the dictionary)")
    optimizer = ndl.optim.Adam if kind == "transformer" else ndl.optim.SGD
    clip = None if kind == "transformer" else clip
    print(f"LanguageModel ({kind}, needle, {device}), embedding {embedding_size}, hidden {hidden_dim}, "
          f"{optimizer.__name__} lr {lr}{'' if clip is None else f', clip {clip}'}, {epochs} epochs, batch {batch}, "
          f"seq_len {seq_len}")
    np.random.seed(4)
    model = models.LanguageModel(embedding_size, len(corpus.dictionary), hidden_dim, seq_model=kind,
                                 seq_len=seq_len, device=dev)
    opt = optimizer(model.parameters(), lr=lr)
    loss_fn = ndl.nn.SoftmaxLoss()
    chunks = len(range(0, train_data.shape[0] - 1, seq_len))
    history = {"train": [], "test": []}
    print("| Epoch | Train Loss | Train PPL | Test Loss | Test PPL | s/epoch |")
    for number in range(1, epochs + 1):
        start = time.perf_counter()
        with simple_ml.ProgressBar(chunks, f"epoch {number}") as bar:
            train_acc, train_loss = simple_ml.epoch_general_ptb(train_data, model, seq_len, loss_fn, opt, clip,
                                                                device=dev, progress=bar.advance)
        seconds = time.perf_counter() - start
        test_acc, test_loss = simple_ml.epoch_general_ptb(test_data, model, seq_len, loss_fn, device=dev)
        history["train"].append((train_acc, train_loss))
        history["test"].append((test_acc, test_loss))
        print(f"|  {number:>4} |    {train_loss:.5f} | {math.exp(train_loss):9.3f} |   {test_loss:.5f} | "
              f"{math.exp(test_loss):8.3f} | {seconds:7.2f} |", flush=True)
    _save_plot(simple_ml, plot, history, f"LanguageModel ({kind})")
    return math.exp(test_loss)


def _save_plot(simple_ml, plot: Path | None, history: dict, title: str) -> None:
    if plot is not None:
        simple_ml.save_curve(str(plot), history, title)
        print(f"Saved the training curve to {plot}")
