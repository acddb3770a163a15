"""Keeping homework snapshots in step: hwN is a copy of the snapshot it grows from, plus declared changes.

Each `hwN/` is the whole of what a student sees, so a fix to a file that several snapshots
share has to land in all of them. `check_snapshots` finds files that drifted apart without
being declared in the manifest's `changed` list (and declarations that are no longer true),
`diff_snapshots` shows two snapshots side by side, and `carry` copies a fixed file forward
through the snapshots that grow from it.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

from autograder.course.manifest import MANIFEST_NAME, Manifest, load_manifests
from autograder.course.tree import is_ignored, snapshot_files
from autograder.errors import DlsysError
from autograder.paths import REPO_ROOT, homework_dirs


@dataclass(frozen=True)
class Drift:
    """One way a snapshot is out of step with the snapshot it grows from.

    `kind` is "differs" (an undeclared change: `line`, `was` and `now` hold the first
    differing line, or stay None for binary files), "identical" (declared changed, but
    the same as before) or "unknown" (declared changed, but in neither snapshot).
    """

    homework: str
    grows_from: str
    file: str
    kind: str
    line: int | None = None
    was: str | None = None
    now: str | None = None

    def __str__(self) -> str:
        where = f"{self.homework}/{self.file}"
        if self.kind == "identical":
            return (f"{where} is declared changed but identical to {self.grows_from}: "
                    f"remove it from changed in {self.homework}/{MANIFEST_NAME}.")
        if self.kind == "unknown":
            return (f"{where} is declared changed but is in neither {self.grows_from}/ nor {self.homework}/: "
                    f"fix the path or remove it from changed in {self.homework}/{MANIFEST_NAME}.")
        if self.line is None:
            return f"{where} differs from {self.grows_from} (binary) without being declared changed."
        return (f"{where} differs from {self.grows_from} at line {self.line} without being declared changed: "
                f"{self.grows_from} {self.was} vs {self.homework} {self.now}")


@dataclass(frozen=True)
class CarryReport:
    """What `carry` did: the homeworks it wrote to, those already up to date, and where it stopped."""

    file: str
    source: str
    copied: tuple[str, ...] = ()
    up_to_date: tuple[str, ...] = ()
    stopped: tuple[str, ...] = ()  # one sentence per snapshot the carry could not enter, and why

    def __str__(self) -> str:
        lines = [f"carried {self.source}/{self.file}:"]
        lines += [f"  copied into {name}/{self.file}" for name in self.copied]
        lines += [f"  {name}/{self.file} was already the same" for name in self.up_to_date]
        lines += [f"  stopped: {reason}" for reason in self.stopped]
        if len(lines) == 1:
            lines.append(f"  no later snapshot grows from {self.source}; nothing to do")
        return "\n".join(lines)


def check_snapshots(root: Path = REPO_ROOT) -> list[Drift]:
    """Every drift between a snapshot and the one it grows from, in course order."""
    drifts = []
    for manifest in load_manifests(root):
        if manifest.grows_from is not None:
            drifts += _drifts(manifest, root / manifest.grows_from)
    return drifts


def _drifts(manifest: Manifest, previous: Path) -> list[Drift]:
    before, after = set(snapshot_files(previous)), set(snapshot_files(manifest.root))
    found = []
    for name in sorted((before & after) - {MANIFEST_NAME}):
        same = (previous / name).read_bytes() == (manifest.root / name).read_bytes()
        if same and name in manifest.changed:
            found.append(Drift(manifest.name, previous.name, name, "identical"))
        elif not same and name not in manifest.changed:
            line, was, now = _first_difference(previous / name, manifest.root / name)
            found.append(Drift(manifest.name, previous.name, name, "differs", line, was, now))
    for name in manifest.changed:
        if name != MANIFEST_NAME and name not in before | after:
            found.append(Drift(manifest.name, previous.name, name, "unknown"))
    return found


def _first_difference(a: Path, b: Path) -> tuple[int | None, str | None, str | None]:
    """The first line (1-based) where two files differ, and that line of each; Nones for binary files."""
    lines_a, lines_b = _text_lines(a), _text_lines(b)
    if lines_a is None or lines_b is None:
        return None, None, None
    index = next(i for i, (x, y) in enumerate(zip(lines_a + [None], lines_b + [None])) if x != y)
    was, now = (lines[index] if index < len(lines) else None for lines in (lines_a, lines_b))
    return index + 1, *_shown(was, now)


def _shown(was: str | None, now: str | None) -> tuple[str, str]:
    """Two differing lines as quoted text; line endings are shown only when they are the difference."""
    def show(line: str | None, strip: bool) -> str:
        if line is None:
            return "<end of file>"
        return repr(line.rstrip("\r\n") if strip else line)

    strip = was is None or now is None or was.rstrip("\r\n") != now.rstrip("\r\n")
    return show(was, strip), show(now, strip)


def _text_lines(path: Path) -> list[str] | None:
    """A file's lines with their endings, or None when it is not UTF-8 text."""
    try:
        return path.read_bytes().decode("utf-8").splitlines(keepends=True)
    except UnicodeDecodeError:
        return None


