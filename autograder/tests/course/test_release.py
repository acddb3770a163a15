"""`dlsys release`, for every homework: the handout holds no reference line and nothing of
autograder/ but the submit client, installs and imports, fails its public tests only where
students must write code, builds with plain cmake as the grader does, and packs submissions.

Each release is built once per session (module-scoped fixtures): `pip install -e` into a
venv layered over this environment (tests/venvs.py), so the build needs no network.
"""
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tarfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import pytest

from autograder.client import submit
from autograder.course.manifest import Manifest, load_manifest
from autograder.course.regions import C_FAMILY, find_regions, language
from autograder.course.release import (
    CMAKE_RULES,
    SUBMIT_TEMPLATE,
    homework_modules,
    module_calls,
    release,
    release_files,
)
from autograder.course.tree import snapshot_files
from autograder.devtools.native import NATIVE_MODULES
from autograder.errors import DlsysError
from autograder.paths import REPO_ROOT, homework_dirs
from venvs import layered_venv

HOMEWORKS = [d.name for d in homework_dirs() if (d / "homework.toml").is_file()]
NATIVE_HOMEWORKS = [hw for hw in HOMEWORKS if homework_modules(hw)]
GENERATED = {"pyproject.toml", "CMakeLists.txt", CMAKE_RULES, "submit.py", ".gitignore"}
QUIET_PIP = {"PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_INDEX": "1"}

# A pytest plugin for the release's test run: it writes each test's markers into the
# JUnit report, so one run tells which part every failing test belongs to.
MARKERS_PLUGIN = '''
def pytest_collection_modifyitems(items):
    for item in items:
        item.user_properties.append(("markers", " ".join(m.name for m in item.iter_markers())))
'''


@dataclass(frozen=True)
class Handout:
    manifest: Manifest
    folder: Path
    python: Path | None = None  # the venv's interpreter, once installed


def run(command, cwd, **env):
    return subprocess.run([str(c) for c in command], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, **env})


@pytest.fixture(scope="module", params=HOMEWORKS)
def released(request, tmp_path_factory):
    homework = request.param
    return Handout(load_manifest(homework), release(load_manifest(homework), tmp_path_factory.mktemp(homework) / "handout"))


def carried_native_files(manifest: Manifest) -> list[str]:
    """Native student files that no part of the homework grades on its own: hw4's C++/CUDA
    backend, whose hw3 kernels students bring solved and every hw4 part computes on. (Its three
    new kernels are checked by the public hw4_ops tests; left empty, those fail with
    AssertionError on NaN, as an emptied C++ body does.)"""
    if any(p.marker.endswith(("_cpp", "_cuda")) for p in manifest.parts):
        return []
    return [name for name in manifest.student_files if language(name) == C_FAMILY]


@pytest.fixture(scope="module")
def installed(released, tmp_path_factory):
    """The handout after `pip install -e .` into a fresh venv, as a student does it; a copy of
    `released`, with its carried native files solved (the reference's), as students bring them."""
    for needed in ("scikit_build_core", "pybind11"):
        assert importlib.util.find_spec(needed), (
            f"{needed} must be importable here to build handouts without network: pip install scikit-build-core pybind11")
    folder = tmp_path_factory.mktemp(f"{released.manifest.name}-installed") / "handout"
    shutil.copytree(released.folder, folder)
    for name in carried_native_files(released.manifest):
        shutil.copyfile(released.manifest.root / name, folder / name)
    released = Handout(released.manifest, folder)
    # A venv of its own that sees this environment's pip, build backend, numpy and pytest, whether
    # this environment is the system interpreter or a venv itself (venvs.py says why that matters).
    python = layered_venv(tmp_path_factory.mktemp(f"{released.manifest.name}-venv") / "venv")
    install = run([python, "-m", "pip", "install", "--no-build-isolation", "--no-deps", "-e", released.folder],
                  released.folder, **QUIET_PIP)
    assert install.returncode == 0, install.stdout[-4000:] + install.stderr[-4000:]
    return Handout(released.manifest, released.folder, python)


def text_lines(data: bytes) -> set[str]:
    return {line.strip() for line in data.decode(errors="replace").splitlines()}


def is_code(line: str, lang: str) -> bool:
    comment = ("#",) if lang == "python" else ("//", "/*", "*")
    return bool(line) and not line.startswith(comment)


# --- what the release holds ----------------------------------------------------------

def test_release_holds_the_snapshot_and_the_handout_files(released):
    reference = released.manifest.root
    files = set(snapshot_files(released.folder))
    assert files == set(snapshot_files(reference)) | GENERATED
    given = ["README.md", "pytest.ini", "homework.toml"] + [f for f in files if f.startswith("tests/")]
    for name in given:
        assert (released.folder / name).read_bytes() == (reference / name).read_bytes(), name
    assert (released.folder / "submit.py").read_bytes() == SUBMIT_TEMPLATE.read_bytes()
    assert (released.folder / CMAKE_RULES).read_bytes() == (REPO_ROOT / CMAKE_RULES).read_bytes()


