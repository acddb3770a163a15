"""The benchmarks run: a smoke test of each one that has a quick mode (figures are never asserted)."""
import subprocess
import sys

from autograder.paths import REPO_ROOT


def test_ndarray_benchmark_prints_every_table_with_ratios():
    result = subprocess.run([sys.executable, "benchmarks/ndarray.py", "--quick", "--device", "cpu"],
                            cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    for title in ["matmul, float32 (GFLOP/s)", "elementwise", "reductions", "compact"]:
        assert title in result.stdout, result.stdout
    matmul_rows = [line for line in result.stdout.splitlines() if line.startswith("A @ B")]
    assert len(matmul_rows) == 2 and all(line.rstrip().endswith("x") for line in matmul_rows), result.stdout
