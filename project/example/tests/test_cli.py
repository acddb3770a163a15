"""The commands a team runs, end to end in child processes: train, generate, evaluate, benchmark."""
import importlib.util
import subprocess
import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[1]


def run(*args, cwd=EXAMPLE):
    result = subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def test_train_then_generate_then_evaluate(tmp_path):
    out = tmp_path / "out"
    trained = run("-m", "chargpt", "train", "--steps", "3", "--batch", "2", "--length", "8", "--embedding", "16",
                  "--hidden", "16", "--layers", "1", "--heads", "2", "--head-dim", "8", "--context", "16",
                  "--out", str(out))
    assert "3 steps in" in trained.stdout
    assert (out / "chargpt.npz").is_file() and (out / "history.json").is_file()
    assert (out / "loss_curve.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    generated = run("-m", "chargpt", "generate", "--checkpoint", str(out / "chargpt.npz"), "--prompt", "def ",
                    "--tokens", "20", "--top-k", "5", "--seed", "1")
    text = generated.stdout.rstrip("\n")
    assert text.startswith("def ") and len(text) == 24
    again = run("-m", "chargpt", "generate", "--checkpoint", str(out / "chargpt.npz"), "--prompt", "def ",
                "--tokens", "20", "--top-k", "5", "--seed", "1", "--no-cache")
    assert again.stdout == generated.stdout  # same seed, with or without the cache

    evaluated = run("-m", "chargpt", "evaluate", "--checkpoint", str(out / "chargpt.npz"), "--windows", "4",
                    "--length", "8")
    assert [line.split()[0] for line in evaluated.stdout.splitlines()[:3]] == ["unigram", "float32", "int8"]


def test_benchmark_runs_and_checks_the_torch_mirror():
    result = run("benchmark.py", "--quick")
    if importlib.util.find_spec("torch"):
        assert "logits differ by at most" in result.stdout
    rows = [line.split() for line in result.stdout.splitlines() if line.startswith(("needle ", "torch "))]
    libraries = ("needle", "torch") if importlib.util.find_spec("torch") else ("needle",)
    assert {(row[0], row[1]) for row in rows} == {(lib, p) for lib in libraries for p in ("float32", "int8")}


def test_a_missing_checkpoint_is_named_without_a_traceback(tmp_path):
    result = subprocess.run([sys.executable, "-m", "chargpt", "generate", "--checkpoint", str(tmp_path / "none.npz")],
                            cwd=EXAMPLE, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert f"no checkpoint at {tmp_path / 'none.npz'}: train one first" in result.stderr
    assert "Traceback" not in result.stderr
