"""`dlsys release hwN --out DIR`: the self-contained student repository of one homework.

A release holds the homework's snapshot with every solution region emptied, plus what makes
it a repository of its own:

    pyproject.toml              `pip install -e .` builds the native modules next to their sources
    CMakeLists.txt              the same build for a plain `cmake -S . -B build` (the grader's)
    cmake/dlsys_modules.cmake   the build rules, shared verbatim with the course repository
    submit.py                   packs the student files (from autograder/client/)
    .gitignore                  build outputs and submission archives

Everything is derived from the repository, never written per homework by hand: the native
modules are the root CMakeLists.txt's module calls whose folder lies in the homework, and
the dependency pins are the root pyproject.toml's. Nothing else of `autograder/` goes out:
no hidden suite, no answer, no reference code.
"""
from __future__ import annotations

import json
import re
import shutil
import tomllib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from autograder.course.manifest import Manifest
from autograder.course.regions import find_regions, language, strip_regions
from autograder.course.tree import snapshot_files
from autograder.errors import DlsysError
from autograder.paths import REPO_ROOT, homework_dirs

SUBMIT_TEMPLATE = Path(__file__).resolve().parents[1] / "client" / "submit.py"
CMAKE_RULES = "cmake/dlsys_modules.cmake"
MODULE_CALL = re.compile(r"^[ \t]*dlsys_(cpp|cuda)_module[ \t]*\(([^)]*)\)", re.M)

GITIGNORE = """\
# Python
__pycache__/
*.py[cod]
*.egg-info/
.pytest_cache/
.venv/

# What `pip install -e .` (an in-place CMake build) and `cmake -B build` leave behind
/build/
CMakeCache.txt
CMakeFiles/
CMakeInit.txt
cmake_install.cmake
build.ninja
.ninja_deps
.ninja_log
.skbuild-info.json
compile_commands.json
.cmake/
*.so
*.pyd

# Data sets (the top-level data/ only: python/needle/data/ is code) and submission archives
/data/
*-submission.tar.gz
"""


@dataclass(frozen=True)
class NativeModuleCall:
    """A `dlsys_<kind>_module(name dest sources...)` call of a CMakeLists.txt."""

    kind: str  # "cpp" or "cuda"
    name: str
    dest: str
    sources: tuple[str, ...]

    def cmake(self) -> str:
        return f"dlsys_{self.kind}_module({' '.join((self.name, self.dest, *self.sources))})"


def module_calls(cmakelists: str) -> list[NativeModuleCall]:
    """The native module calls of a CMakeLists.txt's text, in order (comments ignored)."""
    text = "\n".join(line.split("#", 1)[0] for line in cmakelists.splitlines())
    calls = []
    for match in MODULE_CALL.finditer(text):
        args = match.group(2).split()
        if len(args) < 3:
            raise DlsysError(f"CMakeLists.txt: {match.group(0).strip()} needs a name, a destination folder "
                             "and at least one source file.")
        calls.append(NativeModuleCall(match.group(1), args[0], args[1], tuple(args[2:])))
    return calls


def homework_modules(homework: str, root: Path = REPO_ROOT) -> list[NativeModuleCall]:
    """The root build's modules that go into `homework`, with paths relative to its folder."""

    def inside(path: str) -> str | None:
        parts = PurePosixPath(path).parts
        return PurePosixPath(*parts[1:]).as_posix() if parts and parts[0] == homework else None

    modules = []
    for call in module_calls(_read(root / "CMakeLists.txt")):
        dest = inside(call.dest)
        if dest is None:
            continue
        sources = [inside(source) for source in call.sources]
        if None in sources:
            outside = [s for s, r in zip(call.sources, sources) if r is None]
            raise DlsysError(f"CMakeLists.txt: {call.name} is built into {call.dest} from {', '.join(outside)}, "
                             f"outside {homework}/, so a release of {homework} could not build it; "
                             f"move its sources into {homework}/.")
        modules.append(NativeModuleCall(call.kind, call.name, dest, tuple(sources)))
    return modules


def release_files(manifest: Manifest) -> dict[str, bytes]:
    """Every file of the release, as {POSIX path inside it: contents}, sorted by path."""
    homework, root = manifest.name, manifest.root.parent
    files = {name: _released(manifest, name) for name in snapshot_files(manifest.root)}
    generated = {
        "pyproject.toml": handout_pyproject(manifest, "README.md" in files, root).encode(),
        "CMakeLists.txt": handout_cmakelists(manifest, homework_modules(homework, root), root).encode(),
        CMAKE_RULES: _read(root / CMAKE_RULES).encode(),
        "submit.py": SUBMIT_TEMPLATE.read_bytes(),
        ".gitignore": GITIGNORE.encode(),
    }
    clashes = sorted(set(files) & set(generated))
    if clashes:
        raise DlsysError(f"{homework}/ holds {', '.join(clashes)}, which the release writes itself; "
                         "remove them from the snapshot (the release derives them from the repository root).")
    return dict(sorted({**files, **generated}.items()))


