"""The data-set registry, and fetch_dataset against a real local HTTP server."""

from __future__ import annotations

import hashlib
import io
import re
import tarfile

import pytest

from autograder.datasets.registry import DATASETS, DatasetSpec, RemoteFile, fetch_dataset
from autograder.errors import DlsysError


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def tar_gz(*members: tuple[tarfile.TarInfo, bytes | None]) -> bytes:
    """A .tar.gz in memory, made of (header, contents) pairs."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for info, data in members:
            if data is not None:
                info.size = len(data)
            tar.addfile(info, None if data is None else io.BytesIO(data))
    return buffer.getvalue()


def directory(name: str) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.mode = tarfile.DIRTYPE, 0o755
    return info


def archive_spec(file_server, archive: bytes, extracted=()) -> dict[str, DatasetSpec]:
    """A one-archive data set served by the local server."""
    url = file_server.serve("toy.tar.gz", archive)
    remote = RemoteFile("toy.tar.gz", (url,), md5(archive))
    return {"toy": DatasetSpec("toy", (remote,), subdir="", extract=True, extracted=extracted)}


# The registry


def test_registry_holds_the_course_data_sets():
    assert set(DATASETS) == {"mnist", "cifar10", "ptb"}
    for name, spec in DATASETS.items():
        assert spec.name == name
        assert spec.files
        for remote in spec.files:
            assert re.fullmatch(r"[0-9a-f]{32}", remote.md5)
            assert remote.urls
            assert all(url.startswith(("https://", "http://")) for url in remote.urls)


def test_registry_layout_matches_the_handouts():
    mnist, cifar, ptb = DATASETS["mnist"], DATASETS["cifar10"], DATASETS["ptb"]
    assert mnist.subdir == "" and len(mnist.files) == 4
    assert mnist.files[0].urls[0] == "http://yann.lecun.com/exdb/mnist/train-images-idx3-ubyte.gz"
    assert cifar.subdir == "" and cifar.extract
    assert "cifar-10-batches-py/data_batch_5" in cifar.extracted
    assert ptb.subdir == "ptb"
    assert [f.name for f in ptb.files] == ["train.txt", "valid.txt", "test.txt"]
    assert ptb.files[0].urls[0].endswith("/ptb.train.txt")


# fetch_dataset


def test_unknown_name_lists_the_known_ones(tmp_path):
    with pytest.raises(DlsysError) as info:
        fetch_dataset("imagenet", tmp_path / "data")

    message = str(info.value)
    assert "imagenet" in message
    assert all(name in message for name in ("mnist", "cifar10", "ptb"))
    assert not (tmp_path / "data").exists()


def test_plain_files_go_into_the_subdir(file_server, tmp_path):
    train, valid = b"a b c\n", b"d e\n"
    specs = {
        "text": DatasetSpec(
            "text",
            (
                RemoteFile("train.txt", (file_server.serve("t.train.txt", train),), md5(train)),
                RemoteFile("valid.txt", (file_server.serve("t.valid.txt", valid),), md5(valid)),
            ),
            subdir="text",
        )
    }

    paths = fetch_dataset("text", tmp_path, progress=False, specs=specs)

    assert paths == [tmp_path / "text" / "train.txt", tmp_path / "text" / "valid.txt"]
    assert paths[0].read_bytes() == train and paths[1].read_bytes() == valid


def test_archive_is_extracted_kept_and_not_redone(file_server, tmp_path):
    archive = tar_gz(
        (directory("batches"), None),
        (tarfile.TarInfo("batches/one"), b"1"),
        (tarfile.TarInfo("batches/two"), b"22"),
    )
    specs = archive_spec(file_server, archive, extracted=("batches/one", "batches/two"))

    paths = fetch_dataset("toy", tmp_path, progress=False, specs=specs)

    assert paths == [tmp_path / "toy.tar.gz", tmp_path / "batches/one", tmp_path / "batches/two"]
    assert (tmp_path / "batches/one").read_bytes() == b"1"
    assert (tmp_path / "batches/two").read_bytes() == b"22"

    # A re-run neither downloads nor unpacks again.
    (tmp_path / "batches/one").write_bytes(b"edited")
    requests = len(file_server.requests)
    fetch_dataset("toy", tmp_path, progress=False, specs=specs)
    assert len(file_server.requests) == requests
    assert (tmp_path / "batches/one").read_bytes() == b"edited"


def test_archive_escaping_the_data_dir_is_refused(file_server, tmp_path):
    data_dir = tmp_path / "data"
    specs = archive_spec(file_server, tar_gz((tarfile.TarInfo("../evil"), b"pwned")))

    with pytest.raises(DlsysError, match=r"\.\./evil"):
        fetch_dataset("toy", data_dir, progress=False, specs=specs)
    assert not (tmp_path / "evil").exists()


def test_archive_with_a_symlink_is_refused(file_server, tmp_path):
    link = tarfile.TarInfo("batches/passwd")
    link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
    specs = archive_spec(file_server, tar_gz((link, None)))

    with pytest.raises(DlsysError, match="batches/passwd.* is a link"):
        fetch_dataset("toy", tmp_path, progress=False, specs=specs)
    assert not (tmp_path / "batches").exists()
