"""Training and evaluation loops for hw4's models: ResNet9 on CIFAR-10 and language models on
the Penn Treebank, with needle's optimizers.

    from models import ResNet9
    from simple_ml import train_cifar10, evaluate_cifar10
    loader = ndl.data.DataLoader(ndl.data.CIFAR10Dataset("data/cifar-10-batches-py", True), 128, shuffle=True)
    train_acc, train_loss = train_cifar10(ResNet9(), loader, n_epochs=10, plot="resnet9.png")

Every function resets numpy's global seed to 4 first, as the course does, so dropout masks
and shuffles are reproducible.
"""
import sys
import time

sys.path.append("python/")
import needle as ndl
import needle.nn as nn
import numpy as np


### CIFAR-10 training ###
def epoch_general_cifar10(dataloader, model, loss_fn=nn.SoftmaxLoss(), opt=None, progress=None):
    """One pass over `dataloader`: training (model.train(), a step of `opt` per batch) when
    `opt` is given, evaluation (model.eval()) otherwise.

    Returns (average accuracy, average loss) over every example of the epoch: each batch's
    mean loss counts once per example in it. `progress`, when given, is called once per batch.
    """
    np.random.seed(4)
    ### BEGIN YOUR SOLUTION
    if opt is None:
        model.eval()
    else:
        model.train()
    correct, total_loss, seen = 0, 0.0, 0
    for X, y in dataloader:
        logits = model(X)
        loss = loss_fn(logits, y)
        if opt is not None:
            opt.reset_grad()
            loss.backward()
            opt.step()
        batch = y.shape[0]
        correct += int((logits.numpy().argmax(axis=1) == y.numpy()).sum())
        total_loss += float(loss.numpy()) * batch
        seen += batch
        if progress is not None:
            progress()
    return correct / seen, total_loss / seen
    ### END YOUR SOLUTION


def train_cifar10(model, dataloader, n_epochs=1, optimizer=ndl.optim.Adam,
                  lr=0.001, weight_decay=0.001, loss_fn=nn.SoftmaxLoss, plot=None):
    """Train `model` for `n_epochs` passes over `dataloader` with `optimizer(model.parameters(),
    lr=lr, weight_decay=weight_decay)`; `loss_fn` is a class, instantiated once.

    Returns (average accuracy, average loss) of the last epoch. Shows a progress bar over the
    batches; with `plot` (a PNG path), saves the per-epoch curve there. Each epoch's (accuracy,
    loss) goes into `history`, which the plot is drawn from.
    """
    np.random.seed(4)
    history = []
    ### BEGIN YOUR SOLUTION
    opt = optimizer(model.parameters(), lr=lr, weight_decay=weight_decay)
    loss = loss_fn()
    with ProgressBar(n_epochs * len(dataloader), "train_cifar10") as bar:
        for number in range(1, n_epochs + 1):
            start = time.perf_counter()
            history.append(epoch_general_cifar10(dataloader, model, loss, opt, progress=bar.advance))
            bar.log(f"epoch {number}/{n_epochs}: accuracy {history[-1][0]:.4f}, loss {history[-1][1]:.4f}, "
                    f"{time.perf_counter() - start:.1f} s")
    ### END YOUR SOLUTION
    if plot is not None:
        save_curve(plot, {"train": history}, "train_cifar10")
    return history[-1]


def evaluate_cifar10(model, dataloader, loss_fn=nn.SoftmaxLoss):
    """Returns (average accuracy, average loss) of `model` in eval mode over `dataloader`;
    `loss_fn` is a class."""
    np.random.seed(4)
    ### BEGIN YOUR SOLUTION
    return epoch_general_cifar10(dataloader, model, loss_fn())
    ### END YOUR SOLUTION


### PTB training ###
def clip_grad_norm(params, max_norm):
    """Scale every gradient by max_norm / total_norm when the norm of all gradients together,
    total_norm = sqrt(sum of every squared entry), exceeds `max_norm` (needle's optimizers
    do not clip). Parameters without a gradient are skipped. Returns total_norm."""
    ### BEGIN YOUR SOLUTION
    grads = [p for p in params if getattr(p, "grad", None) is not None]
    total = float(np.sqrt(sum(float((p.grad.data * p.grad.data).sum().numpy()) for p in grads)))
    if total > max_norm:
        for p in grads:
            p.grad = (p.grad.data * (max_norm / total)).detach()
    return total
    ### END YOUR SOLUTION


