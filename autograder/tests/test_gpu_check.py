"""benchmarks/gpu_check.sh without a GPU: it skips cleanly, its plan is whole, it reads the
GPU's compute capability, and its run loop reports every step.

Each test runs the script with a PATH of its own: a folder holding links to the few tools the
script uses and, where a test wants one, a fake `nvidia-smi`, so the result is the same on a
machine with a real GPU. Nothing is built: a test either stops at the skip, asks for a dry run,
or runs the steps with a fake `python3` that only prints.
"""
import re
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

# Found by walking up, so the test keeps working wherever the autograder's tests are moved.
SCRIPT = next(folder / "benchmarks" / "gpu_check.sh" for folder in Path(__file__).resolve().parents
              if (folder / "benchmarks" / "gpu_check.sh").is_file())
STEPS = ["deps", "build", "cuda", "tests", "publish-hw3", "grade-hw3", "ndarray", "models", "publish-hw4", "grade-hw4"]
TOOLS = ["bash", "cat", "cut", "date", "dirname", "env", "git", "grep", "head", "mkdir", "mktemp", "nproc",
         "paste", "rm", "sed", "sleep", "sort", "tail", "tee", "timeout", "uname"]

# A fake nvidia-smi: one H100 whose compute capability is $FAKE_COMPUTE_CAP (lines, as for several GPUs).
FAKE_NVIDIA_SMI = """#!/bin/sh
case "$*" in
  -L) echo "GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-00000000-fake)" ;;
  *compute_cap*noheader*) printf '%b\\n' "$FAKE_COMPUTE_CAP" ;;
  *) echo "NVIDIA H100 80GB HBM3" ;;
esac
"""
# nvidia-smi on a machine whose driver is not loaded.
BROKEN_NVIDIA_SMI = """#!/bin/sh
echo "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver."
exit 9
"""
# A fake python3 for the run loop: the test step prints pytest's closing line (and hangs when
# FAKE_HANG_TESTS is set), the ndarray benchmark fails, every other command succeeds silently.
FAKE_PYTHON = """#!/bin/sh
case "$*" in
  *"autograder test"*) echo "total: 7 passed, 0 failed, 0 skipped"; [ -z "$FAKE_HANG_TESTS" ] || exec sleep 60 ;;
  *benchmarks/ndarray.py*) echo "Traceback: boom"; exit 3 ;;
esac
exit 0
"""


def executable(path, text):
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def run_script(tmp_path, *args, nvidia_smi=None, python=None, **env):
    """The script run with only TOOLS (and `nvidia_smi`, a fake's text) on its PATH."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    for tool in TOOLS:
        found = shutil.which(tool)
        if found and not (bin_dir / tool).exists():
            (bin_dir / tool).symlink_to(found)
    if nvidia_smi is not None:
        executable(bin_dir / "nvidia-smi", nvidia_smi)
    if python is not None:
        executable(bin_dir / "python3", python)
    environment = {"PATH": str(bin_dir), "HOME": str(tmp_path), "GPU_CHECK_LOG_DIR": str(tmp_path / "logs"), **env}
    return subprocess.run([shutil.which("bash"), str(SCRIPT), *args], capture_output=True, text=True,
                          env=environment, cwd=tmp_path, timeout=60)


def plan_rows(stdout):
    """{step: (budget, needs, command)} from a dry run's table."""
    rows = {}
    for line in stdout.splitlines():
        match = re.match(r"(\S+)\s+(\d+) s\s+(\S+)\s+(.*)$", line)
        if match:
            rows[match[1]] = (int(match[2]), match[3], match[4])
    return rows


