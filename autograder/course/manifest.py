"""A homework's manifest (`hwN/homework.toml`): what testing, releasing and grading need to know.

One loader reads and validates every manifest, so a typo in a key, a missing student
file or points that are not a positive integer stop with a message naming the file and
the field, before anything is released or graded.

    title = "hw1: reverse-mode automatic differentiation"
    grows_from = "hw0"            # optional: the snapshot this one is a copy of, plus changes
    changed = ["README.md"]       # files that differ from that snapshot on purpose
    student_files = ["python/needle/autograd.py"]
    import_paths = ["python", "apps"]   # put on sys.path when grading cases import student code
    devices = ["cpu"]
    datasets = ["mnist"]
    [limits]
    time_seconds = 600
    memory_mb = 4096
    [[parts]]
    name = "forward"
    marker = "hw1_forward"
    points = 15
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from autograder.datasets.registry import DATASETS
from autograder.dlsys_harness.protocol import GRADING_DEVICES
from autograder.errors import DlsysError
from autograder.paths import HOMEWORK_NAME, REPO_ROOT, homework_dirs

MANIFEST_NAME = "homework.toml"
PART_NAME = re.compile(r"[a-z][a-z0-9_]*")


@dataclass(frozen=True)
class Part:
    """A graded part: its public tests carry `marker`; it is worth `points`."""

    name: str
    marker: str
    points: int


@dataclass(frozen=True)
class HomeworkLimits:
    """What one grading of this homework may use at most (`[limits]`); grading/limits.py turns it
    into the sandbox's JobLimits."""

    time_seconds: int
    memory_mb: int


@dataclass(frozen=True)
class Manifest:
    """A validated `homework.toml`, with the folder it describes."""

    name: str
    root: Path
    title: str
    grows_from: str | None
    changed: tuple[str, ...]
    student_files: tuple[str, ...]
    import_paths: tuple[str, ...]
    devices: tuple[str, ...]
    datasets: tuple[str, ...]
    limits: HomeworkLimits
    parts: tuple[Part, ...]

    @property
    def points(self) -> int:
        return sum(part.points for part in self.parts)

    def part(self, name: str) -> Part:
        for part in self.parts:
            if part.name == name:
                return part
        raise DlsysError(f"{self.name} has no part {name!r}; its parts: {', '.join(p.name for p in self.parts)}.")


_FIELDS = {"title", "grows_from", "changed", "student_files", "import_paths", "devices", "datasets", "limits", "parts"}
_REQUIRED = {"title", "student_files", "devices", "limits", "parts"}


def load_manifest(homework: str | Path, root: Path = REPO_ROOT) -> Manifest:
    """Read and validate `hwN/homework.toml`; `homework` is a name (`hw1`) or a folder."""
    folder = Path(homework) if isinstance(homework, Path) else root / homework
    path = folder / MANIFEST_NAME
    if not path.is_file():
        raise DlsysError(f"{folder.name}: no {MANIFEST_NAME} in {folder}.")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))  # TOML is UTF-8, whatever the locale
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise DlsysError(f"{path}: not valid TOML: {error}.") from None
    return _validate(raw, folder, path)


def load_manifests(root: Path = REPO_ROOT) -> list[Manifest]:
    """Every homework's manifest, in course order."""
    return [load_manifest(folder) for folder in homework_dirs(root)]