def epoch_general_ptb(data, model, seq_len=40, loss_fn=nn.SoftmaxLoss(), opt=None,
                      clip=None, device=None, dtype="float32", progress=None):
    """One pass over `data`, batchify's (nbatch, bs) array of word ids, in chunks of `seq_len`
    rows (get_batch at i = 0, seq_len, 2 seq_len, ...; the last chunk may be shorter):
    training (model.train(), a step of `opt` per chunk, gradients clipped to norm `clip` when
    given) when `opt` is given, evaluation (model.eval()) otherwise.

    The hidden state starts at None and is carried from chunk to chunk, detached, so that
    gradients stop at the chunk's start (truncated backpropagation through time).

    Returns (average accuracy, average loss) over every target word: each chunk's mean loss
    counts once per target word in it. `progress`, when given, is called once per chunk.
    """
    np.random.seed(4)
    if not isinstance(data, np.ndarray) or data.ndim != 2 or data.shape[0] < 2:
        raise ValueError(f"epoch_general_ptb: expected batchify's (nbatch, bs) array with nbatch >= 2, got "
                         f"{getattr(data, 'shape', type(data).__name__)}")
    ### BEGIN YOUR SOLUTION
    if opt is None:
        model.eval()
    else:
        model.train()
    nbatch = data.shape[0]
    h = None
    correct, total_loss, seen = 0, 0.0, 0
    for i in range(0, nbatch - 1, seq_len):
        X, y = ndl.data.get_batch(data, i, seq_len, device=device, dtype=dtype)
        logits, h = model(X, h)
        loss = loss_fn(logits, y)
        if opt is not None:
            opt.reset_grad()
            loss.backward()
            if clip is not None:
                clip_grad_norm(opt.params, clip)
            opt.step()
        # the next chunk starts from this state's value, not from its graph
        h = tuple(state.detach() for state in h) if isinstance(h, tuple) else h.detach()
        tokens = y.shape[0]
        correct += int((logits.numpy().argmax(axis=1) == y.numpy()).sum())
        total_loss += float(loss.numpy()) * tokens
        seen += tokens
        if progress is not None:
            progress()
    return correct / seen, total_loss / seen
    ### END YOUR SOLUTION


def train_ptb(model, data, seq_len=40, n_epochs=1, optimizer=ndl.optim.SGD,
              lr=4.0, weight_decay=0.0, loss_fn=nn.SoftmaxLoss, clip=None,
              device=None, dtype="float32", plot=None):
    """Train a LanguageModel for `n_epochs` passes over `data` (batchify's array) with
    `optimizer(model.parameters(), lr=lr, weight_decay=weight_decay)`; `loss_fn` is a class,
    instantiated once; `clip` as in epoch_general_ptb.

    Returns (average accuracy, average loss) of the last epoch. Shows a progress bar over the
    chunks; with `plot` (a PNG path), saves the per-epoch curve there. Each epoch's (accuracy,
    loss) goes into `history`, which the plot is drawn from.
    """
    np.random.seed(4)
    history = []
    ### BEGIN YOUR SOLUTION
    opt = optimizer(model.parameters(), lr=lr, weight_decay=weight_decay)
    loss = loss_fn()
    chunks = len(range(0, data.shape[0] - 1, seq_len))
    with ProgressBar(n_epochs * chunks, "train_ptb") as bar:
        for number in range(1, n_epochs + 1):
            start = time.perf_counter()
            history.append(epoch_general_ptb(data, model, seq_len, loss, opt, clip, device, dtype,
                                             progress=bar.advance))
            bar.log(f"epoch {number}/{n_epochs}: accuracy {history[-1][0]:.4f}, loss {history[-1][1]:.4f}, "
                    f"{time.perf_counter() - start:.1f} s")
    ### END YOUR SOLUTION
    if plot is not None:
        save_curve(plot, {"train": history}, "train_ptb")
    return history[-1]


def evaluate_ptb(model, data, seq_len=40, loss_fn=nn.SoftmaxLoss, device=None, dtype="float32"):
    """Returns (average accuracy, average loss) of `model` in eval mode over `data`;
    `loss_fn` is a class."""
    np.random.seed(4)
    ### BEGIN YOUR SOLUTION
    return epoch_general_ptb(data, model, seq_len, loss_fn(), device=device, dtype=dtype)
    ### END YOUR SOLUTION


def save_curve(path, series, title=""):
    """Save a PNG of loss (left) and accuracy (right) per epoch, one line per entry of `series`,
    a dict of name -> list of (accuracy, loss). matplotlib is imported here, only when a plot is asked for."""
    from matplotlib.figure import Figure  # no pyplot: no GUI backend, no global state
    from matplotlib.ticker import MaxNLocator

    figure = Figure(figsize=(9, 3.5), layout="constrained")
    loss_axes, accuracy_axes = figure.subplots(1, 2)
    for name, rows in series.items():
        epochs = range(1, len(rows) + 1)
        loss_axes.plot(epochs, [loss for _, loss in rows], marker="o", label=name)
        accuracy_axes.plot(epochs, [accuracy for accuracy, _ in rows], marker="o", label=name)
    for axes, label in ((loss_axes, "loss"), (accuracy_axes, "accuracy")):
        axes.set_xlabel("epoch")
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes.set_ylabel(label)
        axes.grid(alpha=0.3)
        axes.legend()
    figure.suptitle(title)
    figure.savefig(path, dpi=100)


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
