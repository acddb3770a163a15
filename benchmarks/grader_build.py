"""Where a grading job's build time goes in the Docker sandbox: CMake's configure beside the rest.

For each homework, the reference graded in the grader image: a build-only job (the handout's
C++ modules, no case) and, with --whole, the whole CPU job (every CPU case of the suite).
Each line gives the configure's seconds, the build's (configure included), the job's wall
seconds, and whether the configure started from the image's prepared tree
(dlsys_harness/prepared_build.py). The best of --repeats jobs.

    python benchmarks/grader_build.py [--image dlsys-grader:latest] [--homeworks hw0 hw3 hw4] [--whole]
"""
import argparse
import tempfile
from pathlib import Path

from autograder.course.manifest import load_manifest
from autograder.dlsys_harness.protocol import Ending, run_id
from autograder.grading.run_suite import list_cases, run_suite
from autograder.grading.workspace import reference_project
from autograder.sandbox import GRADER_IMAGE, DockerSandbox


def job_figures(manifest, project, sandbox, scratch, runs, timeouts):
    suite = run_suite(manifest, project, sandbox, Path(tempfile.mkdtemp(dir=scratch), "job"), runs, timeouts)
    build = suite.records.build or {}
    if suite.stopped or not build.get("ok"):
        raise SystemExit(f"{manifest.name}: the job failed ({suite.stopped}): {suite.result.stderr_tail[-2000:]}")
    passed = sum(run.status == Ending.OK for run in suite.records.runs.values())
    return (build.get("configure_seconds", float("nan")), build["seconds"], suite.result.seconds,
            build.get("prepared", False), passed)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--image", default=GRADER_IMAGE)
    parser.add_argument("--homeworks", nargs="+", default=["hw0", "hw3", "hw4"])
    parser.add_argument("--whole", action="store_true", help="also the whole CPU job (every CPU case)")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    sandbox = DockerSandbox(args.image)
    print(f"image {args.image}; best of {args.repeats}")
    print(f"{'homework':<9}{'job':<12}{'configure s':>12}{'build s':>9}{'job s':>8}  prepared  runs")
    with tempfile.TemporaryDirectory(prefix="grader-build-") as scratch:
        for homework in args.homeworks:
            manifest = load_manifest(homework)
            project = reference_project(manifest, Path(scratch, homework))
            jobs = [("build only", [], {})]
            if args.whole:
                cases = list_cases(manifest, project, sandbox, Path(tempfile.mkdtemp(dir=scratch), "job"))
                runs = [(case["id"], "cpu") for case in cases if "cpu" in case["devices"]]
                jobs.append((f"{len(runs)} cases", runs, {run_id(c, d): 600.0 for c, d in runs}))
            for label, runs, timeouts in jobs:
                figures = [job_figures(manifest, project, sandbox, scratch, runs, timeouts)
                           for _ in range(args.repeats)]
                configure, build, job = (min(f[i] for f in figures) for i in range(3))
                prepared, passed = figures[-1][3], figures[-1][4]
                print(f"{homework:<9}{label:<12}{configure:>12.2f}{build:>9.2f}{job:>8.2f}  {str(prepared):<8}  "
                      f"{passed}/{len(runs)} ended ok", flush=True)


if __name__ == "__main__":
    main()
