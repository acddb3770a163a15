"""hw3's NDArray backends beside numpy and PyTorch, on the same arrays, in the same run.

CPU (the C++ backend, `nd.cpu()`), against numpy (OpenBLAS) and torch:
  - matmul in GFLOP/s: N = 1024 and 2048 through `A @ B`, which takes the tiled kernel (Python's
    copies into and out of 8x8 tiles included), and 1023 x 777 x 1025, the row-major kernel;
    then the thin products of hw4's models (few rows or few columns), through the row-major
    kernel called directly, as hw4's `@` calls it;
  - elementwise ops on 2^22 floats and reductions over 4096 x 4096 in GB/s (the bytes each op
    must read and write, once), beside numpy's ufuncs;
  - compact() of a transposed, a flipped and a strided view, beside np.ascontiguousarray.
CUDA (`nd.cuda()`, when a GPU answers), against torch on the same GPU: matmul at 1024 and 4096
(TF32 off), the same elementwise ops and reductions on bigger arrays, with the data already on
the device and a device-wide synchronise before each clock read; then the host <-> device
copies themselves.

Method. needle is called as users call it: `NDArray` methods, a fresh output array each call.
Each figure is the best of 3 rounds x `--repeats` calls. In a round every library runs in a
block of its own (one untimed call, then the timed ones) and the blocks alternate (needle,
numpy, torch, needle, ...). Blocks rather than call-by-call alternation, because each library
leaves threads spinning for a while after a call (OpenBLAS's for tens of ms, OpenMP's for about
a millisecond): on 2 cores a spinning thread of one library takes a core from the next call of
another, which halved the matmul figures of whichever library ran second. The order of the
blocks then makes no difference beyond the noise.

Other work on the machine matters more than on a single-threaded library: a parallel call waits
for its slowest thread, and with OpenMP's default wait policy (spin, then sleep) a thread whose
core is busy can wait a whole scheduler tick (4 ms). OMP_WAIT_POLICY=passive (threads sleep at
once, and a woken thread takes its core back at once) avoids that on a loaded machine, but costs
a wake-up per call on a quiet one: the same matmul and memory-bound figures, up to a third less
for exp, log and tanh on 2^22 floats. The header shows the load average the run started with.

    python benchmarks/ndarray.py [--quick] [--device cpu|cuda|all] [--repeats N]

--quick is a smoke test (a few seconds): smaller arrays, 2 calls per block. The full run takes
about 20 s on 2 cores.
"""
import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "hw3" / "python"))
import needle.backend_ndarray as nd  # noqa: E402  (after the path set-up)

try:
    import torch
except ImportError:
    torch = None


def best_seconds(fns, repeats, sync=lambda: None, rounds=3):
    """The best time of each function: `rounds` rounds, each running every function in a block
    of its own, one untimed call and then `repeats` timed ones."""
    best = [float("inf")] * len(fns)
    for _ in range(rounds):
        for i, fn in enumerate(fns):
            fn()  # warm-up: allocations, caches, the library's threads waking up
            for _ in range(repeats):
                sync()
                start = time.perf_counter()
                fn()
                sync()
                best[i] = min(best[i], time.perf_counter() - start)
    return best


def header(title, names, ratio):
    print(f"\n{title:<36}" + "".join(f"{name:>12}" for name in names) + (f"{ratio:>10}" if ratio else ""))


def row(label, values, ratio_of=None):
    """One line: the label, each value, and values[0] / values[ratio_of] when asked."""
    ratio = f"{values[0] / values[ratio_of]:>9.2f}x" if ratio_of is not None else ""
    print(f"{label:<36}" + "".join(f"{v:>12.1f}" for v in values) + ratio)


