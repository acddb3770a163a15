"""CharGPT inference speed and memory: needle vs PyTorch, float32 vs int8, in one run.

Both libraries run the same model with the same weights (copied from needle into a PyTorch
mirror that does the same arithmetic: pre-norm attention with a LayerNorm for each of q, k and
v, a causal mask, the ReLU MLP, int8 weights widened to float32 for each matmul and rescaled per
output channel). The run first checks that the two produce the same logits.

  prefill: one forward pass over a prompt of `--prompt` characters into an empty KV cache;
           tokens/s = prompt length / time.
  decode:  `--decode` more characters one at a time with the KV cache (greedy, so both
           libraries do the same work); tokens/s = decoded characters / time.
  memory:  bytes of the weights (float32 parameters; int8 weights + float32 scales + the
           float32 biases, embeddings and LayerNorms) and of the KV cache at full context.

Each figure is the median of `--rounds` rounds; in a round every (library, precision) runs in
turn. Wall-clock tokens/s come first; in brackets, tokens/s from the CPU time this process used
(one thread each, so it is the work done, less disturbed by other processes on a shared machine;
process_time ticks coarsely, so it is rough for the shortest runs). Batch 1, one thread for each library (OMP_NUM_THREADS=1 and torch.set_num_threads(1)):
the machine's other work disturbs one thread least. The header names the machine and its load.

    cd project/example && python benchmark.py [--checkpoint output/chargpt.npz] [--quick]
"""
import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))
from chargpt.checkpoint import load  # noqa: E402  (after the path set-up)
from chargpt.model import CharGPT, GPTConfig, KVCache  # noqa: E402
from chargpt.quantize import Int8Linear, quantize_model, weight_bytes  # noqa: E402

try:
    import torch
except ImportError:
    torch = None


class TorchCharGPT:
    """The same CharGPT in PyTorch, reading its weights from a needle CharGPT (float or int8)."""

    def __init__(self, model: CharGPT):
        self.config = model.config

        def tensor(parameter):
            return torch.from_numpy(parameter.numpy().copy())

        def linear(layer):
            bias = None if layer.bias is None else tensor(layer.bias).reshape(-1)
            if isinstance(layer, Int8Linear):
                return ("int8", torch.from_numpy(layer.weight_int8.copy()), torch.from_numpy(layer.scale.copy()), bias)
            return ("float", tensor(layer.weight), None, bias)

        def norm(layer):
            return (tensor(layer.weight), tensor(layer.bias), layer.eps)

        self.token_embedding = tensor(model.token_embedding.weight)
        self.positions = tensor(model.transformer.positional_embedding.weight)
        self.layers = []
        for layer in model.transformer.layers.modules:
            a = layer.attn
            self.layers.append({
                "norm_q": norm(a.prenorm_q), "norm_k": norm(a.prenorm_k), "norm_v": norm(a.prenorm_v),
                "q": linear(a.q_projection), "k": linear(a.k_projection), "v": linear(a.v_projection),
                "out": linear(a.out_projection), "norm": norm(layer.norm),
                "linear1": linear(layer.linear1), "linear2": linear(layer.linear2)})
        self.norm, self.head = norm(model.norm), linear(model.head)

    @staticmethod
    def _linear(x, spec):
        kind, weight, scale, bias = spec
        out = x @ weight.to(torch.float32) * scale if kind == "int8" else x @ weight
        return out if bias is None else out + bias

    @staticmethod
    def _norm(x, spec):
        weight, bias, eps = spec
        return torch.nn.functional.layer_norm(x, (x.shape[-1],), weight, bias, eps)

    def new_cache(self, batch=1):
        c = self.config
        shape = (c.layers, batch, c.heads, c.context, c.head_dim)
        return {"keys": torch.zeros(shape), "values": torch.zeros(shape), "length": 0}

    @torch.no_grad()
    def forward_cached(self, ids, cache):
        """Logits (batch * length, vocab) of new ids (batch, length), as CharGPT.forward_cached."""
        c, (batch, length) = self.config, ids.shape
        start, end = cache["length"], cache["length"] + length
        x = self.token_embedding[ids] + self.positions[start:end]
        mask = torch.triu(torch.full((length, end), float("-inf")), start + 1)
        for index, p in enumerate(self.layers):
            def heads(norm, projection):
                return self._linear(self._norm(x, p[norm]), p[projection]).view(batch, length, c.heads,
                                                                                 c.head_dim).transpose(1, 2)
            queries = heads("norm_q", "q")
            cache["keys"][index, :, :, start:end] = heads("norm_k", "k")
            cache["values"][index, :, :, start:end] = heads("norm_v", "v")
            keys, values = cache["keys"][index, :, :, :end], cache["values"][index, :, :, :end]
            scores = queries @ keys.transpose(-1, -2) / c.head_dim ** 0.5 + mask
            attended = (torch.softmax(scores, dim=-1) @ values).transpose(1, 2).reshape(batch, length, -1)
            x = x + self._linear(attended, p["out"])
            x = x + self._linear(torch.relu(self._linear(self._norm(x, p["norm"]), p["linear1"])), p["linear2"])
        cache["length"] = end
        return self._linear(self._norm(x, self.norm), self.head).reshape(batch * length, -1)


