"""The main job's data discovery and training on generated data."""
import gzip
import pickle
import struct
import subprocess
import sys

import numpy as np
import pytest

from autograder.devtools import demo
from autograder.errors import DlsysError


def write_mnist_pair(folder, prefix, count, seed=0):
    """A gzipped idx image/label pair named like MNIST's (`prefix` is 'train' or 't10k')."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    with gzip.open(folder / f"{prefix}-images-idx3-ubyte.gz", "wb") as f:
        f.write(struct.pack(">4I", 2051, count, 28, 28) + rng.integers(0, 256, count * 784, dtype=np.uint8).tobytes())
    with gzip.open(folder / f"{prefix}-labels-idx1-ubyte.gz", "wb") as f:
        f.write(struct.pack(">2I", 2049, count) + rng.integers(0, 10, count, dtype=np.uint8).tobytes())


def test_full_mnist_gives_the_standard_split(tmp_path):
    write_mnist_pair(tmp_path, "train", 30, seed=1)
    write_mnist_pair(tmp_path, "t10k", 12, seed=2)
    split = demo.find_mnist([tmp_path], demo.load_simple_ml())
    assert split.X_train.shape == (30, 784) and split.X_test.shape == (12, 784)
    assert "60,000" in split.source


def test_test_set_alone_splits_80_20_from_a_mnist_subfolder(tmp_path):
    write_mnist_pair(tmp_path / "mnist", "t10k", 50)
    split = demo.find_mnist([tmp_path / "elsewhere", tmp_path], demo.load_simple_ml())
    assert (len(split.y_train), len(split.y_test)) == (40, 10)
    assert "first 40 train / last 10 test" in split.source


def test_no_mnist_anywhere(tmp_path):
    assert demo.find_mnist([tmp_path], demo.load_simple_ml()) is None


def test_generated_digits_are_learnable():
    split = demo.generated_digits(2000, seed=3)
    assert split.X_train.shape == (1600, 784) and split.X_train.dtype == np.float32
    assert 0.0 <= split.X_train.min() and split.X_train.max() <= 1.0
    assert set(np.unique(split.y_train)) == set(range(10))


def test_run_demo_trains_on_generated_data(tmp_path, capsys):
    error = demo.run_demo(epochs=2, data_dir=tmp_path)
    out = capsys.readouterr().out
    assert "generated digit-like data" in out and "| Epoch |" in out
    assert error < 0.05


def test_run_demo_with_cpp_matches_numpy(tmp_path, capsys):
    write_mnist_pair(tmp_path, "t10k", 200, seed=4)
    numpy_error = demo.run_demo(epochs=2, data_dir=tmp_path)
    numpy_table = capsys.readouterr().out.split("\n", 2)[2]
    cpp_error = demo.run_demo(epochs=2, data_dir=tmp_path, cpp=True)
    assert capsys.readouterr().out.split("\n", 2)[2] == numpy_table
    assert cpp_error == numpy_error


def test_run_demo_rejects_unknown_models():
    with pytest.raises(DlsysError, match="'svm'"):
        demo.run_demo(model="svm")


def test_mlp_resnet_demo_trains_hw2_needle_in_its_own_process(tmp_path):
    """In a subprocess: hw2's needle must not meet another snapshot's needle in this interpreter."""
    write_mnist_pair(tmp_path, "t10k", 300, seed=5)
    result = subprocess.run([sys.executable, "-m", "autograder", "demo", "--model", "mlp_resnet", "--epochs", "2",
                             "--data-dir", str(tmp_path)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "first 240 train / last 60 test" in result.stdout
    assert "MLPResNet (needle), hidden 100, Adam lr 0.001" in result.stdout
    rows = [line for line in result.stdout.splitlines() if line.startswith("|  ")]
    assert len(rows) == 2 and all(line.rstrip().endswith("|") for line in rows)
    train_losses = [float(line.split("|")[2]) for line in rows]
    assert train_losses[1] < train_losses[0]  # it learns
    assert "Final test error:" in result.stdout


# hw4's models. Training runs in subprocesses: hw4's needle must not meet another snapshot's in this interpreter.

def run_dlsys_demo(*args):
    result = subprocess.run([sys.executable, "-m", "autograder", "demo", *args], capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    rows = [line for line in result.stdout.splitlines() if line.startswith("|  ")]
    assert all(line.rstrip().endswith("|") for line in rows)
    return result.stdout, [[float(cell) for cell in line.split("|")[1:-1]] for line in rows]


def read_cifar_batch(path):
    with open(path, "rb") as f:
        batch = pickle.load(f, encoding="bytes")
    return batch[b"data"], np.array(batch[b"labels"])


def test_generated_cifar10_has_the_real_layout_and_a_learnable_signal(tmp_path):
    folder = demo.write_generated_cifar10(tmp_path / "cifar-10-batches-py", n_train=100, n_test=40, seed=1)
    assert demo.find_cifar10([tmp_path / "elsewhere", tmp_path]) == folder
    batches = [read_cifar_batch(folder / f"data_batch_{k}") for k in range(1, 6)]
    assert [len(labels) for _, labels in batches] == [20] * 5
    assert all(data.dtype == np.uint8 and data.shape == (20, 3072) for data, _ in batches)
    X = np.concatenate([data for data, _ in batches]).astype(float)
    y = np.concatenate([labels for _, labels in batches])
    X_test, y_test = read_cifar_batch(folder / "test_batch")
    # nearest class mean on raw pixels: the colour blobs tell the classes apart
    centroids = np.stack([X[y == c].mean(axis=0) for c in range(10)])
    predictions = ((X_test[:, None].astype(float) - centroids[None]) ** 2).sum(axis=-1).argmin(axis=1)
    assert np.mean(predictions == y_test) > 0.9


def test_no_cifar10_or_ptb_anywhere(tmp_path):
    (tmp_path / "cifar-10-batches-py").mkdir()  # an incomplete folder does not count
    assert demo.find_cifar10([tmp_path]) is None and demo.find_ptb([tmp_path]) is None


def test_generated_ptb_follows_its_grammar(tmp_path):
    folder = demo.write_generated_ptb(tmp_path / "ptb", n_train=30, n_test=5, seed=2)
    assert demo.find_ptb([tmp_path]) == folder
    train = (folder / "train.txt").read_text().splitlines()
    assert len(train) == 30 and len((folder / "test.txt").read_text().splitlines()) == 5
    for line in train:
        words = line.split()
        assert line == f" {' '.join(words)} " and len(words) == len(demo.GRAMMAR)
        assert all(word in slot for word, slot in zip(words, demo.GRAMMAR))
    assert len({line for line in train}) > 10  # the choices vary


@pytest.mark.parametrize("options, message", [
    (dict(model="resnet9", cpp=True), "--cpp trains softmax regression only"),
    (dict(model="lstm", device="tpu"), "Unknown device 'tpu'"),
    (dict(model="softmax", plot="curve.png"), "--plot, --limit and --device are for hw4's models"),
    (dict(model="nn", limit=10), "--plot, --limit and --device are for hw4's models"),
])
def test_run_demo_refuses_options_that_do_not_apply(options, message):
    with pytest.raises(DlsysError, match=message):
        demo.run_demo(**options)


def test_resnet9_demo_trains_on_cifar10_from_the_data_dir(tmp_path):
    folder = demo.write_generated_cifar10(tmp_path / "cifar-10-batches-py", n_train=60, n_test=20, seed=3)
    plot = tmp_path / "resnet9.png"
    out, rows = run_dlsys_demo("--model", "resnet9", "--limit", "40", "--batch", "20", "--data-dir", str(tmp_path),
                               "--plot", str(plot))
    assert f"CIFAR-10 from {folder} (40 train / 10 test images)" in out
    assert "ResNet9 (needle, cpu), Adam lr 0.001" in out
    assert len(rows) == 2 and rows[1][1] < rows[0][1]  # two epochs by default; the training loss falls
    assert "Final test error:" in out
    assert plot.read_bytes().startswith(b"\x89PNG")


@pytest.mark.parametrize("kind", ["rnn", "lstm", "transformer"])
def test_language_model_demo_trains_on_a_generated_corpus(tmp_path, kind):
    out, rows = run_dlsys_demo("--model", kind, "--limit", "60", "--epochs", "3", "--data-dir", str(tmp_path))
    assert "a generated PTB-format corpus (first 60 lines" in out and f"LanguageModel ({kind}, needle, cpu)" in out
    assert len(rows) == 3
    train_losses = [row[1] for row in rows]
    assert train_losses[-1] < train_losses[0] - 0.3
    assert all(abs(row[2] - np.exp(row[1])) < 0.01 * row[2] for row in rows)  # perplexity = exp(loss)
    perplexity = float(out.split("Final test perplexity:")[1])
    assert perplexity == pytest.approx(rows[-1][4], rel=1e-3)


def test_language_model_demo_reads_ptb_from_the_data_dir(tmp_path):
    folder = demo.write_generated_ptb(tmp_path / "ptb", n_train=50, n_test=10, seed=4)
    out, rows = run_dlsys_demo("--model", "rnn", "--limit", "20", "--epochs", "1", "--data-dir", str(tmp_path))
    assert f"Penn Treebank from {folder} (first 20 lines: 140 train / 70 test words" in out
    assert len(rows) == 1
