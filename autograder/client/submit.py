#!/usr/bin/env python3
"""Pack your solution for submission: run `python submit.py` in this folder.

It writes `<homework>-submission.tar.gz` here, holding exactly the files you edit (the
`student_files` of homework.toml) with their paths inside this folder. Grading copies only
these files over a fresh copy of the handout, so edits anywhere else are not graded.

Only the Python standard library is needed. (`dlsys release` copies this file verbatim
from the course repository's autograder/client/submit.py into each handout.)
"""
from __future__ import annotations

import argparse
import sys
import tarfile
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python before 3.11
    sys.exit("submit.py needs Python 3.11 or newer (it reads homework.toml with tomllib).")

HERE = Path(__file__).resolve().parent


class SubmitError(Exception):
    """Something the student can fix before submitting; the message says what and how."""


def _read_toml(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise SubmitError(f"{path.name} is missing from {path.parent}: run submit.py from the "
                          "homework folder you were given, with its files in place.") from None
    except tomllib.TOMLDecodeError as error:
        raise SubmitError(f"{path} is not valid TOML ({error}): restore it from the handout.") from None


def homework_name(folder: Path) -> str:
    """The homework's name (`hw0`, ...), which `dlsys release` records in pyproject.toml."""
    name = _read_toml(folder / "pyproject.toml").get("tool", {}).get("dlsys", {}).get("homework")
    if not isinstance(name, str) or not name:
        raise SubmitError(f"{folder / 'pyproject.toml'} has no [tool.dlsys] homework = \"...\": "
                          "restore it from the handout.")
    return name


def student_files(folder: Path) -> list[str]:
    """The files a student edits, as listed in homework.toml."""
    names = _read_toml(folder / "homework.toml").get("student_files")
    if not isinstance(names, list) or not names or not all(isinstance(n, str) and n for n in names):
        raise SubmitError(f"{folder / 'homework.toml'} lists no student_files: restore it from the handout.")
    return names


def pack(folder: Path = HERE, output: Path | None = None) -> tuple[Path, list[str]]:
    """Write the submission archive of the homework in `folder`; return its path and contents."""
    names = student_files(folder)
    output = output or folder / f"{homework_name(folder)}-submission.tar.gz"
    unusable = [name for name in names if (folder / name).is_symlink() or not (folder / name).is_file()]
    if unusable:
        raise SubmitError(f"cannot submit: {', '.join(unusable)} missing from {folder} (or not a regular "
                          "file); put your version back in place (the handout has the original) and run again.")
    with tarfile.open(output, "w:gz") as archive:
        for name in names:
            archive.add(folder / name, arcname=name, recursive=False, filter=_anonymous)
    return output, names


def _anonymous(member: tarfile.TarInfo) -> tarfile.TarInfo:
    """Keep the student's local user and group names out of the archive."""
    member.uid = member.gid = 0
    member.uname = member.gname = ""
    member.mode = 0o644
    return member


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Pack the files you edit into a submission archive.")
    parser.add_argument("--output", "-o", type=Path, help="where to write the archive "
                        "(default: <homework>-submission.tar.gz in this folder)")
    args = parser.parse_args(argv)
    try:
        output, names = pack(HERE, args.output)
    except SubmitError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"Packed {len(names)} file(s):")
    for name in names:
        print(f"  {name}")
    print(f"into {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
