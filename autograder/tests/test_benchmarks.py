"""The benchmarks run: a smoke test of each one that has a quick mode (figures are never asserted)."""
import importlib.util
import shutil
import subprocess
import sys

import pytest

from autograder.paths import REPO_ROOT


def run_benchmark(script: str, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    """`python benchmarks/<script> args...` from the repository root; fails the test on a non-zero exit."""
    result = subprocess.run([sys.executable, f"benchmarks/{script}", *args],
                            cwd=REPO_ROOT, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def needs_bubblewrap() -> None:
    """The service benchmarks grade in the local sandbox."""
    if shutil.which("bwrap") is None:
        pytest.skip("bubblewrap is not installed")

def test_ndarray_benchmark_prints_every_table_with_ratios():
    result = run_benchmark("ndarray.py", "--quick", "--device", "cpu")
    for title in ["matmul, float32 (GFLOP/s)", "elementwise", "reductions", "compact"]:
        assert title in result.stdout, result.stdout
    matmul_rows = [line for line in result.stdout.splitlines() if line.startswith("A @ B")]
    assert len(matmul_rows) == 2 and all(line.rstrip().endswith("x") for line in matmul_rows), result.stdout
    thin_rows = [line for line in result.stdout.splitlines() if line.startswith("LSTM ")]
    assert len(thin_rows) == 2 and all(line.rstrip().endswith("x") for line in thin_rows), result.stdout


def test_models_benchmark_prints_a_row_for_every_model_on_every_device():
    result = run_benchmark("models.py", "--quick", "--device", "all")
    lines = result.stdout.splitlines()
    assert any(line.startswith("CPU: ms per training step") for line in lines), result.stdout
    assert any(line.startswith("CUDA: ms per training step") or line.startswith("cuda: ") for line in lines), \
        result.stdout  # the CUDA table, or the line saying why there is none
    rows = [line for line in lines if line.startswith(("ResNet9", "LSTM LM", "Transformer LM"))]
    assert [row.split(",")[0] for row in rows[:3]] == ["ResNet9", "LSTM LM", "Transformer LM"], result.stdout
    with_torch = importlib.util.find_spec("torch") is not None
    for row in rows[:3]:  # CPU rows: ms (needle, torch), the ratio, MB (needle, torch), needle's growth
        figures = row.split("SGD" if "LM" in row else "Adam")[-1].split()
        assert len(figures) == (6 if with_torch else 3), row
        if with_torch:
            assert figures[2].endswith("x") and all(float(f) >= 0 for f in figures[3:5]), row


def test_mlp_resnet_benchmark_prints_time_ratio_and_memory_for_each_library():
    result = run_benchmark("hw2_mlp_resnet.py", "--epochs", "1")
    rows = {line.split()[0]: line.split() for line in result.stdout.splitlines()
            if line.startswith(("needle (hw2)", "torch "))}
    assert "needle" in rows, result.stdout
    if importlib.util.find_spec("torch") is not None:  # needle: s/epoch, fastest, ratio, error, MB
        assert rows["needle"][4].endswith("x") and rows["torch"][3] == "1.00x", result.stdout
        assert float(rows["needle"][-1]) > 0 and float(rows["torch"][-1]) > 0, result.stdout


def test_service_benchmark_prints_latency_and_grading_tables():
    needs_bubblewrap()
    result = run_benchmark("service.py", "--clients", "2", "--requests", "2", "--repeat", "1", "--homeworks", "hw1",
                           timeout=600)
    lines = result.stdout.splitlines()
    assert any(line.startswith("submit (hw1 reference, POST)") for line in lines), result.stdout
    assert any(line.startswith("status (GET /submissions/{id})") for line in lines), result.stdout
    assert any(line.startswith("hw1 ") and len(line.split()) == 5 for line in lines), result.stdout


def test_looping_benchmark_prints_a_row_per_submission():
    needs_bubblewrap()
    result = run_benchmark("looping.py", "--sandbox", "local", "--cpus", "2", "--slow", timeout=600)
    rows = {line.split("|")[3].strip(): line.split("|") for line in result.stdout.splitlines()
            if line.startswith("| local | 2 |")}
    assert set(rows) == {"reference", "looping power_scalar", "3x compute"}, result.stdout
    assert rows["reference"][4].strip() == rows["3x compute"][4].strip() == "100/100", result.stdout
    assert "least headroom" in rows["3x compute"][6], result.stdout


def test_deadline_benchmark_prints_both_configurations_with_nothing_lost():
    needs_bubblewrap()
    result = subprocess.run([sys.executable, "benchmarks/deadline.py", "--submissions", "4", "--clients", "2",
                             "--workers", "2", "--time-limit", "300"],
                            cwd=REPO_ROOT, capture_output=True, text=True, timeout=900)
    if result.returncode != 0 and "PostgreSQL is not installed" in result.stderr + result.stdout:
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql)")
    assert result.returncode == 0, result.stderr[-3000:]
    rows = {line.split()[0]: line.split() for line in result.stdout.splitlines()
            if line.startswith(("postgresql ", "sqlite "))}
    assert set(rows) == {"postgresql", "sqlite"}, result.stdout
    for row in rows.values():  # accepted, graded, duplicates, lost
        assert row[1:5] == ["4", "4", "0", "0"], result.stdout


def test_grader_build_benchmark_prints_the_configures_share(docker_sandbox):
    result = subprocess.run([sys.executable, "benchmarks/grader_build.py", "--homeworks", "hw0", "--repeats", "1",
                             "--image", docker_sandbox.image],
                            cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    rows = [line.split() for line in result.stdout.splitlines() if line.startswith("hw0")]
    assert len(rows) == 1 and rows[0][1:3] == ["build", "only"], result.stdout
    configure, build, job = (float(figure) for figure in rows[0][3:6])
    assert 0 <= configure <= build <= job and rows[0][6] == "True", result.stdout  # the image's prepared tree
