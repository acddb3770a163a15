"""The main job's data discovery and training on generated data."""
import subprocess
import sys

import numpy as np
import pytest

from autograder import demo
from autograder.errors import DlsysError
from conftest import write_mnist_pair


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