# (label, arrays read + written, the op given two arrays and the library's functions, positive input)
ELEMENTWISE = [
    ("a + b", 3, lambda a, b, f: a + b, False),
    ("a * b", 3, lambda a, b, f: a * b, False),
    ("a / b", 3, lambda a, b, f: a / b, False),
    ("a + 1.5", 2, lambda a, b, f: a + 1.5, False),
    ("a * 1.5", 2, lambda a, b, f: a * 1.5, False),
    ("a / 1.5", 2, lambda a, b, f: a / 1.5, False),
    ("maximum(a, b)", 3, lambda a, b, f: f["maximum"](a, b), False),
    ("maximum(a, 0)", 2, lambda a, b, f: f["maximum"](a, 0.0), False),
    ("a == b", 3, lambda a, b, f: f["eq"](a, b), False),
    ("a >= b", 3, lambda a, b, f: f["ge"](a, b), False),
    ("a ** 2", 2, lambda a, b, f: a ** 2, False),
    ("a ** 1.5", 2, lambda a, b, f: a ** 1.5, True),
    ("log(a)", 2, lambda a, b, f: f["log"](a), True),
    ("exp(a)", 2, lambda a, b, f: f["exp"](a), False),
    ("tanh(a)", 2, lambda a, b, f: f["tanh"](a), False),
]
NEEDLE_F = {"maximum": lambda a, b: a.maximum(b), "eq": lambda a, b: a == b, "ge": lambda a, b: a >= b,
            "log": lambda a: a.log(), "exp": lambda a: a.exp(), "tanh": lambda a: a.tanh()}
# needle's comparisons give float32 1.0 and 0.0, so the rivals' booleans are converted too
NUMPY_F = {"maximum": np.maximum, "eq": lambda a, b: (a == b).astype(np.float32),
           "ge": lambda a, b: (a >= b).astype(np.float32), "log": np.log, "exp": np.exp, "tanh": np.tanh}


def elementwise_inputs(rng, n):
    """Two standard normal arrays, and one in [0.5, 2) for log and the fractional power."""
    return (rng.standard_normal(n, dtype=np.float32), rng.standard_normal(n, dtype=np.float32),
            rng.uniform(0.5, 2.0, n).astype(np.float32))


# (label, (m, n, p)): the products of one training step of hw4's models (benchmarks/models.py)
# whose operands are thin: a batch of 16 rows, 16 or 32 channels, 16 positions
THIN_MATMULS = [
    ("LSTM", (16, 128, 512)), ("LSTM", (16, 512, 128)), ("LSTM", (128, 16, 512)),
    ("Transformer", (64, 512, 256)), ("Transformer", (64, 512, 1000)),
    ("ResNet9", (147, 8192, 16)), ("ResNet9", (8192, 288, 16)), ("ResNet9", (128, 1152, 128)),
]


def matmul_row_major(a, b):
    """a @ b through the row-major `matmul` kernel, whatever the shape (hw3's `@` would take the
    tiled kernel for multiples of 8), into a fresh output array."""
    m, n, p = a.shape[0], a.shape[1], b.shape[1]
    out = nd.NDArray.make((m, p), device=a.device)
    a.device.matmul(a._handle, b._handle, out._handle, m, n, p)
    return out


def matmul_gflops(rng, device, mnp, needle_product, repeats):
    """GFLOP/s of needle_product(a, b), numpy's A @ B and (if there) torch's, on random (m, n) and
    (n, p) float32 operands."""
    m, n, p = mnp
    A = rng.standard_normal((m, n), dtype=np.float32)
    B = rng.standard_normal((n, p), dtype=np.float32)
    a, b = nd.array(A, device=device), nd.array(B, device=device)
    fns = [lambda: needle_product(a, b), lambda: A @ B]
    if torch:
        tA, tB = torch.from_numpy(A), torch.from_numpy(B)
        fns.append(lambda: tA @ tB)
    return [2 * m * n * p / s / 1e9 for s in best_seconds(fns, repeats)]


