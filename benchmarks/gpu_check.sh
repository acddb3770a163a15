#!/usr/bin/env bash
# gpu_check.sh: needle's CUDA backend checked on a machine with an NVIDIA GPU, in one run.
#
# From a clean tree it builds every native module with CUDA for the GPU it finds
# (CMAKE_CUDA_ARCHITECTURES from nvidia-smi's compute capability, else 80;90), checks that
# needle's cuda() answers, then runs `dlsys test hw3 hw4`, grades the hw3 reference (its CUDA
# parts included) after publishing its answers, runs benchmarks/ndarray.py and
# benchmarks/models.py on cuda, and grades hw4's reference: each step with a time budget of its
# own (see plan() below), all output tee'd into one log, and a summary table at the end (step,
# status, seconds, key figure). Grading uses the plain sandbox: the GPU machines have no Docker.
# A step that fails or runs out of time does not stop the others; one that needs a step that
# failed is skipped. The exit status is 1 when any step failed. Without a usable GPU it prints
# one line saying why and exits 0, having run nothing. The GPU CI workflow calls this script.
#
#   benchmarks/gpu_check.sh                          # everything: under 8 minutes on one H100, 16 cores
#   benchmarks/gpu_check.sh --dry-run                # the plan: each step, its budget and its command
#   benchmarks/gpu_check.sh --only build,cuda,tests  # some steps: a rerun after a fix to a kernel
#
# It fetches nothing (the GPU machines lent to us have no network): the project's Python
# dependencies must be installed already (`pip install -e ".[test]"`, or an image that holds
# them), and it rebuilds in place with `pip install --no-deps --no-build-isolation --no-index -e .`
# Environment: PYTHON (default python3); GPU_CHECK_LOG_DIR, else OUT, else benchmarks/results/
# (where the log and the grade reports go); GPU_CHECK_TOTAL_BUDGET (seconds, default 450).
set -euo pipefail

ORIGINAL_PWD=$PWD
cd "$(dirname "$0")/.."

# No step starts, and a running one is cut, once this many seconds have passed, whatever its own
# budget: the check stays under 8 minutes (480 s), with room for the set-up, a step's 10 s to die
# after its TERM, and the table. GPU_CHECK_TOTAL_BUDGET overrides it (a slower GPU; the tests).
TOTAL_BUDGET=${GPU_CHECK_TOTAL_BUDGET:-450}
FALLBACK_ARCHITECTURES="80;90"  # the build's own default: Ampere and Hopper, the course's GPUs
PYTHON=${PYTHON:-python3}

usage() {
  sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'
}

dry_run=0
only=""
while [ $# -gt 0 ]; do
  case $1 in
    --dry-run) dry_run=1 ;;
    --only) only=${2:?--only needs a comma-separated list of steps}; shift ;;
    --only=*) only=${1#--only=} ;;
    -h | --help) usage; exit 0 ;;
    *) echo "gpu_check: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done

# ----------------------------------------------------------------------------- the GPU

architectures=$FALLBACK_ARCHITECTURES  # until a GPU says otherwise

# Why there is no usable GPU, or nothing when there is one. nvidia-smi is bounded in time: a
# wedged driver can make it hang.
gpu_problem() {
  local listed
  if ! command -v nvidia-smi >/dev/null 2>&1; then
    echo "nvidia-smi not found"
  elif ! listed=$(timeout 30 nvidia-smi -L 2>&1); then
    echo "nvidia-smi failed: $(head -n 1 <<<"$listed")"
  elif ! grep -q '^GPU [0-9]' <<<"$listed"; then
    echo "nvidia-smi lists no GPU"
  fi
}

