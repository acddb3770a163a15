"""hw4's models trained with needle beside the same models in PyTorch: ms per training step.

One step is what a training loop does for one batch: reset the gradients, forward, the loss
(softmax cross-entropy), backward, and the optimizer's update. Three models, from hw4/apps:
  - ResNet9 on a batch of 3 x 32 x 32 images (Adam, as hw4 trains it on CIFAR-10);
  - a language model: Embedding -> nn.LSTM (1 layer) -> Linear to the vocabulary (SGD);
  - the same language model around nn.Transformer (2 layers, needle's default 8 heads of 32).
The PyTorch models mirror needle's layer by layer (Conv2d + BatchNorm2d + ReLU blocks; LSTM;
pre-norm attention with a LayerNorm for each of q, k and v, projections without bias, a causal
mask and a learned positional embedding), float32, with their own initial weights. The data are
random: a step does the same work whatever the values.

Columns: needle on `cpu()` (the C++ backend) and torch on the CPU with torch.set_num_threads
set to the threads needle's OpenMP uses ($OMP_NUM_THREADS, else every core; OMP_NUM_THREADS=1
compares one thread with one thread, which other work on the machine disturbs least); needle
`cuda()` and torch on the GPU when one answers, with the loss copied to the host at the end of
each step (needle) or a device-wide synchronise (torch). The ratio is needle's time over
torch's: lower is better.

Method. Each figure is the best of 3 rounds x `--repeats` steps; in a round each library runs
its model in a block of its own (one untimed step, then the timed ones), blocks alternating, as
in benchmarks/ndarray.py (threads left spinning by one library would otherwise slow the other).
Before the timed steps the objects that already exist (both libraries' modules, the models) are
frozen out of Python's cycle collector (gc.freeze): torch's ~150,000 objects would otherwise be
rescanned by every full collection that needle's many small objects trigger, a cost a process
training with needle alone does not pay. The header shows the load average the run started
with: other work on 2 cores skews the figures.

Memory (CPU): the peak resident memory of training each model, above the resident memory after
the imports, each library in a child process of its own (benchmarks/memory.py), over 33 steps;
"needle growth" is how much needle's resident memory grew between step 3 and step 33.

    python benchmarks/models.py [--quick] [--device cpu|cuda|all] [--repeats N] [--profile]

--quick is a smoke test: tiny sizes, 1 step per block, 1 round. --profile prints, after the
tables, where needle's CPU step spends its time (cProfile, top functions by own time).
"""
import argparse
import cProfile
import gc
import os
import pstats
import sys
import time
from pathlib import Path

import numpy as np

HW4 = Path(__file__).resolve().parents[1] / "hw4"
sys.path[:0] = [str(HW4 / "python"), str(HW4 / "apps")]
sys.path.append(str(Path(__file__).resolve().parent))  # after hw4/apps: its models.py, not this one
import memory  # noqa: E402  (benchmarks/memory.py)
import needle as ndl  # noqa: E402  (after the path set-up)
import needle.nn as nn  # noqa: E402
from models import LanguageModel, ResNet9  # noqa: E402  (hw4/apps/models.py)

try:
    import torch
    import torch.nn as tnn
except ImportError:
    torch = None

# (name, sizes) for the full run and for --quick
SIZES = {
    "resnet9": ({"batch": 128}, {"batch": 4}),
    "lstm": ({"vocab": 1000, "embedding": 64, "hidden": 128, "seq_len": 32, "batch": 16},
             {"vocab": 50, "embedding": 8, "hidden": 16, "seq_len": 4, "batch": 2}),
    "transformer": ({"vocab": 1000, "embedding": 64, "hidden": 128, "layers": 2, "seq_len": 32, "batch": 16},
                    {"vocab": 50, "embedding": 8, "hidden": 16, "layers": 2, "seq_len": 4, "batch": 2}),
}


def describe(name, size):
    if name == "resnet9":
        return f"ResNet9, batch {size['batch']} of 3x32x32, Adam"
    if name == "lstm":
        return (f"LSTM LM, vocab {size['vocab']}, emb {size['embedding']}, hidden {size['hidden']}, "
                f"seq {size['seq_len']} x batch {size['batch']}, SGD")
    return (f"Transformer LM, vocab {size['vocab']}, emb {size['embedding']}, hidden {size['hidden']}, "
            f"{size['layers']} layers, 8x32 heads, seq {size['seq_len']} x batch {size['batch']}, SGD")


