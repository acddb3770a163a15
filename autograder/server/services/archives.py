"""Submission archives: checked with the grading core's safe-unpacking rules before anything is
kept, then stored once by content hash (`<home>/archives/ab/abcd....tar.gz`), fsynced, so an
accepted submission survives a crash and two identical uploads share one file."""
from __future__ import annotations

import hashlib
import lzma
import os
import shutil
import tarfile
import tempfile
import zlib
from pathlib import Path

from autograder.course.manifest import Manifest
from autograder.errors import DlsysError
from autograder.grading.submission import unpack_submission
from autograder.server.services.errors import BadRequest

UPLOAD_NAME = "submission.tar.gz"  # what a refusal calls the upload


def check_archive(upload: Path, manifest: Manifest) -> list[str]:
    """The student files the uploaded archive holds; BadRequest naming the member when the core's
    rules refuse it (absolute paths, `..`, links, devices, too many or too large members) or when
    a student file is missing. Unpacks into a scratch folder that is removed at once."""
    with tempfile.TemporaryDirectory(prefix="dlsys-upload-") as scratch:
        named = Path(scratch) / UPLOAD_NAME
        shutil.copyfile(upload, named)  # named as refusals call it
        try:
            found = unpack_submission(named, manifest.student_files, Path(scratch) / "files")
        except DlsysError as error:  # the core's refusals name the member; never our scratch folder
            raise BadRequest(str(error).replace(f"{scratch}/", "")) from None
        except (tarfile.TarError, EOFError, zlib.error, lzma.LZMAError, OSError) as error:
            if isinstance(error, OSError) and error.errno is not None:
                raise  # the machine's fault (a full disk), not the archive's
            # a stream that ends early or is corrupt past its first headers
            raise BadRequest(f"{UPLOAD_NAME} is not a readable tar archive: it is cut short or corrupt "
                             f"({type(error).__name__}: {error})") from None
    if found.missing:
        raise BadRequest(f"{UPLOAD_NAME} lacks student files: {', '.join(found.missing)} "
                         f"({manifest.name} needs {', '.join(manifest.student_files)})")
    return sorted(found.files)


def file_digest(path: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
            size += len(block)
    return digest.hexdigest(), size


def archive_path(archives: Path, sha256: str) -> Path:
    return archives / sha256[:2] / f"{sha256}.tar.gz"


def store_archive(archives: Path, upload: Path) -> tuple[str, int]:
    """Keep `upload` under its content hash (written to a file of its own, fsynced, renamed into
    place, directory fsynced); returns (sha256, size). An archive already kept is not written
    again. Uploads of one archive at once each write their own partial file: the kept one is
    always whole."""
    sha256, size = file_digest(upload)
    final = archive_path(archives, sha256)
    if final.exists():
        return sha256, size
    final.parent.mkdir(parents=True, exist_ok=True)
    handle, partial = tempfile.mkstemp(dir=final.parent, prefix=f".{final.name}.", suffix=".part")
    try:
        with open(upload, "rb") as source, os.fdopen(handle, "wb") as target:
            shutil.copyfileobj(source, target, 1 << 20)
            target.flush()
            os.fsync(target.fileno())
        os.chmod(partial, 0o644)
        os.replace(partial, final)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise
    folder = os.open(final.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)
    return sha256, size