def test_the_handouts_gitignore_ignores_none_of_its_files(released, tmp_path):
    """A student who commits the handout commits all of it (`data/` once hid `python/needle/data/`)."""
    shutil.copy(released.folder / ".gitignore", tmp_path / ".gitignore")  # a git repository with that .gitignore
    run(["git", "init", "-q"], tmp_path)
    result = subprocess.run(["git", "check-ignore", "--no-index", "--stdin"], cwd=tmp_path, text=True,
                            input="\n".join(snapshot_files(released.folder)), capture_output=True)
    assert result.returncode == 1 and result.stdout == "", f"ignored by the handout's .gitignore: {result.stdout}"


def test_student_files_keep_their_regions_empty(released):
    for name in released.manifest.student_files:
        lang = language(name)
        if lang is None:
            continue
        text = (released.folder / name).read_text()
        regions = find_regions(text, name)
        assert len(regions) == len(find_regions((released.manifest.root / name).read_text(), name)) > 0
        lines = text.splitlines()
        for region in regions:
            body = [line.strip() for line in lines[region.begin:region.end - 1]]
            assert body == (["raise NotImplementedError()"] if lang == "python" else []), f"{name}:{region.begin}"


def test_no_reference_line_survives_anywhere_in_the_release(released):
    """(a) Every code line written inside a region of the reference, and nowhere outside one, is gone."""
    reference = released.manifest.root
    inside, outside = set(), set()
    for name in snapshot_files(reference):
        text = (reference / name).read_text(errors="replace")
        lines = [line.strip() for line in text.splitlines()]
        regions = find_regions(text, name)
        in_region = {i for r in regions for i in range(r.begin, r.end - 1)}  # 0-based body lines
        inside |= {lines[i] for i in in_region if is_code(lines[i], language(name))}
        outside |= {line for i, line in enumerate(lines) if i not in in_region}
    secret = inside - outside
    assert secret, "the reference has no region code of its own: nothing to check"
    for name in snapshot_files(released.folder):
        leaked = secret & text_lines((released.folder / name).read_bytes())
        assert not leaked, f"{name} holds reference lines: {sorted(leaked)[:5]}"


def test_nothing_of_the_autograder_but_the_submit_client(released):
    """(b) No hidden suite, no answers, no autograder file other than the submit client."""
    files = snapshot_files(released.folder)
    for name in files:
        parts = Path(name).parts
        assert "autograder" not in parts and "suites" not in parts, name
        assert "answer" not in name.lower(), name
    autograder_files = {p.read_bytes(): p for p in (REPO_ROOT / "autograder").rglob("*")
                        if p.is_file() and "__pycache__" not in p.parts and p.stat().st_size > 0}
    copied = {name: autograder_files[data] for name in files
              if (data := (released.folder / name).read_bytes()) in autograder_files}
    assert copied == {"submit.py": SUBMIT_TEMPLATE}


def test_handout_declares_the_root_builds_modules_of_its_homework(released):
    homework = released.manifest.name
    cmake = (released.folder / "CMakeLists.txt").read_text()
    declared = {(c.name, c.dest, c.kind == "cuda") for c in module_calls(cmake)}
    in_table = {(m.name, str(Path(m.folder).relative_to(homework)), m.cuda)
                for m in NATIVE_MODULES if Path(m.folder).parts[0] == homework}
    assert declared == in_table
    # Only a homework with a CUDA module looks for a CUDA compiler when configuring.
    assert ("set(DLSYS_CUDA OFF)" in cmake) == (not any(cuda for _, _, cuda in declared))
    for call in module_calls(cmake):
        assert all((released.folder / source).is_file() for source in call.sources), call


# --- it installs, imports and fails only where students write code -------------------------

def test_pip_install_builds_modules_next_to_sources_and_code_imports(installed):
    """(c) `pip install -e .` succeeds; native modules and needle import as the course's code does."""
    folder = installed.folder
    checks = []
    for module in homework_modules(installed.manifest.name):
        assert list((folder / module.dest).glob(f"{module.name}.*.so")), f"{module.name} not built in {module.dest}/"
        checks.append(f"import sys; sys.path.insert(0, {module.dest!r}); import {module.name}")
    if (folder / "python" / "needle").is_dir():
        checks.append('import sys; sys.path.append("./python"); import needle; needle.Tensor([1.0])')
    assert checks, "nothing to import: the homework has neither native modules nor needle"
    for check in checks:
        result = run([installed.python, "-c", check], folder)
        assert result.returncode == 0, f"{check}\n{result.stderr}"