def make_data(name, size, rng):
    """Inputs and integer labels as numpy arrays (float32 word ids for the language models)."""
    if name == "resnet9":
        return (rng.standard_normal((size["batch"], 3, 32, 32), dtype=np.float32),
                rng.integers(0, 10, size["batch"]))
    x = rng.integers(0, size["vocab"], (size["seq_len"], size["batch"])).astype(np.float32)
    return x, rng.integers(0, size["vocab"], size["seq_len"] * size["batch"])


# --- needle ---------------------------------------------------------------------------------

def needle_model(name, size, device):
    if name == "resnet9":
        model = ResNet9(device=device)
        return model, ndl.optim.Adam(model.parameters(), lr=0.001)
    kind = "lstm" if name == "lstm" else "transformer"
    model = LanguageModel(size["embedding"], size["vocab"], size["hidden"], num_layers=size.get("layers", 1),
                          seq_model=kind, seq_len=size["seq_len"], device=device)
    return model, ndl.optim.SGD(model.parameters(), lr=0.1)


def needle_step(name, size, device, rng):
    """A function running one training step of the model on `device`."""
    model, opt = needle_model(name, size, device)
    X, y = make_data(name, size, rng)
    x, y = ndl.Tensor(X, device=device, requires_grad=False), ndl.Tensor(y, device=device, requires_grad=False)
    loss_fn = nn.SoftmaxLoss()
    model.train()

    def step():
        opt.reset_grad()
        out = model(x)
        logits = out if name == "resnet9" else out[0]
        loss = loss_fn(logits, y)
        loss.backward()
        opt.step()
        return loss.numpy()  # on the GPU this waits for the step to finish

    return step


# --- torch ----------------------------------------------------------------------------------

