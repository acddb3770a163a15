"""Train a CharGPT on the standard library's sources: Adam, random windows, a time budget.

Every `eval_every` steps the loss on a fixed set of validation windows is measured and logged;
at the end the full curve goes to a PNG and the model to a checkpoint.
"""
import json
import math
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ._needle import HW4, ndl, nn
from .checkpoint import save
from .corpus import Corpus, random_windows, unigram_loss
from .model import CharGPT, GPTConfig

sys.path.append(str(HW4 / "apps"))
from simple_ml import ProgressBar, clip_grad_norm  # noqa: E402  (hw4/apps, after the path set-up)


@dataclass
class TrainSettings:
    steps: int = 3000
    minutes: float = 8.0        # stop early when the budget is spent
    batch: int = 32
    length: int | None = None   # characters per training window; None: the model's context
    lr: float = 5e-3            # the peak, after `warmup` steps; then a cosine down to lr_min
    lr_min: float = 3e-4
    warmup: int = 50
    clip: float = 1.0
    eval_every: int = 100
    eval_windows: int = 64
    seed: int = 0


def learning_rate(settings: TrainSettings, step: int, progress: float) -> float:
    """Linear warm-up over `warmup` steps, then a cosine from lr to lr_min as `progress` (the
    larger of the fractions of steps and of the time budget spent) goes from 0 to 1."""
    if step <= settings.warmup:
        return settings.lr * step / settings.warmup
    return settings.lr_min + 0.5 * (settings.lr - settings.lr_min) * (1 + math.cos(math.pi * min(progress, 1.0)))


def evaluate(model: CharGPT, windows: np.ndarray, batch: int = 32) -> float:
    """Mean cross-entropy (nats per character) of next-character prediction over `windows` (n, length + 1)."""
    loss_fn, total = nn.SoftmaxLoss(), 0.0
    for start in range(0, len(windows), batch):
        chunk = windows[start:start + batch]
        logits = model(chunk[:, :-1])
        targets = ndl.Tensor(chunk[:, 1:].reshape(-1).astype(np.float32), device=model.device, requires_grad=False)
        total += float(loss_fn(logits, targets).numpy()) * len(chunk)
    return total / len(windows)


def train(corpus: Corpus, config: GPTConfig, settings: TrainSettings, log=print):
    """Returns (model, history): history has the config, settings, timing and the loss curves."""
    length = settings.length or config.context
    if length > config.context:
        raise ValueError(f"train: windows of {length} characters exceed the model's context of {config.context}")
    np.random.seed(settings.seed)  # needle's initialisers draw from numpy's global generator
    rng = np.random.default_rng(settings.seed)
    model = CharGPT(config)
    optimizer = ndl.optim.Adam(model.parameters(), lr=settings.lr)
    loss_fn = nn.SoftmaxLoss()
    validation = random_windows(corpus.validation, settings.eval_windows, length, np.random.default_rng(1))
    history = {"config": config.to_dict(), "settings": vars(settings).copy(),
               "unigram_loss": unigram_loss(corpus.train, corpus.validation),
               "parameters": int(sum(p.numpy().size for p in model.parameters())),
               "train": [], "validation": []}
    log(f"{corpus.describe()}; {history['parameters']:,} parameters; "
        f"unigram baseline {history['unigram_loss']:.3f} nats/char")
    start = time.perf_counter()
    recent = []
    with ProgressBar(settings.steps, "train") as bar:
        for step in range(1, settings.steps + 1):
            progress = max(step / settings.steps, (time.perf_counter() - start) / (settings.minutes * 60))
            optimizer.lr = learning_rate(settings, step, progress)
            window = random_windows(corpus.train, settings.batch, length, rng)
            targets = ndl.Tensor(window[:, 1:].reshape(-1).astype(np.float32), device=model.device,
                                 requires_grad=False)
            loss = loss_fn(model(window[:, :-1]), targets)
            optimizer.reset_grad()
            loss.backward()
            clip_grad_norm(optimizer.params, settings.clip)
            optimizer.step()
            recent.append(float(loss.numpy()))
            bar.advance()
            out_of_time = time.perf_counter() - start > settings.minutes * 60
            if step % settings.eval_every == 0 or step == settings.steps or out_of_time:
                train_loss = float(np.mean(recent))
                recent = []
                validation_loss = evaluate(model, validation)
                elapsed = time.perf_counter() - start
                history["train"].append((step, train_loss))
                history["validation"].append((step, validation_loss))
                bar.log(f"step {step}: train {train_loss:.3f}, validation {validation_loss:.3f} nats/char, "
                        f"{elapsed:.0f} s")
            if out_of_time:
                break
    history["steps"] = step
    history["seconds"] = time.perf_counter() - start
    return model, history


def save_curve(path: Path, history: dict):
    """A PNG of the training and validation loss per step, with the unigram baseline."""
    from matplotlib.figure import Figure  # no pyplot: no GUI backend

    figure = Figure(figsize=(6, 3.5), layout="constrained")
    axes = figure.subplots()
    for name in ("train", "validation"):
        steps, losses = zip(*history[name])
        axes.plot(steps, losses, marker=".", label=name)
    axes.axhline(history["unigram_loss"], color="grey", linestyle="--", label="unigram baseline")
    axes.set_xlabel("step")
    axes.set_ylabel("cross-entropy (nats / char)")
    axes.grid(alpha=0.3)
    axes.legend()
    figure.suptitle("CharGPT on the standard library (needle, CPU)")
    figure.savefig(path, dpi=80)


def write_outputs(model: CharGPT, history: dict, out: Path) -> dict[str, Path]:
    out.mkdir(parents=True, exist_ok=True)
    paths = {"checkpoint": out / "chargpt.npz", "curve": out / "loss_curve.png", "history": out / "history.json"}
    save(model, paths["checkpoint"])
    save_curve(paths["curve"], history)
    paths["history"].write_text(json.dumps(history, indent=1))
    return paths
