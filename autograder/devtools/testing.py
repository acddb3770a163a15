"""`dlsys test`: every homework's public tests, each in a pytest process of its own.

The snapshots all define a top-level `needle`, so two homeworks must never share
an interpreter. Each target runs from its own folder, as the course's handouts
do, and reports through a JUnit file that we read back for the summary. The
final-project kit (`project/`, on hw4's needle) is a target of its own too:
`python -m pytest project` from the repository root.
"""
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from autograder.errors import DlsysError
from autograder.paths import REPO_ROOT, homework_dirs

AUTOGRADER_TARGET = "autograder"
PROJECT_TARGET = "project"


@dataclass(frozen=True)
class TestTarget:
    """A set of tests run by one pytest process started in `directory`."""

    __test__ = False  # a name pytest would otherwise try to collect

    name: str
    directory: Path
    paths: tuple[str, ...] = ()


@dataclass
class TestOutcome:
    """What one pytest process reported."""

    __test__ = False

    target: str
    passed: int = 0
    failed: int = 0
    errors: int = 0
    skipped: int = 0
    seconds: float = 0.0
    returncode: int = 0

    @property
    def collected(self) -> int:
        return self.passed + self.failed + self.errors + self.skipped

    @property
    def ok(self) -> bool:
        """Green means: pytest succeeded, nothing failed, and something actually ran."""
        return self.returncode == 0 and self.failed == self.errors == 0 and self.passed > 0

    @property
    def verdict(self) -> str:
        if self.ok:
            return "passed"
        if self.collected == 0:
            return "no tests collected"
        return "FAILED"


def discover_targets(root: Path = REPO_ROOT) -> dict[str, TestTarget]:
    """Homeworks with a tests/ folder, in course order, then the final-project kit, then the
    autograder's own tests."""
    targets = {hw.name: TestTarget(hw.name, hw) for hw in homework_dirs(root) if (hw / "tests").is_dir()}
    if (root / PROJECT_TARGET).is_dir():
        targets[PROJECT_TARGET] = TestTarget(PROJECT_TARGET, root, (PROJECT_TARGET,))
    if (root / AUTOGRADER_TARGET / "tests").is_dir():
        targets[AUTOGRADER_TARGET] = TestTarget(AUTOGRADER_TARGET, root, (f"{AUTOGRADER_TARGET}/tests",))
    return targets


def select_targets(names: list[str], root: Path = REPO_ROOT) -> list[TestTarget]:
    """The targets named, or all of them when none is named."""
    targets = discover_targets(root)
    if not targets:
        raise DlsysError(f"No tests found under {root}: expected hwN/tests/, project/ or autograder/tests/.")
    unknown = [name for name in names if name not in targets]
    if unknown:
        raise DlsysError(f"No tests for {', '.join(unknown)}. Known: {', '.join(targets)}.")
    return [targets[name] for name in names] if names else list(targets.values())


def run_target(target: TestTarget, pytest_args: tuple[str, ...] = ()) -> TestOutcome:
    """Run one target's tests in a fresh interpreter; its output goes straight to ours."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "junit.xml"
        command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", f"--junitxml={report}",
                   *target.paths, *pytest_args]
        start = time.perf_counter()
        returncode = subprocess.run(command, cwd=target.directory).returncode
        outcome = read_junit(report, target.name) if report.exists() else TestOutcome(target.name, errors=1)
    outcome.seconds = time.perf_counter() - start
    outcome.returncode = returncode
    return outcome


def read_junit(report: Path, target: str) -> TestOutcome:
    """Counts from a pytest JUnit report (one <testsuite>, maybe inside <testsuites>)."""
    root = ET.parse(report).getroot()
    suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))

    def total(key: str) -> int:
        return sum(int(suite.get(key, 0)) for suite in suites)

    failed, errors, skipped = total("failures"), total("errors"), total("skipped")
    return TestOutcome(target, passed=total("tests") - failed - errors - skipped,
                       failed=failed, errors=errors, skipped=skipped)


def summary_line(outcomes: list[TestOutcome]) -> str:
    """The closing line CI reads: 'total: N passed, N failed, N skipped'."""
    passed = sum(o.passed for o in outcomes)
    failed = sum(o.failed + o.errors for o in outcomes)
    skipped = sum(o.skipped for o in outcomes)
    return f"total: {passed} passed, {failed} failed, {skipped} skipped"
