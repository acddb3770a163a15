import subprocess
import sys
from pathlib import Path


def test_benchmark_skeleton_runs_and_prints_both_columns():
    template = Path(__file__).resolve().parents[1]
    result = subprocess.run([sys.executable, "benchmark.py", "--rows", "4", "--columns", "8", "--rounds", "1"],
                            cwd=template, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    names = [line.split()[0] for line in result.stdout.splitlines()[2:]]
    assert names == ["needle", "numpy"]