def torch_models():
    """The torch twins of hw4's models (defined only when torch is there)."""

    class Residual(tnn.Module):
        def __init__(self, fn):
            super().__init__()
            self.fn = fn

        def forward(self, x):
            return self.fn(x) + x

    def conv_bn(a, b, k, s):
        return tnn.Sequential(tnn.Conv2d(a, b, k, stride=s, padding=k // 2), tnn.BatchNorm2d(b), tnn.ReLU())

    def resnet9():
        return tnn.Sequential(
            conv_bn(3, 16, 7, 4), conv_bn(16, 32, 3, 2),
            Residual(tnn.Sequential(conv_bn(32, 32, 3, 1), conv_bn(32, 32, 3, 1))),
            conv_bn(32, 64, 3, 2), conv_bn(64, 128, 3, 2),
            Residual(tnn.Sequential(conv_bn(128, 128, 3, 1), conv_bn(128, 128, 3, 1))),
            tnn.Flatten(), tnn.Linear(128, 128), tnn.ReLU(), tnn.Linear(128, 10))

    class TransformerLayer(tnn.Module):
        """needle's pre-norm layer: LayerNorm'd q, k, v, heads without bias, causal attention."""

        def __init__(self, features, hidden, heads=8, dim_head=32):
            super().__init__()
            self.heads, self.dim_head = heads, dim_head
            self.norm_q, self.norm_k, self.norm_v = (tnn.LayerNorm(features) for _ in range(3))
            self.q, self.k, self.v = (tnn.Linear(features, heads * dim_head, bias=False) for _ in range(3))
            self.out = tnn.Linear(heads * dim_head, features, bias=False)
            self.norm = tnn.LayerNorm(features)
            self.linear1, self.linear2 = tnn.Linear(features, hidden), tnn.Linear(hidden, features)

        def forward(self, x):
            batch, length, _ = x.shape

            def split(t):
                return t.reshape(batch, length, self.heads, self.dim_head).transpose(1, 2)

            q, k, v = split(self.q(self.norm_q(x))), split(self.k(self.norm_k(x))), split(self.v(self.norm_v(x)))
            scores = q @ k.transpose(-1, -2) / self.dim_head ** 0.5
            mask = torch.triu(torch.full((length, length), float("-inf"), device=x.device), 1)
            attended = torch.softmax(scores + mask, dim=-1) @ v
            x = x + self.out(attended.transpose(1, 2).reshape(batch, length, -1))
            return x + self.linear2(torch.relu(self.linear1(self.norm(x))))

    class Transformer(tnn.Module):
        def __init__(self, features, hidden, layers, seq_len):
            super().__init__()
            self.position = tnn.Embedding(seq_len, features)
            self.layers = tnn.Sequential(*[TransformerLayer(features, hidden) for _ in range(layers)])

        def forward(self, x):  # (seq_len, batch, features), as needle's default
            x = x.transpose(0, 1)
            x = self.layers(x + self.position(torch.arange(x.shape[1], device=x.device)))
            return x.transpose(0, 1), None

    class LanguageModel(tnn.Module):
        def __init__(self, kind, size):
            super().__init__()
            self.embedding = tnn.Embedding(size["vocab"], size["embedding"])
            if kind == "lstm":
                self.seq_model = tnn.LSTM(size["embedding"], size["hidden"], 1)
                features = size["hidden"]
            else:
                self.seq_model = Transformer(size["embedding"], size["hidden"], size["layers"], size["seq_len"])
                features = size["embedding"]
            self.linear = tnn.Linear(features, size["vocab"])

        def forward(self, x):
            out, _ = self.seq_model(self.embedding(x))
            return self.linear(out.reshape(-1, out.shape[-1]))

    return resnet9, LanguageModel


def torch_step(name, size, device, rng):
    resnet9, LanguageModel = torch_models()
    X, y = make_data(name, size, rng)
    if name == "resnet9":
        model = resnet9().to(device)
        opt = torch.optim.Adam(model.parameters(), lr=0.001)
        x = torch.from_numpy(X).to(device)
    else:
        model = LanguageModel(name, size).to(device)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        x = torch.from_numpy(X).long().to(device)
    y = torch.from_numpy(y).long().to(device)
    model.train()

    def step():
        opt.zero_grad(set_to_none=True)
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        if device == "cuda":
            torch.cuda.synchronize()

    return step


# --- timing and tables ----------------------------------------------------------------------

def best_ms(fns, repeats, rounds):
    """The best time of each function in ms: `rounds` rounds, each running every function in a
    block of its own, one untimed call and then `repeats` timed ones."""
    best = [float("inf")] * len(fns)
    for _ in range(rounds):
        for i, fn in enumerate(fns):
            fn()  # warm-up: allocations, caches, the library's threads waking up
            for _ in range(repeats):
                start = time.perf_counter()
                fn()
                best[i] = min(best[i], (time.perf_counter() - start) * 1e3)
    return best


def table(title, columns, rows, memory_columns=()):
    """rows: (label, [ms per column], [MB per memory column]); the ratio is the first column
    over the second. A memory figure that could not be measured shows as "-"."""
    width = max(len(label) for label, _, _ in rows) + 2
    print(f"\n{title}\n{'model':<{width}}" + "".join(f"{c:>14}" for c in columns)
          + (f"{'ratio':>9}" if len(columns) > 1 else "") + "".join(f"{c:>14}" for c in memory_columns))
    for label, values, megabytes in rows:
        ratio = f"{values[0] / values[1]:>8.2f}x" if len(values) > 1 else ""
        shown = "".join(f"{'-':>14}" if mb is None else f"{mb:>14.0f}" for mb in megabytes)
        print(f"{label:<{width}}" + "".join(f"{v:>14.1f}" for v in values) + ratio + shown)


def memory_figures(name, quick, with_torch):
    """[needle MB, (torch MB,) needle growth MB] of training `name` on the CPU, each library in
    a child process (see the module docstring)."""
    args = [name] + (["--quick"] if quick else [])
    needle = memory.measure(__file__, ["needle"] + args)
    figures = [memory.step_mb(needle)]
    if with_torch:
        figures.append(memory.step_mb(memory.measure(__file__, ["torch"] + args)))
    figures.append(None if needle is None else needle["after"] - needle["after_warmup"])
    return figures


def memory_child(library, name, quick):
    """In a child process: train one model on the CPU and print memory.report's line."""
    baseline = memory.resident_mb()
    size = SIZES[name][1 if quick else 0]
    make = needle_step if library == "needle" else torch_step
    step = make(name, size, ndl.cpu() if library == "needle" else "cpu", np.random.default_rng(0))

    def run_steps(n):
        for _ in range(n):
            step()

    memory.report(baseline, run_steps, warmup=1 if quick else 3, steps=2 if quick else 30)


def bench(args, device_name):
    """The table for one device: needle's and torch's ms per step for every model."""
    device = ndl.cpu() if device_name == "cpu" else ndl.cuda()
    if not device.enabled():
        print(f"\n{device_name}: needle's {device_name}() backend is not built or no GPU answers; skipped")
        return
    torch_device = device_name if torch is not None and (device_name == "cpu" or torch.cuda.is_available()) else None
    repeats = args.repeats or (1 if args.quick else 5)
    rounds = 1 if args.quick else 3
    columns = [f"needle {device_name}"] + ([f"torch {device_name}"] if torch_device else [])
    memory_columns = (["needle MB"] + (["torch MB"] if torch_device else []) + ["needle growth"]
                      if device_name == "cpu" else [])
    rows = []
    for name, (full, quick) in SIZES.items():
        size = quick if args.quick else full
        rng = np.random.default_rng(0)
        fns = [needle_step(name, size, device, rng)]
        if torch_device:
            torch.manual_seed(0)
            fns.append(torch_step(name, size, torch_device, np.random.default_rng(0)))
        gc.collect()
        gc.freeze()  # see the module docstring: what exists now is not rescanned by every collection
        timings = best_ms(fns, repeats, rounds)
        gc.unfreeze()
        megabytes = memory_figures(name, args.quick, bool(torch_device)) if memory_columns else []
        rows.append((describe(name, size), timings, megabytes))
    where = "CPU" if device_name == "cpu" else "CUDA"
    table(f"{where}: ms per training step (best of {rounds} x {repeats}); ratio = needle / torch"
          + ("; MB = peak resident memory of training, above the imports" if memory_columns else ""),
          columns, rows, memory_columns)


def profile(args):
    """Where needle's CPU step spends its time: cProfile's top functions by own time."""
    for name, (full, quick) in SIZES.items():
        step = needle_step(name, quick if args.quick else full, ndl.cpu(), np.random.default_rng(0))
        step()
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(1 if args.quick else 3):
            step()
        profiler.disable()
        print(f"\nprofile of needle cpu(), {name}:")
        pstats.Stats(profiler, stream=sys.stdout).sort_stats("tottime").print_stats(15)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smoke test: tiny sizes, 1 step per block, 1 round")
    parser.add_argument("--device", choices=["cpu", "cuda", "all"], default="all")
    parser.add_argument("--repeats", type=int, default=None, help="timed steps per block (default 5, 1 with --quick)")
    parser.add_argument("--profile", action="store_true", help="then profile needle's CPU steps with cProfile")
    parser.add_argument("--memory-child", nargs=2, metavar=("LIBRARY", "MODEL"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        memory_child(*args.memory_child, args.quick)
        return
    threads = int(os.environ.get("OMP_NUM_THREADS", os.cpu_count()))  # what needle's OpenMP uses
    if torch is not None:
        torch.set_num_threads(threads)
    env = " ".join(f"{k}={os.environ[k]}" for k in ("OMP_NUM_THREADS", "OMP_WAIT_POLICY") if k in os.environ)
    print("needle (hw4) vs " + (f"torch {torch.__version__} ({torch.get_num_threads()} threads, as many as "
                                 f"needle's OpenMP)" if torch else "nothing (torch is not installed)")
          + f" on {os.cpu_count()} cores" + (f"; {env}" if env else "")
          + f"; load average {os.getloadavg()[0]:.1f} (other work skews the figures)")
    if args.device in ("cpu", "all"):
        bench(args, "cpu")
    if args.device in ("cuda", "all"):
        bench(args, "cuda")
    if args.profile:
        profile(args)


if __name__ == "__main__":
    main()