# CMAKE_CUDA_ARCHITECTURES for the GPUs here: compute capability 9.0 -> 90, one entry per
# distinct capability; nothing when nvidia-smi cannot say (older drivers lack the field).
cuda_architectures() {
  local caps cap found=()
  caps=$(timeout 30 nvidia-smi --query-gpu=compute_cap --format=csv,noheader 2>/dev/null) || caps=""
  while read -r cap; do
    if [[ $cap =~ ^([0-9]+)\.([0-9])$ ]]; then
      found+=("${BASH_REMATCH[1]}${BASH_REMATCH[2]}")
    fi
  done <<<"$caps"
  if [ ${#found[@]} -gt 0 ]; then
    printf '%s\n' "${found[@]}" | sort -un | paste -sd ';' -
  fi
}

# ----------------------------------------------------------------------------- where output goes

stamp=$(date +%Y%m%d-%H%M%S)
log_dir=${GPU_CHECK_LOG_DIR:-${OUT:-}}
case $log_dir in
  "") log_dir=$PWD/benchmarks/results; default_log_dir=1 ;;
  /*) default_log_dir=0 ;;
  *) log_dir=$ORIGINAL_PWD/$log_dir; default_log_dir=0 ;;
esac
log=$log_dir/gpu_check-$stamp.log

# ----------------------------------------------------------------------------- the steps

# Python one-liners, kept here so that each step is one command the log and --dry-run can show.
# The packages a build and a run need (torch is optional: its columns and oracle tests skip).
DEPS_CHECK='import importlib.metadata as m, importlib.util as u, sys
need = ["numpy", "typer", "rich", "pybind11", "scikit_build_core", "pytest"]
missing = [name for name in need if u.find_spec(name) is None]
version = lambda name: m.version(name) if u.find_spec(name.replace("-", "_")) else "absent"
print("python", sys.version.split()[0], "| torch", version("torch"), "| scikit-build-core",
      version("scikit-build-core"), "| missing:", " ".join(missing) or "nothing")
sys.exit(1 if missing else 0)'
# The built CUDA backend answers on the GPU and adds correctly; else the tests and benchmarks
# would skip every CUDA case and still look green.
CUDA_CHECK='import sys; sys.path.insert(0, "hw3/python")
import numpy as np, needle.backend_ndarray as nd
d = nd.cuda()
ok = d.enabled() and np.array_equal((nd.array(np.arange(4, dtype=np.float32), device=d) + 1).numpy(), np.arange(1, 5))
print("needle cuda():", "answers, 0..3 + 1 correct" if ok else "does NOT answer or adds wrongly")
sys.exit(0 if ok else 1)'
# A grade report's figure: score, and what became of its CUDA cases; fails unless the reference
# gets full marks with every CUDA case graded.
GRADE_FIGURE='import collections, json, sys
report = json.load(open(sys.argv[1]))
score, top = report["score"], report["max_score"]
cuda = collections.Counter(case["status"] for case in report["cases"] if case["device"] == "cuda")
print(f"{score:g} / {top:g}, cuda cases: " + (", ".join(f"{n} {s}" for s, n in cuda.items()) or "none in this suite"))
sys.exit(0 if score == top and not cuda.get("not graded") else 1)'

answers_dir=""  # a temporary folder for the published answers, made by a real run
grade_report() { echo "$log_dir/gpu_check-$stamp-grade-$1.json"; }

# Every step, in the order they run: name, budget in seconds, the step it needs, its command.
# Each budget is two to three times what the step took on a 2-core machine without a GPU (the
# README's Benchmarks section has the figures), which covers what the GPU adds (CUDA tests,
# nvcc inside the grading job); a hung step is cut long before the total budget. The most
# telling steps come first: if time runs out, the benchmarks and hw4's grading (its hidden
# suite has no CUDA cases) are what go.
plan() {
  local jobs
  jobs=$(nproc)
  step deps 30 "" "$PYTHON" -c "$DEPS_CHECK"
  step build 120 deps env "CMAKE_ARGS=${CMAKE_ARGS:+$CMAKE_ARGS }-DCMAKE_CUDA_ARCHITECTURES=$architectures" \
    "CMAKE_BUILD_PARALLEL_LEVEL=$jobs" "$PYTHON" -m pip install --no-deps --no-build-isolation --no-index -v -e .
  step cuda 30 build "$PYTHON" -c "$CUDA_CHECK"
  step tests 150 build "$PYTHON" -m autograder test hw3 hw4
  step publish-hw3 45 build "$PYTHON" -m autograder publish hw3 --sandbox plain --answers-dir "$answers_dir"
  step grade-hw3 120 publish-hw3 "$PYTHON" -m autograder grade hw3 hw3 --sandbox plain \
    --answers-dir "$answers_dir" --json "$(grade_report hw3)"
  step ndarray 60 build "$PYTHON" benchmarks/ndarray.py --device cuda
  step models 90 build "$PYTHON" benchmarks/models.py --device cuda
  step publish-hw4 60 build "$PYTHON" -m autograder publish hw4 --sandbox plain --answers-dir "$answers_dir"
  step grade-hw4 60 publish-hw4 "$PYTHON" -m autograder grade hw4 hw4 --sandbox plain \
    --answers-dir "$answers_dir" --json "$(grade_report hw4)"
}

# A command as one readable line: arguments with spaces or quotes in single quotes, a
# multi-line Python program shown by its first line.
show() {
  local out="" arg
  for arg in "$@"; do
    if [[ $arg == *$'\n'* ]]; then
      arg="${arg%%$'\n'*} ..."
    fi
    if [[ $arg =~ [[:space:]\"\'\;\$] ]]; then
      out+=" '${arg//\'/\'\\\'\'}'"
    else
      out+=" $arg"
    fi
  done
  echo "${out# }"
}

selected() { [ -z "$only" ] || [[ ",$only," == *",$1,"* ]]; }

# What each step ran: status, seconds, key figure (associative arrays, keyed by step name).
declare -A status seconds figure
order=()

# The key figure of a step's output, and whether the output shows the step did not do its job
# though its command exited 0 (a benchmark that skipped CUDA; a reference that lost points).
# Sets `figure_line` and `broken`.
read_figure() {
  local name=$1 out=$2
  figure_line="" broken=0
  case $name in
    deps) figure_line=$(grep -m 1 '^python ' "$out" || true) ;;
    build)
      figure_line=$(grep -o 'dlsys: CUDA modules enabled (architectures [^)]*)\|dlsys: no CUDA compiler found' "$out" | tail -n 1 || true)
      if [[ $figure_line == *"no CUDA compiler"* ]]; then broken=1; fi ;;
    cuda) figure_line=$(grep -m 1 '^needle cuda' "$out" || true) ;;
    tests) figure_line=$(grep '^total: ' "$out" | tail -n 1 || true) ;;
    publish-*) figure_line=$(grep -o 'Published [0-9]* answers' "$out" | tail -n 1 || true) ;;
    grade-*)
      if [ -f "$(grade_report "${name#grade-}")" ]; then
        figure_line=$("$PYTHON" -c "$GRADE_FIGURE" "$(grade_report "${name#grade-}")") || broken=1
      fi ;;
    ndarray)  # the matmul rows: N, needle's and torch's GFLOP/s, the ratio
      figure_line=$(grep '^A @ B, N=' "$out" | sed -e 's/^A @ B, //' -e 's/  */ /g' | paste -sd ';' - | sed 's/;/; /g' || true)
      if [ -n "$figure_line" ]; then figure_line="matmul GFLOP/s needle torch ratio: $figure_line"; fi ;;
    models)  # each model's ms per step, needle then torch, and the ratio
      figure_line=$(grep -E '^(ResNet9|LSTM LM|Transformer LM),' "$out" |
        sed -E 's/^([^,]*),.*(Adam|SGD)  +/\1 /; s/  */ /g' | paste -sd ';' - | sed 's/;/; /g' || true)
      if [ -n "$figure_line" ]; then figure_line="ms/step needle torch ratio: $figure_line"; fi ;;
  esac
  if [[ $name == ndarray || $name == models ]] && grep -q '^cuda: .*skipped' "$out"; then
    broken=1
    figure_line="no CUDA figures: $(grep -m 1 '^cuda: .*skipped' "$out")"
  fi
  if [ -z "$figure_line" ]; then  # else the last line it printed, often the error
    figure_line=$(grep -v '^[[:space:]]*$' "$out" | tail -n 1 | cut -c 1-100 || true)
  fi
}

