"""download_file against a real local HTTP server: resume, mirrors, checksums, offline."""

from __future__ import annotations

import hashlib
import os
import socket

import pytest

from autograder.datasets.download import ChecksumError, DownloadError, download_file, md5_of
from autograder.errors import DlsysError

DATA = os.urandom(3 * (1 << 20) + 12345)  # a few chunks plus a ragged tail
MD5 = hashlib.md5(DATA).hexdigest()


def closed_port_url() -> str:
    """A URL on 127.0.0.1 where nothing listens: connecting is refused, as offline."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/data.bin"


def test_fresh_download_is_verified_and_renamed(file_server, tmp_path):
    url = file_server.serve("data.bin", DATA)
    dest = tmp_path / "data.bin"

    assert download_file([url], dest, MD5, progress=False) == dest

    assert dest.read_bytes() == DATA
    assert not (tmp_path / "data.bin.part").exists()
    assert file_server.requests == [("/data.bin", None)]


def test_progress_bar_does_not_get_in_the_way(file_server, tmp_path):
    url = file_server.serve("data.bin", DATA)
    dest = download_file([url], tmp_path / "data.bin", MD5, progress=True)
    assert md5_of(dest) == MD5


def test_resume_fetches_only_the_missing_tail(file_server, tmp_path):
    url = file_server.serve("data.bin", DATA)
    done = 1_000_000
    (tmp_path / "data.bin.part").write_bytes(DATA[:done])

    dest = download_file([url], tmp_path / "data.bin", MD5, progress=False)

    assert dest.read_bytes() == DATA
    assert file_server.requests == [("/data.bin", f"bytes={done}-")]
    assert file_server.bytes_sent == len(DATA) - done


def test_dropped_connection_keeps_the_part_and_the_next_run_resumes(file_server, tmp_path):
    url = file_server.serve("data.bin", DATA)
    dest = tmp_path / "data.bin"
    file_server.drop_after = 2_000_000

    with pytest.raises(DownloadError, match="still to come"):
        download_file([url], dest, MD5, progress=False)
    assert (tmp_path / "data.bin.part").stat().st_size == 2_000_000

    file_server.drop_after = None
    file_server.bytes_sent = 0
    download_file([url], dest, MD5, progress=False)
    assert dest.read_bytes() == DATA
    assert file_server.bytes_sent == len(DATA) - 2_000_000


def test_server_without_range_support_restarts_from_zero(file_server, tmp_path):
    url = file_server.serve("data.bin", DATA)
    file_server.honour_range = False
    (tmp_path / "data.bin.part").write_bytes(DATA[:1000])

    dest = download_file([url], tmp_path / "data.bin", MD5, progress=False)

    assert dest.read_bytes() == DATA
    assert file_server.bytes_sent == len(DATA)


def test_complete_part_is_kept_when_range_is_not_satisfiable(file_server, tmp_path):
    url = file_server.serve("data.bin", DATA)
    (tmp_path / "data.bin.part").write_bytes(DATA)

    dest = download_file([url], tmp_path / "data.bin", MD5, progress=False)

    assert dest.read_bytes() == DATA
    assert file_server.bytes_sent == 0


def test_oversized_part_is_discarded_and_downloaded_again(file_server, tmp_path):
    url = file_server.serve("data.bin", DATA)
    (tmp_path / "data.bin.part").write_bytes(b"x" * (len(DATA) + 10))

    dest = download_file([url], tmp_path / "data.bin", MD5, progress=False)

    assert dest.read_bytes() == DATA
    assert file_server.bytes_sent == len(DATA)


def test_checksum_mismatch_names_both_md5s_and_keeps_nothing(file_server, tmp_path):
    url = file_server.serve("data.bin", DATA)
    wrong = "0" * 32

    with pytest.raises(ChecksumError) as info:
        download_file([url], tmp_path / "data.bin", wrong, progress=False)

    message = str(info.value)
    assert "data.bin" in message and wrong in message and MD5 in message
    assert isinstance(info.value, DlsysError)
    assert list(tmp_path.iterdir()) == []


def test_offline_raises_download_error_with_a_hint(tmp_path):
    url = closed_port_url()

    with pytest.raises(DownloadError) as info:
        download_file([url], tmp_path / "data.bin", MD5, progress=False, timeout=2)

    message = str(info.value)
    assert "data.bin" in message and url in message
    assert "offline" in message
    assert not (tmp_path / "data.bin").exists()


def test_every_mirror_failing_lists_each_with_its_reason(file_server, tmp_path):
    dead, missing = closed_port_url(), file_server.url("missing.bin")

    with pytest.raises(DownloadError) as info:
        download_file([dead, missing], tmp_path / "data.bin", MD5, progress=False)

    message = str(info.value)
    assert dead in message and "refused" in message
    assert missing in message and "HTTP 404" in message


def test_falls_through_to_the_next_mirror(file_server, tmp_path):
    good = file_server.serve("data.bin", DATA)
    mirrors = [closed_port_url(), file_server.url("missing.bin"), good]

    dest = download_file(mirrors, tmp_path / "data.bin", MD5, progress=False)

    assert dest.read_bytes() == DATA
    assert [path for path, _ in file_server.requests] == ["/missing.bin", "/data.bin"]


def test_intact_file_is_not_downloaded_again(file_server, tmp_path):
    url = file_server.serve("data.bin", DATA)
    dest = tmp_path / "data.bin"
    dest.write_bytes(DATA)

    assert download_file([url], dest, MD5, progress=False) == dest
    assert file_server.requests == []


def test_corrupt_file_is_replaced(file_server, tmp_path):
    url = file_server.serve("data.bin", DATA)
    dest = tmp_path / "data.bin"
    dest.write_bytes(b"not the data")

    download_file([url], dest, MD5, progress=False)

    assert dest.read_bytes() == DATA