def _validate(raw: dict, folder: Path, path: Path) -> Manifest:
    def fail(message: str):
        raise DlsysError(f"{path}: {message}")

    unknown = sorted(set(raw) - _FIELDS)
    if unknown:
        fail(f"unknown field(s) {', '.join(unknown)}; known: {', '.join(sorted(_FIELDS))}.")
    missing = sorted(_REQUIRED - set(raw))
    if missing:
        fail(f"missing field(s) {', '.join(missing)}.")

    def strings(key: str, default=()) -> tuple[str, ...]:
        value = raw.get(key, list(default))
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            fail(f"{key} must be a list of non-empty strings, got {value!r}.")
        if len(set(value)) != len(value):
            fail(f"{key} lists a name twice: {value!r}.")
        return tuple(value)

    def existing(key: str, names: tuple[str, ...], files: bool = False) -> tuple[str, ...]:
        for name in names:
            if Path(name).is_absolute() or ".." in Path(name).parts:
                fail(f"{key}: {name!r} must be a path inside {folder.name}/.")
            if not (folder / name).exists():
                fail(f"{key}: {name} does not exist in {folder.name}/.")
            if files and not (folder / name).is_file():
                fail(f"{key}: {name} is not a file in {folder.name}/; list the files students edit.")
        return names

    title = raw["title"]
    if not isinstance(title, str) or not title.strip():
        fail(f"title must be a non-empty string, got {title!r}.")

    grows_from = raw.get("grows_from")
    if grows_from is not None:
        if not isinstance(grows_from, str) or not HOMEWORK_NAME.fullmatch(grows_from):
            fail(f"grows_from must name a homework like 'hw1', got {grows_from!r}.")
        if HOMEWORK_NAME.fullmatch(folder.name) and int(grows_from[2:]) >= int(folder.name[2:]):
            fail(f"grows_from = {grows_from!r} must be an earlier homework than {folder.name}.")
        if not (folder.parent / grows_from).is_dir():
            fail(f"grows_from = {grows_from!r}, but there is no folder {grows_from}/ beside {folder.name}/.")
    changed = strings("changed")
    if changed and grows_from is None:
        fail("changed lists files, but there is no grows_from snapshot for them to differ from.")

    student_files = existing("student_files", strings("student_files"), files=True)
    if not student_files:
        fail("student_files is empty: grading would copy nothing from a submission.")
    import_paths = existing("import_paths", strings("import_paths"))

    devices = strings("devices")
    if not devices or set(devices) - set(GRADING_DEVICES):
        fail(f"devices must be a non-empty subset of {list(GRADING_DEVICES)}, got {list(devices)!r}.")
    datasets = strings("datasets")
    if set(datasets) - set(DATASETS):
        fail(f"datasets: unknown {sorted(set(datasets) - set(DATASETS))}; known: {list(DATASETS)}.")

    limits = raw["limits"]
    if not isinstance(limits, dict) or set(limits) != {"time_seconds", "memory_mb"}:
        fail(f"[limits] must hold exactly time_seconds and memory_mb, got {limits!r}.")
    for key, value in limits.items():
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            fail(f"limits.{key} must be a positive integer, got {value!r}.")

    parts_raw = raw["parts"]
    if not isinstance(parts_raw, list) or not parts_raw:
        fail("there must be at least one [[parts]] table.")
    parts = []
    for index, part in enumerate(parts_raw, 1):
        if not isinstance(part, dict) or set(part) != {"name", "marker", "points"}:
            fail(f"part {index} must hold exactly name, marker and points, got {part!r}.")
        if not isinstance(part["name"], str) or not PART_NAME.fullmatch(part["name"]):
            fail(f"part {index}: name must be lowercase letters, digits and _, got {part['name']!r}.")
        if not isinstance(part["marker"], str) or not PART_NAME.fullmatch(part["marker"]):
            fail(f"part {part['name']}: marker must be a pytest marker name, got {part['marker']!r}.")
        points = part["points"]
        if not isinstance(points, int) or isinstance(points, bool) or points <= 0:
            fail(f"part {part['name']}: points must be a positive integer, got {points!r}.")
        parts.append(Part(part["name"], part["marker"], points))
    for attribute in ("name", "marker"):
        values = [getattr(p, attribute) for p in parts]
        if len(set(values)) != len(values):
            fail(f"two parts share a {attribute}: {values!r}.")

    return Manifest(
        name=folder.name, root=folder, title=title.strip(), grows_from=grows_from, changed=changed,
        student_files=student_files, import_paths=import_paths, devices=devices, datasets=datasets,
        limits=HomeworkLimits(**limits), parts=tuple(parts),
    )
