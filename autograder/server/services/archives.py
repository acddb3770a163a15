"""Submission archives: checked with the grading core's safe-unpacking rules before anything is
kept, then stored once by content hash (`<home>/archives/ab/abcd....tar.gz`), fsynced, so an
accepted submission survives a crash and two identical uploads share one file.

With PostgreSQL, workers run on other hosts with a database connection only: the archive is
also kept in the database (`archive_blobs`, in the submission's transaction), and a worker
copies it into its own store before grading (`local_archive`)."""
from __future__ import annotations

import hashlib
import lzma
import os
import shutil
import tarfile
import tempfile
import zlib
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session, sessionmaker

from autograder.course.manifest import Manifest
from autograder.errors import DlsysError
from autograder.grading.submission import unpack_submission
from autograder.server.db.models import ArchiveBlob
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


def keep_in_database(session: Session, sha256: str, archives: Path) -> None:
    """The stored archive, also as a row (once per content), for workers on other hosts. Two
    uploads of one archive at once both insert it: the second does nothing (PostgreSQL only)."""
    if session.scalar(select(ArchiveBlob.sha256).where(ArchiveBlob.sha256 == sha256)) is None:  # not its bytes
        session.execute(insert(ArchiveBlob).values(sha256=sha256, data=archive_path(archives, sha256).read_bytes())
                        .on_conflict_do_nothing(index_elements=["sha256"]))


def local_archive(factory: sessionmaker[Session], archives: Path, sha256: str) -> Path:
    """The archive in this host's store, copied from the database first when it is not there."""
    path = archive_path(archives, sha256)
    if path.exists():
        return path
    with factory() as session:
        data = session.scalar(select(ArchiveBlob.data).where(ArchiveBlob.sha256 == sha256))
    if data is None:
        raise DlsysError(f"archive {sha256} is neither in {archives} nor in the database")
    with tempfile.NamedTemporaryFile(prefix="dlsys-archive-", delete=False) as scratch:
        scratch.write(data)
    try:
        stored, _ = store_archive(archives, Path(scratch.name))
    finally:
        os.unlink(scratch.name)
    if stored != sha256:
        raise DlsysError(f"archive {sha256} in the database does not match its hash ({stored})")
    return path