def test_public_tests_fail_only_with_not_implemented(installed, tmp_path):
    """(d) Tests of given code may pass; everything else fails with NotImplementedError.

    Exception: tests of a C++/CUDA part (marker ending in _cpp or _cuda, e.g. hw0_cpp) may
    fail with AssertionError too: an emptied C++ body compiles, runs and returns wrong values.
    Native files no part grades on its own (hw4's backend, from hw3) are installed solved.
    """
    (tmp_path / "dlsys_markers.py").write_text(MARKERS_PLUGIN)
    report = tmp_path / "junit.xml"
    result = run([installed.python, "-m", "pytest", "-p", "no:cacheprovider", "-p", "dlsys_markers",
                  f"--junitxml={report}"], installed.folder, PYTHONPATH=str(tmp_path))
    assert report.is_file(), result.stdout[-3000:] + result.stderr[-3000:]
    native_markers = {p.marker for p in installed.manifest.parts if p.marker.endswith(("_cpp", "_cuda"))}
    failing_parts, passing_parts, wrong = set(), set(), []
    testcases = list(ET.parse(report).getroot().iter("testcase"))
    for case in testcases:
        markers = set()
        for prop in case.iter("property"):
            if prop.get("name") == "markers":
                markers = set(prop.get("value").split())
        if not case.findall("failure") + case.findall("error") + case.findall("skipped"):
            passing_parts |= markers
        for problem in case.findall("failure") + case.findall("error"):
            message = problem.get("message") or ""
            # pytest reports a failed plain `assert` as "assert ...", other exceptions as "Name: ...",
            # and an exception in a fixture as 'failed on setup with "Name: ..."'
            message = re.sub(r'^failed on (setup|teardown) with "', "", message)
            kind = "AssertionError" if message.startswith("assert ") else message.split(":")[0].strip().rstrip('"')
            allowed = {"NotImplementedError"} | ({"AssertionError"} if markers & native_markers else set())
            if kind not in allowed:
                wrong.append(f"{case.get('classname')}::{case.get('name')}: {message[:200]}")
            failing_parts |= markers
    assert testcases and not wrong, "\n".join(wrong)
    parts = {p.marker for p in installed.manifest.parts}
    # Without a GPU, a CUDA part's tests all skip: none may pass, and none fail.
    untested = {m for m in parts - failing_parts if m.endswith("_cuda") and m not in passing_parts}
    assert parts - untested <= failing_parts, f"parts whose tests all pass with emptied regions: {parts - failing_parts}"


@pytest.mark.parametrize("homework", HOMEWORKS)
def test_reference_passes_its_public_tests(homework):
    """(e) The same public tests pass on the reference snapshot."""
    result = run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q"], REPO_ROOT / homework)
    assert result.returncode == 0, result.stdout[-3000:]


@pytest.mark.parametrize("homework", NATIVE_HOMEWORKS)
def test_plain_cmake_build_places_modules_next_to_sources(homework, tmp_path):
    """(f) The grader's build: plain cmake, no pip, pybind11 found through Python."""
    folder = release(load_manifest(homework), tmp_path / "handout")
    for step in (["cmake", "-S", ".", "-B", "build", "-DCMAKE_BUILD_TYPE=Release", f"-DPython_EXECUTABLE={sys.executable}"],
                 ["cmake", "--build", "build"]):
        result = run(step, folder)
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    for module in homework_modules(homework):
        check = f"import sys; sys.path.insert(0, {module.dest!r}); import {module.name}; print({module.name}.__file__)"
        result = run([sys.executable, "-c", check], folder)
        assert result.returncode == 0, result.stderr
        assert Path(result.stdout.strip()).parent == folder / module.dest


# --- refusals ---------------------------------------------------------------------------

def test_release_refuses_a_non_empty_folder_unless_told_to_overwrite(tmp_path):
    out = tmp_path / "handout"
    out.mkdir()
    (out / "stale.txt").write_text("from before")
    with pytest.raises(DlsysError, match="not an empty folder.*--overwrite"):
        release(load_manifest(HOMEWORKS[0]), out)
    assert (out / "stale.txt").exists()
    assert release(load_manifest(HOMEWORKS[0]), out, overwrite=True) == out
    assert not (out / "stale.txt").exists() and (out / "submit.py").is_file()


@pytest.mark.parametrize("inside", [".", "hw0", "hw0/src/out", "autograder/out"])
def test_release_never_writes_into_the_repository_sources(inside):
    out = REPO_ROOT / inside
    existed = out.exists()
    with pytest.raises(DlsysError, match="repository"):
        release(load_manifest(HOMEWORKS[0]), out, overwrite=True)
    assert out.exists() == existed


