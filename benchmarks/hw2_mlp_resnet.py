"""hw2's MLPResNet trained with Adam, twice: in needle (hw2's reference) and in PyTorch (when
installed), from the same initial weights on the same batches, with seconds per epoch side by side.

Data: MNIST when a data folder has it (with only the 10,000-image test set, its first 8,000
images train and the last 2,000 test); generated digit-like data otherwise. Hidden 100, batch
100, Adam lr 0.001, weight decay 0.001, as `train_mnist`. The two runs draw different dropout
masks, so their errors are close but not equal. torch uses as many threads as the machine has
cores; needle's numpy does the same through its BLAS.

Columns: mean and fastest seconds per epoch, the ratio needle / torch of the fastest epochs
(lower is better; the fastest, as other work on the machine only ever slows an epoch down), the test error after the last epoch, and MB, the peak resident memory of training
above the resident memory after the imports, each library in a child process of its own over
40 batches (benchmarks/memory.py).

    python benchmarks/hw2_mlp_resnet.py [--epochs 5]
"""
import argparse
import sys
import time
from pathlib import Path

import numpy as np

from autograder.devtools.demo import find_mnist, generated_digits, load_mlp_resnet, load_simple_ml
from autograder.paths import data_dirs

sys.path.append(str(Path(__file__).resolve().parent))
import memory  # noqa: E402  (benchmarks/memory.py)

HIDDEN, BATCH, LR, WEIGHT_DECAY = 100, 100, 0.001, 0.001


def batches(num_examples, epochs, seed=4):
    """The same shuffled batches for both libraries: one permutation per epoch."""
    rng = np.random.default_rng(seed)
    return [np.array_split(order, range(BATCH, num_examples, BATCH))
            for order in (rng.permutation(num_examples) for _ in range(epochs))]


def error_rate(logits, y):
    return float((logits.argmax(axis=1) != y).mean())


def needle_trainer(data, mlp_resnet=None):
    """(train on one batch of indices, test error, initial weights) for needle's MLPResNet."""
    mlp_resnet = mlp_resnet or load_mlp_resnet()
    ndl, nn = mlp_resnet.ndl, mlp_resnet.nn
    np.random.seed(4)
    model = mlp_resnet.MLPResNet(data.X_train.shape[1], HIDDEN)
    initial = [p.numpy().copy() for p in model.parameters()]
    opt = ndl.optim.Adam(model.parameters(), lr=LR, weight_decay=WEIGHT_DECAY)
    loss_fn = nn.SoftmaxLoss()
    model.train()

    def train(indices):
        loss = loss_fn(model(ndl.Tensor(data.X_train[indices])), ndl.Tensor(data.y_train[indices]))
        opt.reset_grad()
        loss.backward()
        opt.step()

    def test_error():
        model.eval()
        return error_rate(model(ndl.Tensor(data.X_test)).numpy(), data.y_test)

    return train, test_error, initial


def torch_trainer(torch, data, initial=None):
    """The same network in PyTorch, needle's initial weights copied in (Linear weights transposed)."""
    nn = torch.nn

    def block(dim, hidden):
        return nn.Sequential(nn.Linear(dim, hidden), nn.BatchNorm1d(hidden), nn.ReLU(), nn.Dropout(0.1),
                             nn.Linear(hidden, dim), nn.BatchNorm1d(dim))

    class ResidualBlock(nn.Module):
        def __init__(self, dim, hidden):
            super().__init__()
            self.fn = block(dim, hidden)

        def forward(self, x):
            return torch.relu(self.fn(x) + x)

    model = nn.Sequential(nn.Linear(data.X_train.shape[1], HIDDEN), nn.ReLU(),
                          *[ResidualBlock(HIDDEN, HIDDEN // 2) for _ in range(3)], nn.Linear(HIDDEN, 10))
    if initial is not None:
        with torch.no_grad():
            for param, array in zip(model.parameters(), initial):
                param.copy_(torch.from_numpy(array.T.reshape(param.shape) if param.ndim == 2
                                             else array.reshape(param.shape)))
    opt = torch.optim.Adam(model.parameters(), lr=LR, weight_decay=WEIGHT_DECAY)
    X, y = torch.from_numpy(data.X_train), torch.from_numpy(data.y_train.astype(np.int64))
    model.train()

    def train(indices):
        index = torch.from_numpy(indices)
        loss = nn.functional.cross_entropy(model(X[index]), y[index])
        opt.zero_grad()
        loss.backward()
        opt.step()

    def test_error():
        model.eval()
        with torch.no_grad():
            return error_rate(model(torch.from_numpy(data.X_test)).numpy(), data.y_test)

    return train, test_error


def timed_epochs(train, schedule):
    """Seconds per epoch of `train` over each epoch's batches."""
    seconds = []
    for epoch_batches in schedule:
        start = time.perf_counter()
        for indices in epoch_batches:
            train(indices)
        seconds.append(time.perf_counter() - start)
    return seconds


def load_data():
    return find_mnist(data_dirs(), load_simple_ml()) or generated_digits()


def memory_child(library):
    """In a child process: train 40 batches with `library` and print memory.report's line."""
    data = load_data()
    if library == "torch":
        import torch
    baseline = memory.resident_mb()
    train = needle_trainer(data)[0] if library == "needle" else torch_trainer(torch, data)[0]
    schedule = [indices for epoch in batches(len(data.y_train), 1) for indices in epoch]
    done = 0

    def run_steps(n):
        nonlocal done
        for _ in range(n):
            train(schedule[done % len(schedule)])
            done += 1

    memory.report(baseline, run_steps, warmup=5, steps=35)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--memory-child", choices=["needle", "torch"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        memory_child(args.memory_child)
        return

    data = load_data()
    schedule = batches(len(data.y_train), args.epochs)
    train, test_error, initial = needle_trainer(data)
    rows = [("needle (hw2)", timed_epochs(train, schedule), test_error(), memory.measure(__file__, ["needle"]))]
    try:
        import torch
    except ImportError:
        print("torch: not installed, skipped")
    else:
        train, test_error = torch_trainer(torch, data, initial)
        rows.append(("torch", timed_epochs(train, schedule), test_error(), memory.measure(__file__, ["torch"])))

    print(f"MLPResNet, Adam: {data.source}; hidden {HIDDEN}, batch {BATCH}, lr {LR}, {args.epochs} epochs")
    print(f"{'implementation':<16}{'s/epoch':>10}{'fastest':>10}{'ratio':>9}{'test err':>10}{'MB':>8}")
    torch_fastest = min(rows[-1][1]) if len(rows) > 1 else None
    for name, seconds, error, found in rows:
        ratio = f"{min(seconds) / torch_fastest:>8.2f}x" if torch_fastest else f"{'-':>9}"
        megabytes = memory.step_mb(found)
        shown = f"{'-':>8}" if megabytes is None else f"{megabytes:>8.0f}"
        print(f"{name:<16}{np.mean(seconds):>10.3f}{min(seconds):>10.3f}{ratio}{error:>10.2%}{shown}")
    if torch_fastest:
        print("ratio = needle's fastest epoch / torch's (lower is better)")


if __name__ == "__main__":
    main()