def test_the_script_is_valid_bash():
    result = subprocess.run(["bash", "-n", str(SCRIPT)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert SCRIPT.read_text().startswith("#!/usr/bin/env bash") and "set -euo pipefail" in SCRIPT.read_text()


def test_without_nvidia_smi_it_skips_at_once_and_runs_nothing(tmp_path):
    result = run_script(tmp_path, python=FAKE_PYTHON)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "gpu_check: no NVIDIA GPU (nvidia-smi not found) - skipping\n"
    assert result.stderr == ""
    assert not (tmp_path / "logs").exists()  # no log, no build, no step


def test_when_nvidia_smi_fails_it_says_why_and_skips(tmp_path):
    result = run_script(tmp_path, nvidia_smi=BROKEN_NVIDIA_SMI)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("gpu_check: no NVIDIA GPU (nvidia-smi failed: NVIDIA-SMI has failed")
    assert len(result.stdout.splitlines()) == 1 and not (tmp_path / "logs").exists()


def test_the_dry_run_plans_every_step_with_its_budget_and_the_fallback_architectures(tmp_path):
    result = run_script(tmp_path, "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "CUDA architectures: 80;90 (fallback" in result.stdout
    rows = plan_rows(result.stdout)
    assert list(rows) == STEPS
    assert all(budget > 0 for budget, _, _ in rows.values())
    total = int(re.search(r"total budget: (\d+) s", result.stdout)[1])
    assert total < 480 and all(budget <= total for budget, _, _ in rows.values())  # under 8 minutes
    commands = {step: command for step, (_, _, command) in rows.items()}
    assert "CMAKE_ARGS=-DCMAKE_CUDA_ARCHITECTURES=80;90" in commands["build"]
    assert "pip install --no-deps --no-build-isolation --no-index" in commands["build"]
    assert commands["tests"].endswith("-m autograder test hw3 hw4")
    assert commands["ndarray"].endswith("benchmarks/ndarray.py --device cuda")
    assert commands["models"].endswith("benchmarks/models.py --device cuda")
    for hw in ("hw3", "hw4"):
        assert f"-m autograder publish {hw} --sandbox plain" in commands[f"publish-{hw}"]
        assert f"-m autograder grade {hw} {hw} --sandbox plain" in commands[f"grade-{hw}"]
        assert rows[f"grade-{hw}"][1] == f"publish-{hw}"  # grading waits for its answers
    assert not (tmp_path / "logs").exists()


@pytest.mark.parametrize("reported, architectures", [
    ("9.0", "90"),
    ("8.6", "86"),
    ("9.0\\n8.0\\n9.0", "80;90"),  # several GPUs: each capability once
    ("[N/A]", "80;90"),  # a driver that cannot say: the fallback
])
def test_the_architectures_come_from_the_gpus_compute_capability(tmp_path, reported, architectures):
    result = run_script(tmp_path, "--dry-run", nvidia_smi=FAKE_NVIDIA_SMI, FAKE_COMPUTE_CAP=reported)
    assert result.returncode == 0, result.stderr
    assert f"CUDA architectures: {architectures} (" in result.stdout
    build = plan_rows(result.stdout)["build"][2]
    assert re.search(rf"CMAKE_ARGS=-DCMAKE_CUDA_ARCHITECTURES={architectures}'? ", build), build


def test_only_takes_known_steps(tmp_path):
    result = run_script(tmp_path, "--dry-run", "--only", "build,tests")
    assert list(plan_rows(result.stdout)) == ["build", "tests"]
    result = run_script(tmp_path, "--only", "build,nonsense")
    assert result.returncode == 2 and "no step 'nonsense'" in result.stderr


def test_a_failing_step_stops_no_other_and_the_table_and_log_say_so(tmp_path):
    result = run_script(tmp_path, nvidia_smi=FAKE_NVIDIA_SMI, python=FAKE_PYTHON, FAKE_COMPUTE_CAP="9.0")
    assert result.returncode == 1, result.stdout + result.stderr
    table = result.stdout[result.stdout.rindex("key figure"):]
    statuses = dict(re.findall(r"^(\S+)\s+(ok|FAILED \d+|TIMEOUT|skipped)\b", table, re.M))
    assert statuses == {step: "FAILED 3" if step == "ndarray" else "ok" for step in STEPS}
    assert re.search(r"^tests\s+ok\s+\d+\s+total: 7 passed, 0 failed, 0 skipped$", table, re.M)
    assert re.search(r"^ndarray\s+FAILED 3\s+\d+\s+Traceback: boom$", table, re.M)
    logs = list((tmp_path / "logs").glob("gpu_check-*.log"))
    assert len(logs) == 1
    assert result.stdout.startswith(f"gpu_check: log {logs[0]}") and result.stdout.rstrip().endswith(str(logs[0]))
    log = logs[0].read_text()
    assert "===== models (budget" in log and table.strip() in log  # every step's output, then the table


def test_a_step_past_the_total_budget_is_cut_and_the_rest_are_not_started(tmp_path):
    result = run_script(tmp_path, "--only", "deps,tests,models", nvidia_smi=FAKE_NVIDIA_SMI, python=FAKE_PYTHON,
                        FAKE_COMPUTE_CAP="9.0", FAKE_HANG_TESTS="1", GPU_CHECK_TOTAL_BUDGET="6")
    assert result.returncode == 1, result.stdout + result.stderr
    table = result.stdout[result.stdout.rindex("key figure"):]
    assert re.search(r"^deps\s+ok\b", table, re.M)
    assert re.search(r"^tests\s+TIMEOUT\s+[67]\s+total: 7 passed", table, re.M), table
    assert re.search(r"^models\s+skipped\s+0\s+out of time", table, re.M), table
