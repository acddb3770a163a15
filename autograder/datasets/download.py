"""Download one file from a list of mirrors, resuming and verifying it.

The course's data sets are large and their hosts are flaky: a download that stops
half way resumes from its `.part` file, a dead mirror falls through to the next one,
and nothing reaches its final name unless its md5 is the one we expect.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import ssl
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from autograder.errors import DlsysError

CHUNK_SIZE = 1 << 20  # 1 MiB

# Everything a dead, slow or half-answering server can raise while we read from it.
NETWORK_ERRORS = (
    urllib.error.URLError,
    ConnectionError,
    TimeoutError,
    ssl.SSLError,
    http.client.HTTPException,
)


class DownloadError(DlsysError):
    """No mirror could deliver the file."""


class ChecksumError(DlsysError):
    """A download completed but is not the file we expect."""


def md5_of(path: Path) -> str:
    """The hex md5 of a file, read in chunks so large archives need little memory."""
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(CHUNK_SIZE), b""):
            digest.update(chunk)
    return digest.hexdigest()


def download_file(
    urls: Sequence[str],
    dest: Path,
    md5: str,
    *,
    progress: bool = True,
    timeout: float = 30.0,
) -> Path:
    """Download `dest` from the first of `urls` that answers, and check its md5.

    A `dest` that is already there and intact costs no network access, so re-running
    a fetch is cheap. Bytes arrive in `dest.part`, which survives a failure so that
    the next attempt resumes instead of starting over.
    """
    dest = Path(dest)
    if dest.exists() and md5_of(dest) == md5:
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")

    failures = []
    for url in urls:
        try:
            _fetch(url, part, md5, progress=progress, timeout=timeout)
            break
        except NETWORK_ERRORS as exc:
            failures.append(f"  {url}: {_reason(exc)}")
    else:
        tried = "\n".join(failures) or "  (no URL given)"
        raise DownloadError(
            f"Could not download {dest.name}. Tried:\n{tried}\n"
            "Check your network connection (are you offline?) and run the command "
            "again; any partial download is kept and resumes where it stopped."
        )

    actual = md5_of(part)
    if actual != md5:
        part.unlink()
        raise ChecksumError(
            f"{dest.name} downloaded from {url} is corrupt: expected md5 {md5}, "
            f"got {actual}. The download was deleted; run the command again to "
            "download it afresh, and tell the course staff if this keeps happening."
        )
    os.replace(part, dest)
    return dest


def _fetch(url: str, part: Path, md5: str, *, progress: bool, timeout: float) -> None:
    """Fill `part` with the file at `url`, resuming what an earlier attempt left."""
    offset = part.stat().st_size if part.exists() else 0
    request = urllib.request.Request(url, headers={"User-Agent": "dlsys"})
    if offset:
        request.add_header("Range", f"bytes={offset}-")
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as exc:
        exc.close()
        if exc.code != 416 or not offset:
            raise
        # 416: nothing lies past `offset`, so the part is complete, or bigger than the
        # file and wrong. Keep it if it is the file, otherwise start over.
        if md5_of(part) == md5:
            return
        part.unlink()
        _fetch(url, part, md5, progress=progress, timeout=timeout)
        return

    with response:
        if response.status != 206:  # the server ignored our Range: it sends it all
            offset = 0
        total = None if response.length is None else offset + response.length
        bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            disable=not progress,
        )
        with bar, open(part, "ab" if offset else "wb") as out:
            task = bar.add_task(part.name.removesuffix(".part"), total=total, completed=offset)
            for chunk in iter(lambda: response.read(CHUNK_SIZE), b""):
                out.write(chunk)
                bar.advance(task, len(chunk))
        # http.client ends a truncated body quietly; report it so the part is kept.
        if response.length:
            raise ConnectionError(
                f"the connection closed with {response.length} bytes still to come"
            )


def _reason(exc: Exception) -> str:
    """Why one mirror failed, in a few words rather than a traceback."""
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code} {exc.reason}"
    if isinstance(exc, urllib.error.URLError):
        return str(exc.reason)
    return str(exc) or type(exc).__name__
