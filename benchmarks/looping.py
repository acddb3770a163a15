"""What a looping submission costs a grader: hw1 with one op that never returns, beside the reference.

A student's `PowerScalar.compute` that loops forever makes every case that raises a tensor to
a power wait out its time limit. This grades that submission and the reference itself in each
sandbox asked for and prints the wall-clock time of each grading (the score too, so a wrong
figure shows), with the cases graded `--cpus` at a time where the grader supports it.

With `--slow` it also grades a correct but slower submission: the reference with every op's
`compute` done three times (`Value.realize_cached_data`), and prints, over its cases, how much
slower than the reference it was and the least room left under a case's limit (limit / its
seconds; below 1 a correct case would have been cut off). `--homework hw2` works for that too
(the looping submission is hw1's only).

The answers are published first from the reference into a temporary folder (or taken from
`--answers`), in the first sandbox named.

    python benchmarks/looping.py [--sandbox local docker] [--cpus 1 2] [--homework hw1] [--slow] [--no-looping]
"""
import argparse
import inspect
import tarfile
import tempfile
import time
from pathlib import Path

from autograder.course.manifest import load_manifest
from autograder.grading.answers import load_answers
from autograder.grading.grade import grade
from autograder.grading.job_folder import suite_hash
from autograder.grading.publish import publish
from autograder.sandbox import DockerSandbox, LocalSandbox

OP_FILE = "python/needle/ops/ops_mathematic.py"
SOLUTION = "        return array_api.power(a, self.scalar)\n"
LOOP = "        while True:\n            pass\n"
AUTOGRAD_FILE = "python/needle/autograd.py"
COMPUTE = "        self.cached_data = self.op.compute(*[x.realize_cached_data() for x in self.inputs])\n"
THRICE = ("        inputs = [x.realize_cached_data() for x in self.inputs]\n"
          "        for _ in range(2):\n            self.op.compute(*inputs)\n"
          "        self.cached_data = self.op.compute(*inputs)\n")


def archive(manifest, dest: Path, edits: dict[str, tuple[str, str]] | None = None) -> Path:
    """The reference's student files as a submission, with `edits` {file: (old, new)} made."""
    with tarfile.open(dest, "w:gz") as tar:
        for name in manifest.student_files:
            source = manifest.root / name
            if name in (edits or {}):
                old, new = edits[name]
                text = source.read_text()
                if old not in text:
                    raise SystemExit(f"{source} no longer holds {old.strip()!r}: update this benchmark")
                source = dest.with_name(dest.name + "-" + Path(name).name)
                source.write_text(text.replace(old, new, 1))
            tar.add(source, arcname=name)
    return dest


def slow_figures(result, published) -> str:
    """How much slower than the reference the slow submission's cases were, and their least headroom."""
    cases = {case.id: case for case in published.cases}
    timed = [(c, cases[c.case]) for c in result.cases if c.seconds and getattr(cases[c.case], "reference_seconds", None)]
    if not timed:
        return ""
    ratio = max(c.seconds / a.reference_seconds for c, a in timed)
    case, answer = min(timed, key=lambda pair: pair[1].timeout / pair[0].seconds)
    return (f"slowest case {ratio:.1f}x the reference; least headroom {answer.timeout / case.seconds:.1f}x "
            f"({case.case}: {case.seconds:.2f} s of {answer.timeout:g} s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sandbox", nargs="+", default=["local", "docker"], choices=["local", "docker"])
    parser.add_argument("--cpus", nargs="+", type=int, default=[1])
    parser.add_argument("--homework", default="hw1")
    parser.add_argument("--answers", type=Path, help="published answers to use instead of publishing anew")
    parser.add_argument("--slow", action="store_true", help="grade a correct submission 3x slower in every op too")
    parser.add_argument("--no-looping", action="store_true", help="leave the looping submission out")
    args = parser.parse_args()
    manifest = load_manifest(args.homework)
    sandboxes = {"local": LocalSandbox, "docker": DockerSandbox}
    takes_cpus = "cpus" in inspect.signature(grade).parameters
    with tempfile.TemporaryDirectory(prefix="dlsys-bench-looping-") as tmp:
        tmp = Path(tmp)
        answers = args.answers
        if answers is not None:
            published = load_answers(args.homework, suite_hash(args.homework), answers)
        else:
            answers = tmp / "answers"
            start = time.monotonic()
            published, _ = publish(manifest, sandboxes[args.sandbox[0]](), answers_folder=answers)
            limits = sorted({case.timeout for case in published.cases})
            print(f"published {args.homework} in {args.sandbox[0]}: {time.monotonic() - start:.1f} s, "
                  f"case limits {', '.join(f'{t:g}' for t in limits)} s")
        submissions = {"reference": archive(manifest, tmp / "reference.tar.gz")}
        if args.homework == "hw1" and not args.no_looping:
            submissions["looping power_scalar"] = archive(manifest, tmp / "looping.tar.gz", {OP_FILE: (SOLUTION, LOOP)})
        if args.slow:
            submissions["3x compute"] = archive(manifest, tmp / "slow.tar.gz", {AUTOGRAD_FILE: (COMPUTE, THRICE)})
        print("| sandbox | cpus | submission | score | seconds | |\n| --- | --- | --- | --- | --- | --- |")
        for name in args.sandbox:
            for cpus in args.cpus if takes_cpus else [1]:
                for label, path in submissions.items():
                    start = time.monotonic()
                    given = {"cpus": cpus} if takes_cpus else {}
                    result = grade(manifest, path, sandboxes[name](), answers_folder=answers, **given)
                    figures = slow_figures(result, published) if label == "3x compute" else ""
                    print(f"| {name} | {cpus if takes_cpus else '(sequential)'} | {label} | "
                          f"{result.score:g}/{result.max_score:g} | {time.monotonic() - start:.1f} | {figures} |",
                          flush=True)


if __name__ == "__main__":
    main()
