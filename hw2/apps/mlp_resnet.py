"""A residual multi-layer perceptron for MNIST, built from needle's nn modules and trained
with needle's optimizers and DataLoader.

    from mlp_resnet import train_mnist
    train_err, train_loss, test_err, test_loss = train_mnist(data_dir="data")
"""
import sys

sys.path.append("../python")
import needle as ndl
import needle.nn as nn
import numpy as np
import time
import os

np.random.seed(0)


def ResidualBlock(dim, hidden_dim, norm=nn.BatchNorm1d, drop_prob=0.1):
    """Linear -> norm -> ReLU -> Dropout -> Linear -> norm, added to the input, then ReLU."""
    ### BEGIN YOUR SOLUTION
    return nn.Sequential(
        nn.Residual(
            nn.Sequential(
                nn.Linear(dim, hidden_dim),
                norm(hidden_dim),
                nn.ReLU(),
                nn.Dropout(drop_prob),
                nn.Linear(hidden_dim, dim),
                norm(dim),
            )
        ),
        nn.ReLU(),
    )
    ### END YOUR SOLUTION


def MLPResNet(
    dim,
    hidden_dim=100,
    num_blocks=3,
    num_classes=10,
    norm=nn.BatchNorm1d,
    drop_prob=0.1,
):
    """Linear(dim, hidden_dim) -> ReLU -> num_blocks ResidualBlocks of width hidden_dim
    (inner width hidden_dim // 2) -> Linear(hidden_dim, num_classes)."""
    ### BEGIN YOUR SOLUTION
    return nn.Sequential(
        nn.Linear(dim, hidden_dim),
        nn.ReLU(),
        *[ResidualBlock(hidden_dim, hidden_dim // 2, norm, drop_prob) for _ in range(num_blocks)],
        nn.Linear(hidden_dim, num_classes),
    )
    ### END YOUR SOLUTION


def epoch(dataloader, model, opt=None, progress=None):
    """One pass over `dataloader`: training (with `opt`) or evaluation (without).

    Images are flattened to (batch, features). Returns (error rate, mean loss) over every
    example of the epoch. The global numpy seed is reset to 4 first, as in the course, so
    that dropout masks and shuffling are reproducible. `progress`, when given, is called
    once per batch.
    """
    np.random.seed(4)
    ### BEGIN YOUR SOLUTION
    if opt is None:
        model.eval()
    else:
        model.train()
    loss_fn = nn.SoftmaxLoss()
    errors, total_loss, seen = 0, 0.0, 0
    for X, y in dataloader:
        batch = X.shape[0]
        logits = model(X.reshape((batch, -1)))
        loss = loss_fn(logits, y)
        if opt is not None:
            opt.reset_grad()
            loss.backward()
            opt.step()
        errors += int((logits.numpy().argmax(axis=1) != y.numpy()).sum())
        total_loss += float(loss.numpy()) * batch
        seen += batch
        if progress is not None:
            progress()
    return errors / seen, total_loss / seen
    ### END YOUR SOLUTION


def train_mnist(
    batch_size=100,
    epochs=10,
    optimizer=ndl.optim.Adam,
    lr=0.001,
    weight_decay=0.001,
    hidden_dim=100,
    data_dir="data",
):
    """Train MLPResNet(784, hidden_dim) on MNIST's training files in `data_dir`, then
    evaluate it on the test files. Returns (train error, train loss, test error, test loss),
    the training figures from the last epoch. Shows a progress bar over the batches."""
    np.random.seed(4)
    ### BEGIN YOUR SOLUTION
    train_set = ndl.data.MNISTDataset(
        os.path.join(data_dir, "train-images-idx3-ubyte.gz"), os.path.join(data_dir, "train-labels-idx1-ubyte.gz")
    )
    test_set = ndl.data.MNISTDataset(
        os.path.join(data_dir, "t10k-images-idx3-ubyte.gz"), os.path.join(data_dir, "t10k-labels-idx1-ubyte.gz")
    )
    train_loader = ndl.data.DataLoader(train_set, batch_size, shuffle=True)
    test_loader = ndl.data.DataLoader(test_set, batch_size)
    model = MLPResNet(784, hidden_dim)
    opt = optimizer(model.parameters(), lr=lr, weight_decay=weight_decay)
    with ProgressBar(epochs * len(train_loader) + len(test_loader), "train_mnist") as bar:
        for i in range(epochs):
            start = time.perf_counter()
            train_err, train_loss = epoch(train_loader, model, opt, progress=bar.advance)
            bar.log(f"epoch {i + 1}/{epochs}: train error {train_err:.4f}, train loss {train_loss:.4f}, "
                    f"{time.perf_counter() - start:.1f} s")
        test_err, test_loss = epoch(test_loader, model, progress=bar.advance)
        bar.log(f"test error {test_err:.4f}, test loss {test_loss:.4f}")
    return train_err, train_loss, test_err, test_loss
    ### END YOUR SOLUTION


class ProgressBar:
    """A one-line text progress bar on stderr (no dependency beyond the standard library).

    Example:
        >>> with ProgressBar(80, "epoch 1") as bar:
        ...     for batch in loader:
        ...         bar.advance()
    """

    def __init__(self, total, label="", width=30, stream=None):
        self.total, self.label, self.width = max(int(total), 1), label, width
        self.stream = stream or sys.stderr
        self.live = self.stream.isatty()  # redraw in place on a terminal; only log lines elsewhere
        self.done, self.start = 0, time.perf_counter()

    def advance(self, steps=1):
        self.done = min(self.done + steps, self.total)
        self._draw()

    def log(self, line):
        """Print a line above the bar."""
        self.stream.write(("\r\033[K" if self.live else "") + line + "\n")
        self._draw()

    def _draw(self):
        if not self.live:
            return
        filled = self.width * self.done // self.total
        elapsed = time.perf_counter() - self.start
        self.stream.write(f"\r{self.label} [{'#' * filled}{'.' * (self.width - filled)}] "
                          f"{self.done}/{self.total} {elapsed:.0f}s")
        self.stream.flush()

    def __enter__(self):
        self._draw()
        return self

    def __exit__(self, *exc):
        if self.live:
            self.stream.write("\n")
        self.stream.flush()
