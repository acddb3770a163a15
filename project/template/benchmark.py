"""Benchmark skeleton: your operation in needle beside a reference, in one run, medians.

Replace `needle_case` and `reference_case` with yours. Keep what makes a figure honest: the
same data for both, a warm-up, the median of several rounds with the two alternating, and the
machine and its load named in the output.

    cd project/template && python benchmark.py [--rows 256] [--columns 512] [--rounds 7]
"""
import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from myproject._needle import ndl  # noqa: E402  (after the path set-up)
from myproject.softmax import softmax  # noqa: E402


def median_ms(function, rounds):
    function()  # warm-up: first calls pay for allocation and caches
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=256)
    parser.add_argument("--columns", type=int, default=512)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args(argv)

    x = np.random.default_rng(0).normal(size=(args.rows, args.columns)).astype(np.float32)
    tensor = ndl.Tensor(x, device=ndl.cpu())

    def needle_case():
        softmax(tensor).numpy()

    def reference_case():
        e = np.exp(x - x.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    load_average = " ".join(f"{v:.1f}" for v in os.getloadavg())
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, load average {load_average}, "
          f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}")
    print(f"softmax of a {args.rows} x {args.columns} float32 matrix, median of {args.rounds} rounds")
    results = {}
    for _ in range(2):  # alternate the two, twice, and keep each one's best median
        for name, case in (("needle", needle_case), ("numpy", reference_case)):
            results[name] = min(results.get(name, float("inf")), median_ms(case, args.rounds))
    for name, ms in results.items():
        print(f"{name:8s} {ms:8.3f} ms")


if __name__ == "__main__":
    main()