class Runner:
    """Prefill and greedy decode for one (library, precision), each timed."""

    def __init__(self, model, library):
        self.model, self.library = model, library

    def _step(self, ids, cache):
        if self.library == "torch":
            return self.model.forward_cached(torch.from_numpy(ids), cache)[-1].numpy()
        return self.model.forward_cached(ids, cache).numpy()[-1]

    def run(self, prompt, decode):
        """Seconds of (prefill, decode), each as (wall clock, this process's CPU time)."""
        cache = self.model.new_cache() if self.library == "torch" else KVCache(self.model.config)
        start = time.perf_counter(), time.process_time()
        logits = self._step(prompt[None, :], cache)
        middle = time.perf_counter(), time.process_time()
        for _ in range(decode):
            logits = self._step(np.array([[int(np.argmax(logits))]]), cache)
        end = time.perf_counter(), time.process_time()
        return tuple(m - s for m, s in zip(middle, start)), tuple(e - m for e, m in zip(end, middle))


def machine():
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load_average = " ".join(f"{x:.1f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "-"
    return (f"{cpu}, {os.cpu_count()} cores, load average {load_average}; Python {platform.python_version()}, "
            f"numpy {np.__version__}, torch {torch.__version__ if torch else 'absent'}; "
            f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", type=Path, default=None, help="default: a fresh model of the default size")
    parser.add_argument("--prompt", type=int, default=32)
    parser.add_argument("--decode", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="a smoke test: a tiny model, 1 round")
    args = parser.parse_args(argv)
    if args.quick:
        args.prompt, args.decode, args.rounds = 8, 4, 1

    def fresh():
        if args.checkpoint:
            return load(args.checkpoint)
        np.random.seed(0)
        config = GPTConfig(embedding=16, hidden=32, layers=1, heads=2, head_dim=8, context=16) if args.quick \
            else GPTConfig()
        return CharGPT(config)

    models = {"float32": fresh(), "int8": quantize_model(fresh())}
    config = models["float32"].config
    if args.prompt + args.decode > config.context:
        parser.error(f"--prompt + --decode must fit the context of {config.context}")
    print(f"machine: {machine()}")
    print(f"model: {config}; batch 1, prompt {args.prompt}, decode {args.decode}, median of {args.rounds} rounds")

    runners = {}
    prompt = np.random.default_rng(0).integers(0, config.vocab_size, size=args.prompt)
    for precision, model in models.items():
        runners[("needle", precision)] = Runner(model, "needle")
        if torch is not None:
            torch.set_num_threads(1)
            mirror = TorchCharGPT(model)
            runners[("torch", precision)] = Runner(mirror, "torch")
            gap = np.abs(model.forward_cached(prompt[None, :], KVCache(config)).numpy()
                         - mirror.forward_cached(torch.from_numpy(prompt[None, :]), mirror.new_cache()).numpy()).max()
            print(f"{precision}: needle and torch logits differ by at most {gap:.2e}")
            if gap > 1e-3:
                raise SystemExit(f"the PyTorch mirror does not compute the same model ({precision}: {gap:.2e})")
    if torch is None:
        print("torch is not installed: needle only")

    times = {key: [] for key in runners}
    for runner in runners.values():  # one untimed warm-up each
        runner.run(prompt, 2)
    for _ in range(args.rounds):
        for key, runner in runners.items():
            times[key].append(runner.run(prompt, args.decode))

    cache_bytes = KVCache(config).nbytes
    print("\ntokens/s from the median wall-clock time, and [from the median CPU time of this process]:")
    print(f"{'library':8s} {'weights':8s} {'prefill tok/s':>22s} {'decode tok/s':>18s} {'weights KiB':>12s} "
          f"{'KV cache KiB':>13s}")
    for (library, precision), rows in times.items():
        prefill = [statistics.median(t[0][clock] for t in rows) for clock in (0, 1)]
        decode = [statistics.median(t[1][clock] for t in rows) for clock in (0, 1)]
        print(f"{library:8s} {precision:8s} {args.prompt / prefill[0]:12.0f} [{args.prompt / prefill[1]:7.0f}] "
              f"{args.decode / decode[0]:8.0f} [{args.decode / decode[1]:7.0f}] "
              f"{weight_bytes(models[precision]) / 1024:12.1f} {cache_bytes / 1024:13.1f}")


if __name__ == "__main__":
    main()