def bench_cpu(args):
    device = nd.cpu()
    if not device.enabled():
        print("cpu: the C++ backend is not built (run `pip install -e .`)")
        return
    rng = np.random.default_rng(0)
    repeats = args.repeats or (2 if args.quick else 7)
    env = " ".join(f"{name}={os.environ[name]}" for name in ("OMP_NUM_THREADS", "OMP_WAIT_POLICY") if name in os.environ)
    print(f"CPU: needle nd.cpu() on {os.cpu_count()} cores{' (' + env + ')' if env else ''} vs numpy {np.__version__}"
          + (f" and torch {torch.__version__} ({torch.get_num_threads()} threads)" if torch else "")
          + f"; best of 3 x {repeats}; load average {os.getloadavg()[0]:.1f} (other work skews the figures)")

    header("matmul, float32 (GFLOP/s)", ["needle", "numpy"] + (["torch"] if torch else []), "vs numpy")
    shapes = [(512,) * 3, (1023, 777, 1025)] if args.quick else [(1024,) * 3, (2048,) * 3, (1023, 777, 1025)]
    for m, n, p in shapes:
        path = "tiled" if all(d % device.__tile_size__ == 0 for d in (m, n, p)) else "row-major"
        row(f"A @ B, {m}x{n}x{p} ({path})", matmul_gflops(rng, device, (m, n, p), lambda a, b: a @ b, repeats),
            ratio_of=1)

    header("thin matmul, row-major (GFLOP/s)", ["needle", "numpy"] + (["torch"] if torch else []), "vs numpy")
    for label, (m, n, p) in THIN_MATMULS[:2] if args.quick else THIN_MATMULS:
        # 10x the calls: each takes 10-1000 us
        row(f"{label} {m}x{n}x{p}", matmul_gflops(rng, device, (m, n, p), matmul_row_major, repeats * 10), ratio_of=1)

    n = 1 << (20 if args.quick else 22)
    header(f"elementwise, 2^{n.bit_length() - 1} floats (GB/s)", ["needle", "numpy"], "vs numpy")
    X, Y, P = elementwise_inputs(rng, n)
    for label, words, op, positive in ELEMENTWISE:
        A = P if positive else X
        a, b = nd.array(A, device=device), nd.array(Y, device=device)
        seconds = best_seconds([lambda: op(a, b, NEEDLE_F), lambda: op(A, Y, NUMPY_F)], repeats)
        row(label, [words * 4 * n / s / 1e9 for s in seconds], ratio_of=1)

    side = 1024 if args.quick else 4096
    header(f"reductions, {side}x{side} (GB/s)", ["needle", "numpy"], "vs numpy")
    Z = rng.standard_normal((side, side), dtype=np.float32)
    z = nd.array(Z, device=device)
    for label, needle_fn, numpy_fn in [
        ("sum(axis=1)", lambda: z.sum(axis=1), lambda: Z.sum(axis=1)),
        ("max(axis=1)", lambda: z.max(axis=1), lambda: Z.max(axis=1)),
        ("sum()", lambda: z.sum(), lambda: Z.sum()),
        ("max()", lambda: z.max(), lambda: Z.max()),
        ("sum(axis=0) (compacts a transpose)", lambda: z.sum(axis=0), lambda: Z.sum(axis=0)),
    ]:
        seconds = best_seconds([needle_fn, numpy_fn], repeats)
        row(label, [4 * side * side / s / 1e9 for s in seconds], ratio_of=1)

    header(f"compact, {side}x{side} (GB/s)", ["needle", "numpy"], "vs numpy")
    for label, moved, needle_fn, numpy_fn in [
        ("transposed view", 8, lambda: z.permute((1, 0)).compact(), lambda: np.ascontiguousarray(Z.T)),
        ("flipped rows (flip)", 8, lambda: z.flip((0,)), lambda: np.ascontiguousarray(Z[::-1])),
        ("every other column", 4, lambda: z[:, ::2].compact(), lambda: np.ascontiguousarray(Z[:, ::2])),
    ]:
        seconds = best_seconds([needle_fn, numpy_fn], repeats)
        row(label, [moved * side * side / s / 1e9 for s in seconds], ratio_of=1)