def release(manifest: Manifest, out: Path, *, overwrite: bool = False) -> Path:
    """Write the student repository of the homework `manifest` describes into `out`; return `out`.

    `out` must be empty or absent; `overwrite=True` deletes what is there first. A folder
    of the repository's snapshots is never written to or deleted.
    """
    out = Path(out).resolve()
    _check_outside_sources(out, manifest.root.parent)
    if out.exists() and (not out.is_dir() or any(out.iterdir())) and not overwrite:
        raise DlsysError(f"--out {out} is not an empty folder; choose another, or pass --overwrite "
                         "to replace what is there.")
    files = release_files(manifest)  # before deleting anything: a bad snapshot leaves `out` as it was
    if out.is_dir():
        shutil.rmtree(out)
    elif out.exists():
        out.unlink()
    for name, data in files.items():
        target = out / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    (out / "submit.py").chmod(0o755)
    return out


def _check_outside_sources(out: Path, root: Path) -> None:
    """Refuse an `out` that holds the repository or lies in a snapshot or in autograder/:
    with `overwrite` it would be deleted."""
    if root.resolve().is_relative_to(out):
        raise DlsysError(f"--out {out} holds the repository {root}; release into a folder outside it.")
    for source in [*homework_dirs(root), root / "autograder"]:
        if out.is_relative_to(source.resolve()):
            raise DlsysError(f"--out {out} lies inside the repository's {source.name}/; "
                             "release into a folder outside it.")


def handout_pyproject(manifest: Manifest, has_readme: bool, root: Path = REPO_ROOT) -> str:
    """A pyproject.toml for the homework alone, pinned as the repository's own."""
    config = tomllib.loads(_read(root / "pyproject.toml"))
    project, skbuild = config["project"], config["tool"]["scikit-build"]
    numpy = _requirement("numpy", project["dependencies"])
    pytest = _requirement("pytest", project["optional-dependencies"]["test"])
    lines = [
        f"# {manifest.name}'s handout. `pip install -e .` compiles its native modules (if any)",
        "# next to their sources, where the tests import them from; run it again after editing C++.",
        "[build-system]",
        f"requires = {json.dumps(config['build-system']['requires'])}",
        f"build-backend = {json.dumps(config['build-system']['build-backend'])}",
        "",
        "[project]",
        f'name = "dlsys-{manifest.name}"',
        f"version = {json.dumps(project['version'])}",
        f"description = {json.dumps(manifest.title)}",
        *(['readme = "README.md"'] if has_readme else []),
        f"requires-python = {json.dumps(project['requires-python'])}",
        f"dependencies = {json.dumps([numpy])}",
        "",
        "[project.optional-dependencies]",
        f"test = {json.dumps([pytest])}",
        "",
        "[tool.scikit-build]",
        f"cmake.version = {json.dumps(skbuild['cmake']['version'])}",
        f"ninja.version = {json.dumps(skbuild['ninja']['version'])}",
        "# No package is installed: code is imported from the handout's folders, as the course's",
        "# notebooks do (an installed `needle` would shadow the next homework's). The build rules put",
        "# native modules next to their sources in an editable build; CMake's own files stay in build/.",
        "wheel.packages = []",
        'editable.mode = "redirect"',
        'build-dir = "build/{wheel_tag}"',
        "",
        "[tool.dlsys]",
        "# submit.py names the archive after the homework.",
        f'homework = "{manifest.name}"',
        "",
    ]
    return "\n".join(lines)


def handout_cmakelists(manifest: Manifest, modules: list[NativeModuleCall], root: Path = REPO_ROOT) -> str:
    """A CMakeLists.txt declaring the homework's native modules over the shared rules."""
    minimum = re.search(r"^cmake_minimum_required\(.*\)$", _read(root / "CMakeLists.txt"), re.M)
    if minimum is None:
        raise DlsysError(f"{root / 'CMakeLists.txt'} has no cmake_minimum_required(...) line to copy.")
    calls = [call.cmake() for call in modules] or ["# (this homework has no native module)"]
    return "\n".join([
        f"# {manifest.name}'s native modules. `pip install -e .` builds them, and so does",
        "#   cmake -S . -B build -DCMAKE_BUILD_TYPE=Release && cmake --build build",
        "# Either way each module lands next to its sources, where the tests import it from.",
        minimum.group(0),
        f"project({manifest.name} LANGUAGES CXX)",
        "",
        *([] if any(call.kind == "cuda" for call in modules)
          else ["set(DLSYS_CUDA OFF)  # no CUDA module here: skip looking for a CUDA compiler"]),
        f"include({CMAKE_RULES})",
        "",
        *calls,
        "",
    ])


def _released(manifest: Manifest, name: str) -> bytes:
    """A snapshot file as released: regions emptied, and only where students may edit."""
    data = (manifest.root / name).read_bytes()
    if language(name) is None:
        return data
    path = f"{manifest.name}/{name}"
    try:
        text = data.decode()
    except UnicodeDecodeError as error:
        raise DlsysError(f"{path}: not UTF-8 text ({error}); save it as UTF-8.") from None
    regions = find_regions(text, path)
    if regions and name not in manifest.student_files:
        raise DlsysError(f"{path}:{regions[0].begin}: a solution region in a file students do not submit; "
                         f"add {name} to student_files in {manifest.name}/homework.toml, or move the region.")
    return strip_regions(text, path).encode()


def _requirement(package: str, requirements: list[str]) -> str:
    for requirement in requirements:
        if re.match(rf"{re.escape(package)}\b(?![-_.])", requirement):
            return requirement
    raise DlsysError(f"pyproject.toml: no requirement on {package} to copy into the handout; add one.")


def _read(path: Path) -> str:
    if not path.is_file():
        raise DlsysError(f"{path} is missing: a release is built from the repository's root files.")
    return path.read_text()
