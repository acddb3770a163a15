"""Unpacking submissions: only student files come out, and nothing can escape or explode."""
import io
import tarfile

import pytest

from autograder.errors import DlsysError
from autograder.grading import submission
from autograder.grading.submission import unpack_submission

STUDENT_FILES = ("python/needle/autograd.py", "apps/simple_ml.py")


def make_tar(path, members):
    """members: (name, bytes) for files, or a ready TarInfo."""
    with tarfile.open(path, "w:gz") as archive:
        for member in members:
            if isinstance(member, tarfile.TarInfo):
                archive.addfile(member)
            else:
                name, data = member
                info = tarfile.TarInfo(name)
                info.size = len(data)
                archive.addfile(info, io.BytesIO(data))
    return path


def test_archive_gives_student_files_and_lists_the_rest(tmp_path):
    archive = make_tar(tmp_path / "s.tar.gz", [("python/needle/autograd.py", b"x = 1\n"), ("notes.txt", b"hi"),
                                               ("./apps/simple_ml.py", b"y = 2\n")])
    found = unpack_submission(archive, STUDENT_FILES, tmp_path / "out")
    assert found.files["python/needle/autograd.py"].read_bytes() == b"x = 1\n"
    assert found.files["apps/simple_ml.py"].read_bytes() == b"y = 2\n"
    assert found.ignored == ["notes.txt"] and found.missing == []
    assert not (tmp_path / "out" / "notes.txt").exists()


def test_folder_submission_and_missing_files(tmp_path):
    (tmp_path / "sub" / "apps").mkdir(parents=True)
    (tmp_path / "sub" / "apps" / "simple_ml.py").write_text("z = 3\n")
    found = unpack_submission(tmp_path / "sub", STUDENT_FILES, tmp_path / "out")
    assert list(found.files) == ["apps/simple_ml.py"] and found.missing == ["python/needle/autograd.py"]


def test_folder_with_a_symlinked_student_file_is_refused(tmp_path):
    (tmp_path / "sub" / "apps").mkdir(parents=True)
    (tmp_path / "sub" / "apps" / "simple_ml.py").symlink_to("/etc/passwd")
    with pytest.raises(DlsysError, match="symbolic link"):
        unpack_submission(tmp_path / "sub", STUDENT_FILES, tmp_path / "out")


def special(name, kind, **fields):
    info = tarfile.TarInfo(name)
    info.type = kind
    for key, value in fields.items():
        setattr(info, key, value)
    return info


@pytest.mark.parametrize("member, reason", [
    (("/etc/cron.d/evil", b"x"), "absolute path"),
    (("../../outside.py", b"x"), r"climbs out with '\.\.'"),
    (("apps/../../x.py", b"x"), r"climbs out"),
    (special("apps/simple_ml.py", tarfile.SYMTYPE, linkname="/work/main/hw1/apps/simple_ml.py"), "is a link"),
    (special("apps/simple_ml.py", tarfile.LNKTYPE, linkname="x"), "is a link"),
    (special("dev", tarfile.CHRTYPE, devmajor=1, devminor=3), "special file"),
    (special("fifo", tarfile.FIFOTYPE), "special file"),
])
def test_dangerous_members_are_refused_before_anything_is_written(tmp_path, member, reason):
    archive = make_tar(tmp_path / "s.tar.gz", [("python/needle/autograd.py", b"ok\n"), member])
    with pytest.raises(DlsysError, match=reason):
        unpack_submission(archive, STUDENT_FILES, tmp_path / "out")
    assert not list((tmp_path / "out").rglob("*.py"))
    assert not (tmp_path.parent / "outside.py").exists()


def test_oversized_members_and_bombs_are_refused(tmp_path, monkeypatch):
    big = make_tar(tmp_path / "big.tar.gz", [("apps/simple_ml.py", b"0" * (submission.MAX_FILE_BYTES + 1))])
    with pytest.raises(DlsysError, match="over the"):
        unpack_submission(big, STUDENT_FILES, tmp_path / "out1")
    # Many files that are each small but add up: compressed, this archive is tiny.
    monkeypatch.setattr(submission, "MAX_TOTAL_BYTES", 3 * 2**20)
    bomb = make_tar(tmp_path / "bomb.tar.gz", [(f"f{i}.txt", b"\0" * 2**20) for i in range(4)])
    assert bomb.stat().st_size < 50_000
    with pytest.raises(DlsysError, match="unpacks to more than"):
        unpack_submission(bomb, STUDENT_FILES, tmp_path / "out2")
    monkeypatch.setattr(submission, "MAX_MEMBERS", 5)
    many = make_tar(tmp_path / "many.tar.gz", [(f"f{i}.txt", b"x") for i in range(6)])
    with pytest.raises(DlsysError, match="more than 5 members"):
        unpack_submission(many, STUDENT_FILES, tmp_path / "out3")


def test_unreadable_or_useless_submissions_say_why(tmp_path):
    (tmp_path / "junk.tar.gz").write_bytes(b"not a tar")
    with pytest.raises(DlsysError, match="not a readable tar archive"):
        unpack_submission(tmp_path / "junk.tar.gz", STUDENT_FILES, tmp_path / "o1")
    (tmp_path / "s.zip").write_bytes(b"PK")
    with pytest.raises(DlsysError, match="expected a folder or a .tar.gz"):
        unpack_submission(tmp_path / "s.zip", STUDENT_FILES, tmp_path / "o2")
    with pytest.raises(DlsysError, match="holds none of the student files"):
        unpack_submission(make_tar(tmp_path / "e.tar.gz", [("x.txt", b"x")]), STUDENT_FILES, tmp_path / "o3")
    with pytest.raises(DlsysError, match="does not exist"):
        unpack_submission(tmp_path / "nope", STUDENT_FILES, tmp_path / "o4")
