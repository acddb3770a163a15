"""The package's shape, as docs/architecture.md draws it: which part may import which, what must
stand alone inside a sandbox, one run-id format, and modules short enough to read in one sitting."""
import ast
import re
import sys
from pathlib import Path

import pytest

from autograder.paths import REPO_ROOT

PACKAGE = REPO_ROOT / "autograder"
MAX_LINES = 400  # outside suites/ and tests/
# For each part of the package, the parts it must never import (dependencies point one way).
MUST_NOT_IMPORT = {
    "dlsys_harness": {"cli", "client", "course", "datasets", "devtools", "grading", "sandbox", "suites"},
    "sandbox": {"cli", "client", "course", "datasets", "devtools", "grading", "suites"},
    "datasets": {"cli", "client", "course", "devtools", "grading", "sandbox", "suites"},
    "course": {"cli", "devtools", "grading", "sandbox", "suites"},
    "devtools": {"cli", "grading", "sandbox", "suites"},
    "grading": {"cli", "devtools", "suites", "server", "worker"},
    # the service: routes and services never run grading themselves; the workers do
    "server": {"cli", "sandbox", "suites"},
    "worker": {"cli", "sandbox", "suites"},
    # building images: from the repository and the host's pip, never from the code it deploys
    "deploy": {"cli", "client", "course", "devtools", "grading", "sandbox", "server", "suites", "worker"},
}
# What the server may take from grading: the core's rules for unpacking an archive safely, which
# it applies to an upload before anything is stored, and the result formats it serves (grading
# itself runs in the workers).
SERVER_MAY_IMPORT_FROM_GRADING = {"autograder.grading.submission", "autograder.grading.reports"}
# Code that runs where the package is not installed: inside a sandbox, or in a student's handout.
STANDS_ALONE = ["dlsys_harness/*.py", "datasets/formats.py", "client/submit.py"]


def modules():
    return [p for p in sorted(PACKAGE.rglob("*.py")) if not {"tests", "suites", "__pycache__"} & set(p.parts)]


def imported(path: Path) -> set[str]:
    """Every module an absolute import in `path` names (relative imports stay inside their package)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("part", sorted(MUST_NOT_IMPORT))
def test_dependencies_point_one_way(part):
    wrong = {f"{path.relative_to(PACKAGE)} imports {name}"
             for path in (PACKAGE / part).rglob("*.py") for name in imported(path)
             if name.split(".")[0] == "autograder" and len(name.split(".")) > 1
             and name.split(".")[1] in MUST_NOT_IMPORT[part]}
    assert not wrong, sorted(wrong)


def test_only_the_workers_run_grading_on_the_services_side():
    wrong = {f"{path.relative_to(PACKAGE)} imports {name}"
             for path in (PACKAGE / "server").rglob("*.py") for name in imported(path)
             if name.startswith("autograder.grading") and name not in SERVER_MAY_IMPORT_FROM_GRADING}
    assert not wrong, sorted(wrong)


def test_only_grading_and_the_cli_import_the_sandboxes():
    importers = {path.relative_to(PACKAGE).parts[0] for path in modules()
                 if any(name.startswith("autograder.sandbox") for name in imported(path))}
    assert importers <= {"grading", "cli", "sandbox"}, importers


def test_the_services_know_nothing_of_http_and_the_pages_nothing_of_the_database():
    """services/ is the logic (no FastAPI, Starlette or templates there); web/ is pages over the
    same services as the JSON API, so it runs no query of its own (no SQLAlchemy there)."""
    wrong = {f"{path.relative_to(PACKAGE)} imports {name}"
             for path in (PACKAGE / "server" / "services").rglob("*.py") for name in imported(path)
             if name.split(".")[0] in {"fastapi", "starlette", "jinja2"}}
    wrong |= {f"{path.relative_to(PACKAGE)} imports {name}"
              for path in (PACKAGE / "server" / "web").rglob("*.py") for name in imported(path)
              if name.split(".")[0] == "sqlalchemy" or name.startswith("autograder.server.db.session")}
    assert not wrong, sorted(wrong)


@pytest.mark.parametrize("pattern", STANDS_ALONE)
def test_code_that_runs_outside_the_package_needs_only_the_standard_library_and_numpy(pattern):
    for path in PACKAGE.glob(pattern):
        foreign = {name for name in imported(path)
                   if name.split(".")[0] not in sys.stdlib_module_names | {"numpy", "__future__"}}
        assert not foreign, f"{path.relative_to(PACKAGE)} imports {sorted(foreign)}"


def test_the_run_id_format_is_written_once():
    """`case[device]` is built by protocol.run_id only; everything else calls it."""
    built_here = re.compile(r"\{[^{}]+\}\[\{[^{}]+\}\]")
    places = [str(p.relative_to(PACKAGE)) for p in sorted(PACKAGE.rglob("*.py")) if built_here.search(p.read_text())]
    assert places == ["dlsys_harness/protocol.py"]


def test_no_module_outside_suites_and_tests_is_longer_than_one_sitting():
    long = {str(p.relative_to(PACKAGE)): n for p in modules() if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert not long, long