def diff_snapshots(a: str, b: str, root: Path = REPO_ROOT) -> str:
    """A readable report of how snapshot `b` differs from snapshot `a`: files only in one, then a unified diff."""
    folder_a, folder_b = _homework(a, root), _homework(b, root)
    files_a, files_b = set(snapshot_files(folder_a)), set(snapshot_files(folder_b))
    report = []
    for name, only in ((a, files_a - files_b), (b, files_b - files_a)):
        report.append(f"Only in {name}/: " + ("none" if not only else f"{len(only)} file(s)"))
        report += [f"  {file}" for file in sorted(only)]
    shared = sorted(files_a & files_b)
    diffs = [_unified_diff(folder_a / name, folder_b / name, f"a/{a}/{name}", f"b/{b}/{name}")
             for name in shared if (folder_a / name).read_bytes() != (folder_b / name).read_bytes()]
    if not diffs:
        report.append(f"The {len(shared)} shared file(s) are identical.")
    else:
        report.append(f"{len(diffs)} of {len(shared)} shared file(s) differ:")
    return "\n".join(report) + "\n" + "".join(diffs)


def _unified_diff(a: Path, b: Path, label_a: str, label_b: str) -> str:
    lines_a, lines_b = _text_lines(a), _text_lines(b)
    if lines_a is None or lines_b is None:
        return f"Binary files {label_a} and {label_b} differ\n"
    out = []
    for line in difflib.unified_diff(lines_a, lines_b, label_a, label_b):
        out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out)


def carry(file: str, from_homework: str, root: Path = REPO_ROOT) -> CarryReport:
    """Copy `from_homework/file` into the later snapshots that grow from it, in course order.

    A snapshot takes the copy when it grows from the source or from a snapshot that took
    it, has the file, and does not declare it changed. The carry stops (and says so) at a
    snapshot that declares the file changed, since its version differs on purpose, or that
    lacks the file; snapshots growing from that one are left alone.
    """
    source_folder = _homework(from_homework, root)
    relative = Path(file)
    if relative.is_absolute() or ".." in relative.parts or not relative.parts:
        raise DlsysError(f"carry: {file!r} must be a path inside {from_homework}/, like 'python/needle/autograd.py'.")
    name = relative.as_posix()
    if name == MANIFEST_NAME:
        raise DlsysError(f"carry: {MANIFEST_NAME} is each snapshot's own manifest; edit each one by hand.")
    source = source_folder / name
    if not source.is_file() or is_ignored(relative):
        raise DlsysError(f"carry: {from_homework}/ has no file {name} (build outputs are not carried).")

    content = source.read_bytes()
    reached, copied, up_to_date, stopped = {from_homework}, [], [], []
    for manifest in load_manifests(root):
        if manifest.grows_from not in reached:
            continue
        target = manifest.root / name
        if name in manifest.changed:
            stopped.append(f"{manifest.name} declares {name} changed: carry the fix by hand.")
        elif not target.is_file():
            stopped.append(f"{manifest.name} has no {name}: nothing to carry into.")
        else:
            reached.add(manifest.name)
            if target.read_bytes() == content:
                up_to_date.append(manifest.name)
            else:
                target.write_bytes(content)
                copied.append(manifest.name)
    return CarryReport(name, from_homework, tuple(copied), tuple(up_to_date), tuple(stopped))


def _homework(name: str, root: Path) -> Path:
    """The folder of homework `name`, or a DlsysError listing the ones there are."""
    folders = {folder.name: folder for folder in homework_dirs(root)}
    if name not in folders:
        raise DlsysError(f"no homework {name!r} in {root}; there are: {', '.join(folders) or 'none'}.")
    return folders[name]
