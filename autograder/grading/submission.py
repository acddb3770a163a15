"""Taking a submission apart safely: a folder or a .tar.gz, of which only student files are used.

Archives are checked before anything is written: no absolute paths, no `..`, no links,
devices or other special files, no member larger than `MAX_FILE_BYTES`, no more than
`MAX_MEMBERS` members, and no more than `MAX_TOTAL_BYTES` once unpacked (so a small
compressed bomb is refused). Files the manifest does not name are ignored and listed.
Nothing is ever written outside the destination folder.
"""
from __future__ import annotations

import shutil
import tarfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from autograder.errors import DlsysError

MAX_FILE_BYTES = 2 * 2**20
MAX_MEMBERS = 1000
MAX_TOTAL_BYTES = 50 * 2**20


@dataclass
class Submission:
    """The student files found (manifest name -> unpacked copy), and what was left out."""

    files: dict[str, Path] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)


def unpack_submission(source: Path, student_files: tuple[str, ...], dest: Path) -> Submission:
    """Copy the student files of `source` (a folder, or a .tar.gz/.tgz/.tar) into `dest`."""
    if not source.exists():
        raise DlsysError(f"Submission {source} does not exist.")
    dest.mkdir(parents=True, exist_ok=True)
    if source.is_dir():
        found = _from_folder(source, student_files, dest)
    elif source.name.endswith((".tar.gz", ".tgz", ".tar")):
        found = _from_archive(source, student_files, dest)
    else:
        raise DlsysError(f"Submission {source.name}: expected a folder or a .tar.gz archive.")
    found.missing = [name for name in student_files if name not in found.files]
    if not found.files:
        raise DlsysError(f"Submission {source} holds none of the student files: {', '.join(student_files)}.")
    return found


def _from_folder(source: Path, student_files: tuple[str, ...], dest: Path) -> Submission:
    found = Submission()
    for name in student_files:
        path = source / name
        if path.is_symlink():
            raise DlsysError(f"Submission {source}: {name} is a symbolic link; submit the file itself.")
        if not path.exists():
            continue
        if not path.is_file():
            raise DlsysError(f"Submission {source}: {name} is not a regular file.")
        if path.stat().st_size > MAX_FILE_BYTES:
            raise DlsysError(f"Submission {source}: {name} is {path.stat().st_size} bytes, over the "
                             f"{MAX_FILE_BYTES} allowed per file.")
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
        found.files[name] = target
    return found


def _from_archive(source: Path, student_files: tuple[str, ...], dest: Path) -> Submission:
    try:
        archive = tarfile.open(source, "r:*")
    except (tarfile.TarError, OSError, EOFError) as error:
        raise DlsysError(f"Submission {source.name} is not a readable tar archive: {error}.") from None
    found = Submission()
    with archive:
        members = _checked_members(archive, source.name)
        for member in members:
            name = _normalised(member.name)
            if member.isdir():
                continue
            if name not in student_files:
                found.ignored.append(name)
                continue
            if name in found.files:
                raise DlsysError(f"Submission {source.name}: {name} appears twice in the archive.")
            data = archive.extractfile(member).read(MAX_FILE_BYTES + 1)
            if len(data) > MAX_FILE_BYTES:
                raise DlsysError(f"Submission {source.name}: {name} is larger than {MAX_FILE_BYTES} bytes.")
            target = dest / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            found.files[name] = target
    return found


def _checked_members(archive: tarfile.TarFile, label: str) -> list[tarfile.TarInfo]:
    """All members, after refusing anything that could escape, link or explode."""
    members, total = [], 0
    for member in archive:  # iterating reads headers one by one: stop early on a huge archive
        members.append(member)
        if len(members) > MAX_MEMBERS:
            raise DlsysError(f"Submission {label} has more than {MAX_MEMBERS} members.")
        path = PurePosixPath(member.name)
        if path.is_absolute() or member.name.startswith(("/", "\\")) or ":" in path.parts[0]:
            raise DlsysError(f"Submission {label}: member {member.name!r} has an absolute path.")
        if ".." in path.parts:
            raise DlsysError(f"Submission {label}: member {member.name!r} climbs out with '..'.")
        if member.issym() or member.islnk():
            raise DlsysError(f"Submission {label}: member {member.name!r} is a link; submit regular files only.")
        if not (member.isfile() or member.isdir()):
            raise DlsysError(f"Submission {label}: member {member.name!r} is a device, pipe or other special file.")
        if member.size > MAX_FILE_BYTES:
            raise DlsysError(f"Submission {label}: member {member.name!r} is {member.size} bytes, over the "
                             f"{MAX_FILE_BYTES} allowed per file.")
        total += member.size
        if total > MAX_TOTAL_BYTES:
            raise DlsysError(f"Submission {label} unpacks to more than {MAX_TOTAL_BYTES} bytes.")
    return members


def _normalised(name: str) -> str:
    return PurePosixPath(name.removeprefix("./")).as_posix()