# What `step` does with each step: run it, show it (--dry-run), or name it (to check --only).
mode=run
failures=0

# Run, show or name one step: step NAME BUDGET NEEDS COMMAND...
# A step whose NEEDS ran in this run and did not pass is skipped: its result would mislead.
step() {
  local name=$1 budget=$2 needs=$3
  shift 3
  if [ "$mode" = names ]; then
    echo "$name"
    return
  fi
  selected "$name" || return 0
  if [ "$mode" = show ]; then
    printf '%-12s %4s s  %-12s %s\n' "$name" "$budget" "${needs:--}" "$(show "$@")"
    return
  fi
  order+=("$name")
  local left=$((TOTAL_BUDGET - SECONDS))
  if [ -n "$needs" ] && [ -n "${status[$needs]:-}" ] && [ "${status[$needs]}" != ok ]; then
    status[$name]="skipped"; seconds[$name]=0; figure[$name]="needs $needs, which did not pass"
    return
  fi
  if [ "$left" -lt 5 ]; then  # time ran out: a failure of the check, though nothing broke
    status[$name]="skipped"; seconds[$name]=0; figure[$name]="out of time: the run's $TOTAL_BUDGET s are spent"
    failures=$((failures + 1))
    return
  fi
  local limit=$((budget < left ? budget : left))
  local out="$work_dir/$name.out" rc=0 start=$SECONDS
  : >"$out"
  printf '\n===== %s (budget %s s): %s\n' "$name" "$limit" "$(show "$@")" | tee -a "$log"
  timeout --kill-after=10 "$limit" "$@" </dev/null 2>&1 | tee -a "$log" "$out" || rc=$?
  seconds[$name]=$((SECONDS - start))
  read_figure "$name" "$out"
  figure[$name]=$figure_line
  if [ "$rc" = 124 ] || { [ "$rc" = 137 ] && [ "${seconds[$name]}" -ge "$limit" ]; }; then
    status[$name]="TIMEOUT"
  elif [ "$rc" != 0 ]; then
    status[$name]="FAILED $rc"
  elif [ "$broken" = 1 ]; then
    status[$name]="FAILED"
  else
    status[$name]="ok"
  fi
  if [ "${status[$name]}" != ok ]; then failures=$((failures + 1)); fi
  printf '===== %s: %s in %s s\n' "$name" "${status[$name]}" "${seconds[$name]}" | tee -a "$log"
}

