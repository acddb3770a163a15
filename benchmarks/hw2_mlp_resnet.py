"""hw2's MLPResNet trained with Adam, twice: in needle (hw2's reference) and in PyTorch (when
installed), from the same initial weights on the same batches, with seconds per epoch side by side.

Data: MNIST when a data folder has it (with only the 10,000-image test set, its first 8,000
images train and the last 2,000 test); generated digit-like data otherwise. Hidden 100, batch
100, Adam lr 0.001, weight decay 0.001, as `train_mnist`. The two runs draw different dropout
masks, so their errors are close but not equal.

    python benchmarks/hw2_mlp_resnet.py [--epochs 5]
"""
import argparse
import time

import numpy as np

from autograder.devtools.demo import find_mnist, generated_digits, load_mlp_resnet, load_simple_ml
from autograder.paths import data_dirs

HIDDEN, BATCH, LR, WEIGHT_DECAY = 100, 100, 0.001, 0.001


def batches(num_examples, epochs, seed=4):
    """The same shuffled batches for both libraries: one permutation per epoch."""
    rng = np.random.default_rng(seed)
    return [np.array_split(order, range(BATCH, num_examples, BATCH))
            for order in (rng.permutation(num_examples) for _ in range(epochs))]


def error_rate(logits, y):
    return float((logits.argmax(axis=1) != y).mean())


def train_needle(mlp_resnet, data, schedule):
    """Returns seconds per epoch and the test error after the last epoch."""
    ndl, nn = mlp_resnet.ndl, mlp_resnet.nn
    np.random.seed(4)
    model = mlp_resnet.MLPResNet(data.X_train.shape[1], HIDDEN)
    initial = [p.numpy().copy() for p in model.parameters()]
    opt = ndl.optim.Adam(model.parameters(), lr=LR, weight_decay=WEIGHT_DECAY)
    loss_fn, seconds = nn.SoftmaxLoss(), []
    for epoch_batches in schedule:
        model.train()
        start = time.perf_counter()
        for indices in epoch_batches:
            loss = loss_fn(model(ndl.Tensor(data.X_train[indices])), ndl.Tensor(data.y_train[indices]))
            opt.reset_grad()
            loss.backward()
            opt.step()
        seconds.append(time.perf_counter() - start)
    model.eval()
    return seconds, error_rate(model(ndl.Tensor(data.X_test)).numpy(), data.y_test), initial


def train_torch(torch, data, schedule, initial):
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
    with torch.no_grad():
        for param, array in zip(model.parameters(), initial):
            param.copy_(torch.from_numpy(array.T.reshape(param.shape) if param.ndim == 2 else array.reshape(param.shape)))
    opt = torch.optim.Adam(model.parameters(), lr=LR, weight_decay=WEIGHT_DECAY)
    X, y = torch.from_numpy(data.X_train), torch.from_numpy(data.y_train.astype(np.int64))
    seconds = []
    for epoch_batches in schedule:
        model.train()
        start = time.perf_counter()
        for indices in epoch_batches:
            index = torch.from_numpy(indices)
            loss = nn.functional.cross_entropy(model(X[index]), y[index])
            opt.zero_grad()
            loss.backward()
            opt.step()
        seconds.append(time.perf_counter() - start)
    model.eval()
    with torch.no_grad():
        logits = model(torch.from_numpy(data.X_test)).numpy()
    return seconds, error_rate(logits, data.y_test)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=5)
    args = parser.parse_args()

    data = find_mnist(data_dirs(), load_simple_ml()) or generated_digits()
    schedule = batches(len(data.y_train), args.epochs)
    needle_seconds, needle_error, initial = train_needle(load_mlp_resnet(), data, schedule)
    rows = [("needle (hw2)", needle_seconds, needle_error)]
    try:
        import torch

        rows.append(("torch", *train_torch(torch, data, schedule, initial)))
    except ImportError:
        print("torch: not installed, skipped")

    print(f"MLPResNet, Adam: {data.source}; hidden {HIDDEN}, batch {BATCH}, lr {LR}, {args.epochs} epochs")
    print(f"{'implementation':<16}{'s/epoch':>10}{'fastest':>10}{'vs torch':>10}{'test err':>10}")
    torch_mean = np.mean(rows[-1][1]) if len(rows) > 1 else None
    for name, seconds, error in rows:
        ratio = f"{torch_mean / np.mean(seconds):>9.2f}x" if torch_mean else f"{'-':>10}"
        print(f"{name:<16}{np.mean(seconds):>10.3f}{min(seconds):>10.3f}{ratio}{error:>10.2%}")


if __name__ == "__main__":
    main()
