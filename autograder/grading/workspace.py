"""The homework tree a job runs: the released handout with a set of student files over it.

Grading puts the submitted files over a fresh handout; publishing puts the reference's
own student files there. Either way the tree is the handout's (its build files, public
tests and given code), and only the manifest's student files can differ from it: no
other reference file ever enters a grading job.
"""
from __future__ import annotations

import shutil
from pathlib import Path

from autograder.course.manifest import Manifest
from autograder.course.release import release


def project_with(manifest: Manifest, student_files: dict[str, Path], dest: Path) -> Path:
    """Release the handout into `dest` and copy `student_files` (manifest name -> file) over it."""
    unknown = set(student_files) - set(manifest.student_files)
    if unknown:
        raise ValueError(f"not student files of {manifest.name}: {sorted(unknown)}")
    release(manifest, dest)
    for name, source in student_files.items():
        shutil.copyfile(source, dest / name)
    return dest


def reference_project(manifest: Manifest, dest: Path) -> Path:
    """The handout completed with the reference's own student files."""
    return project_with(manifest, {name: manifest.root / name for name in manifest.student_files}, dest)
