"""Peak resident memory of a training run, measured in a child process of its own.

One process per (library, model): freed memory that one library's allocator keeps would
otherwise lower the next one's figures, and each child's baseline is its own. The child
reports, in MB: `baseline` (resident after its imports, before the model exists), `peak`
(the most it ever held: model, data, a step's activations and gradients, allocator caches)
and `after_warmup` / `after` (resident after the first steps and after the last one: a
difference means memory grows from step to step).

    python benchmarks/models.py ...      # calls measure(...), which runs the script again as:
    python benchmarks/models.py --memory-child LIBRARY MODEL ...   # prints one JSON line

Linux only (it reads /proc/self/status); elsewhere `measure` returns None and the tables
show "-".
"""
import json
import subprocess
import sys
from pathlib import Path

MARK = "memory-report: "


def resident_mb(field="VmRSS"):
    """A field of /proc/self/status (VmRSS: resident now; VmHWM: the peak so far) in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def report(baseline, run_steps, warmup=3, steps=30):
    """In the child: run `warmup` steps, then `steps` more, and print the JSON line."""
    run_steps(warmup)
    after_warmup = resident_mb()
    run_steps(steps)
    print(MARK + json.dumps({"baseline": baseline, "peak": resident_mb("VmHWM"), "after_warmup": after_warmup,
                             "after": resident_mb(), "steps": warmup + steps}), flush=True)


def measure(script, args, timeout=600):
    """Run `script --memory-child *args` and return its report (a dict), or None where the
    measurement cannot run (not Linux) or the child failed (its error is printed)."""
    if not Path("/proc/self/status").exists():
        return None
    result = subprocess.run([sys.executable, str(script), "--memory-child", *args],
                            capture_output=True, text=True, timeout=timeout)
    for line in result.stdout.splitlines():
        if line.startswith(MARK):
            return json.loads(line[len(MARK):])
    print(f"memory of {' '.join(args)}: the child failed\n{result.stderr[-2000:]}", file=sys.stderr)
    return None


def step_mb(found):
    """The figure the tables show: peak resident memory above the baseline."""
    return None if found is None else found["peak"] - found["baseline"]