def bench_cuda(args):
    device = nd.cuda()
    if not device.enabled():
        print("\ncuda: no GPU answers, or the CUDA backend is not built; skipped")
        return
    torch_cuda = torch is not None and torch.cuda.is_available()

    def sync():
        """Wait for the GPU: torch's device-wide synchronise, else a 1-element round trip."""
        if torch_cuda:
            torch.cuda.synchronize()
        else:
            nd.array(np.zeros(1, dtype=np.float32), device=device).numpy()

    rng = np.random.default_rng(0)
    repeats = args.repeats or (2 if args.quick else 7)
    rivals = ["torch"] if torch_cuda else []
    ratio_of, ratio = (1, "vs torch") if torch_cuda else (None, "")
    print("\nCUDA: needle nd.cuda() vs " + (f"torch {torch.__version__} on {torch.cuda.get_device_name()}"
                                           if torch_cuda else "nothing (torch with CUDA is not installed)")
          + f"; data on the device, best of 3 x {repeats}")
    if torch_cuda:
        torch.backends.cuda.matmul.allow_tf32 = False

    def on_gpu(*arrays):
        return [torch.from_numpy(A).cuda() for A in arrays] if torch_cuda else [None] * len(arrays)

    header("matmul, float32 (GFLOP/s)", ["needle"] + rivals, ratio)
    for N in ([1024] if args.quick else [1024, 4096]):
        A = rng.standard_normal((N, N), dtype=np.float32)
        B = rng.standard_normal((N, N), dtype=np.float32)
        a, b = nd.array(A, device=device), nd.array(B, device=device)
        tA, tB = on_gpu(A, B)
        seconds = best_seconds([lambda: a @ b] + ([lambda: tA @ tB] if torch_cuda else []), repeats, sync)
        row(f"A @ B, N={N}", [2 * N ** 3 / s / 1e9 for s in seconds], ratio_of)

    n = 1 << (22 if args.quick else 24)
    header(f"elementwise, 2^{n.bit_length() - 1} floats (GB/s)", ["needle"] + rivals, ratio)
    X, Y, P = elementwise_inputs(rng, n)
    torch_f = {"maximum": lambda a, b: torch.maximum(a, b) if torch.is_tensor(b) else torch.clamp_min(a, b),
               "eq": lambda a, b: (a == b).float(), "ge": lambda a, b: (a >= b).float(),
               "log": torch.log, "exp": torch.exp, "tanh": torch.tanh} if torch_cuda else None
    for label, words, op, positive in ELEMENTWISE:
        A = P if positive else X
        a, b = nd.array(A, device=device), nd.array(Y, device=device)
        ta, tb = on_gpu(A, Y)
        fns = [lambda: op(a, b, NEEDLE_F)] + ([lambda: op(ta, tb, torch_f)] if torch_cuda else [])
        seconds = best_seconds(fns, repeats, sync)
        row(label, [words * 4 * n / s / 1e9 for s in seconds], ratio_of)

    side = 2048 if args.quick else 8192
    header(f"reductions, {side}x{side} (GB/s)", ["needle"] + rivals, ratio)
    Z = rng.standard_normal((side, side), dtype=np.float32)
    z = nd.array(Z, device=device)
    (tz,) = on_gpu(Z)
    for label, needle_fn, torch_fn in [
        ("sum(axis=1)", lambda: z.sum(axis=1), lambda: tz.sum(dim=1)),
        ("max(axis=1)", lambda: z.max(axis=1), lambda: tz.amax(dim=1)),
        ("sum()", lambda: z.sum(), lambda: tz.sum()),
        ("max()", lambda: z.max(), lambda: tz.max()),
    ]:
        seconds = best_seconds([needle_fn] + ([torch_fn] if torch_cuda else []), repeats, sync)
        row(label, [4 * side * side / s / 1e9 for s in seconds], ratio_of)

    header("host <-> device copy (GB/s)", ["needle"] + rivals, ratio)
    for label, needle_fn, torch_fn in [
        ("to the device (nd.array)", lambda: nd.array(Z, device=device), lambda: torch.from_numpy(Z).cuda()),
        ("to the host (.numpy())", lambda: z.numpy(), lambda: tz.cpu().numpy()),
    ]:
        seconds = best_seconds([needle_fn] + ([torch_fn] if torch_cuda else []), repeats, sync)
        row(label, [4 * side * side / s / 1e9 for s in seconds], ratio_of)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smoke test: smaller arrays, 2 calls per block")
    parser.add_argument("--device", choices=["cpu", "cuda", "all"], default="all")
    parser.add_argument("--repeats", type=int, default=None, help="timed calls per block (default 7, 2 with --quick)")
    args = parser.parse_args()
    if args.device in ("cpu", "all"):
        bench_cpu(args)
    if args.device in ("cuda", "all"):
        bench_cuda(args)


if __name__ == "__main__":
    main()