# ----------------------------------------------------------------------------- arguments, then the GPU

if [ -n "$only" ]; then  # every name given must be a step
  known=$(mode=names; plan | paste -sd ' ' -)
  for name in ${only//,/ }; do
    if [[ " $known " != *" $name "* ]]; then
      echo "gpu_check: no step '$name'; the steps: $known" >&2
      exit 2
    fi
  done
fi

no_gpu=$(gpu_problem)
if [ -n "$no_gpu" ] && [ "$dry_run" = 0 ]; then
  echo "gpu_check: no NVIDIA GPU ($no_gpu) - skipping"
  exit 0
fi
if [ -n "$no_gpu" ]; then
  architectures=$FALLBACK_ARCHITECTURES
  architectures_from="fallback: no GPU here ($no_gpu), and a real run would skip"
else
  architectures=$(cuda_architectures)
  architectures_from="from nvidia-smi's compute capability"
  if [ -z "$architectures" ]; then
    architectures=$FALLBACK_ARCHITECTURES
    architectures_from="fallback: nvidia-smi gives no compute capability"
  fi
fi

# ----------------------------------------------------------------------------- dry run

if [ "$dry_run" = 1 ]; then
  mode=show
  echo "gpu_check: dry run, nothing is run"
  echo "GPU: ${no_gpu:-$(timeout 30 nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | paste -sd ';' -)}"
  echo "CUDA architectures: $architectures ($architectures_from)"
  echo "log: $log"
  echo "total budget: $TOTAL_BUDGET s (no step starts after it; each step is also cut at its own budget)"
  printf '%-12s %6s  %-12s %s\n' step budget needs command
  answers_dir='<a temporary folder>'
  plan
  exit 0
fi

# ----------------------------------------------------------------------------- the run

mkdir -p "$log_dir"
if [ "$default_log_dir" = 1 ] && [ ! -e "$log_dir/.gitignore" ]; then
  echo '*' >"$log_dir/.gitignore"  # results are outputs, never committed
fi
work_dir=$(mktemp -d -t gpu_check.XXXXXX)
answers_dir=$work_dir/answers
trap 'rm -rf "$work_dir"' EXIT
export PYTHONUNBUFFERED=1 COLUMNS=${COLUMNS:-120}  # logs in order; rich's tables not squeezed to 80
# CUDA images often leave nvcc off PATH; the build (CMake) looks for it there, as `dlsys doctor` does.
if ! command -v nvcc >/dev/null 2>&1 && [ -x /usr/local/cuda/bin/nvcc ]; then
  export PATH=/usr/local/cuda/bin:$PATH
fi

{
  echo "gpu_check: log $log"
  echo "date: $(date -u '+%Y-%m-%d %H:%M:%S UTC'); host: $(uname -n); cores: $(nproc)"
  changes=$(git status --porcelain 2>/dev/null || true)
  echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo 'not a git checkout')${changes:+ (with local changes)}"
  echo "python: $(command -v "$PYTHON" || echo "$PYTHON: not found"); nvcc: $(command -v nvcc || echo 'not found')"
  timeout 30 nvidia-smi --query-gpu=index,name,compute_cap,memory.total,driver_version --format=csv 2>&1 || true
  echo "CUDA architectures: $architectures ($architectures_from)"
  echo "budget: $TOTAL_BUDGET s in all${only:+; only $only}"
} | tee "$log"

SECONDS=0
plan

{
  printf '\n%-12s %-10s %7s  %s\n' step status seconds "key figure"
  for name in "${order[@]}"; do
    printf '%-12s %-10s %7s  %s\n' "$name" "${status[$name]}" "${seconds[$name]}" "${figure[$name]}"
  done
  echo "total: $SECONDS s; log: $log"
} | tee -a "$log"

[ "$failures" = 0 ]