def fake_repository(tmp_path: Path, homework: str = "hw0") -> Path:
    """A repository root holding one homework and the root build files, to break on purpose."""
    root = tmp_path / "repo"
    for name in ["CMakeLists.txt", "pyproject.toml", CMAKE_RULES]:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(REPO_ROOT / name, root / name)
    for name in snapshot_files(REPO_ROOT / homework):
        (root / homework / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(REPO_ROOT / homework / name, root / homework / name)
    return root


def test_a_region_outside_the_student_files_stops_the_release(tmp_path):
    root = fake_repository(tmp_path)
    conftest = root / "hw0" / "tests" / "conftest.py"
    lines = conftest.read_text().splitlines()
    conftest.write_text("\n".join(lines + ["def helper():", "    ### BEGIN YOUR SOLUTION", "    return 1",
                                           "    ### END YOUR SOLUTION", ""]))
    with pytest.raises(DlsysError, match=rf"hw0/tests/conftest.py:{len(lines) + 2}: .*student_files"):
        release_files(load_manifest("hw0", root))


def test_a_malformed_region_stops_the_release_naming_its_line(tmp_path):
    root = fake_repository(tmp_path)
    source = root / "hw0" / "src" / "simple_ml.py"
    source.write_text(source.read_text().replace("### END YOUR SOLUTION", "## END YOUR SOLUTION", 1))
    with pytest.raises(DlsysError, match=r"hw0/src/simple_ml.py:\d+: .*looks like a solution marker"):
        release_files(load_manifest("hw0", root))


def test_a_module_with_sources_outside_its_homework_stops_the_release(tmp_path):
    root = fake_repository(tmp_path)
    cmake = root / "CMakeLists.txt"
    cmake.write_text(cmake.read_text() + "dlsys_cpp_module(shared_ext hw0/src common/shared.cpp)\n")
    with pytest.raises(DlsysError, match="shared_ext .*common/shared.cpp, outside hw0/"):
        release_files(load_manifest("hw0", root))


def test_module_calls_ignore_comments_and_definitions():
    text = """function(dlsys_cpp_module name dest)
  # dlsys_cpp_module(not_a_call x y)
endfunction()
dlsys_cpp_module(a hw0/src hw0/src/a.cpp)  # trailing comment
dlsys_cuda_module(b
                  hw3/src hw3/src/b.cu hw3/src/c.cu)
"""
    assert [(c.kind, c.name, c.dest, c.sources) for c in module_calls(text)] == [
        ("cpp", "a", "hw0/src", ("hw0/src/a.cpp",)), ("cuda", "b", "hw3/src", ("hw3/src/b.cu", "hw3/src/c.cu"))]


# --- the submit client -------------------------------------------------------------------

def test_submit_packs_exactly_the_student_files(released, tmp_path):
    """(g) `python submit.py` in a handout: the student files, relative paths, regular files."""
    folder = release(released.manifest, tmp_path / "handout")
    result = run([sys.executable, "submit.py"], folder)
    assert result.returncode == 0, result.stderr
    archive = folder / f"{released.manifest.name}-submission.tar.gz"
    assert str(archive) in result.stdout
    assert all(name in result.stdout for name in released.manifest.student_files)
    with tarfile.open(archive) as tar:
        members = tar.getmembers()
        assert sorted(m.name for m in members) == sorted(released.manifest.student_files)
        assert all(m.isreg() and m.uname == "" for m in members)
        for member in members:
            assert tar.extractfile(member).read() == (folder / member.name).read_bytes()


def test_submit_fails_clearly_when_a_student_file_is_missing(released, tmp_path):
    folder = release(released.manifest, tmp_path / "handout")
    missing = released.manifest.student_files[-1]
    (folder / missing).unlink()
    result = run([sys.executable, "submit.py"], folder)
    assert result.returncode == 1
    assert result.stderr.startswith("error: cannot submit: ") and missing in result.stderr
    assert "Traceback" not in result.stderr
    assert not list(folder.glob("*.tar.gz"))


def test_submit_refuses_a_linked_student_file(tmp_path):
    folder = release(load_manifest(HOMEWORKS[0]), tmp_path / "handout")
    name = load_manifest(HOMEWORKS[0]).student_files[0]
    (folder / name).rename(tmp_path / "elsewhere")
    (folder / name).symlink_to(tmp_path / "elsewhere")
    with pytest.raises(submit.SubmitError, match=rf"{name} missing from .*\(or not a regular file\)"):
        submit.pack(folder, tmp_path / "out.tar.gz")


def test_submit_needs_the_homework_name_from_pyproject(tmp_path):
    folder = release(load_manifest(HOMEWORKS[0]), tmp_path / "handout")
    (folder / "pyproject.toml").write_text('[project]\nname = "x"\n')
    with pytest.raises(submit.SubmitError, match=r"no \[tool.dlsys\] homework"):
        submit.pack(folder)
