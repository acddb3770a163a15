"""Snapshots in step: checks, diffs and carries on small repositories of hw1 -> hw2 -> hw3."""
import json

import pytest

from autograder.course.snapshots import Drift, carry, check_snapshots, diff_snapshots
from autograder.errors import DlsysError

FILES = {
    "src/answer.py": "def answer():\n    return 42\n",
    "README.md": "# A homework\n\nRun the tests.\n",
    "tests/test_answer.py": "from answer import answer\n\n\ndef test_answer():\n    assert answer() == 42\n",
}


def write_manifest(folder, grows_from=None, changed=()):
    """A valid homework.toml for a test snapshot (each one's title differs, as real ones do)."""
    lines = [f'title = "{folder.name}: a test snapshot"']
    if grows_from:
        lines.append(f'grows_from = "{grows_from}"')
    if changed:
        lines.append(f"changed = {json.dumps(list(changed))}")
    lines += ['student_files = ["src/answer.py"]', 'devices = ["cpu"]',
              "[limits]", "time_seconds = 60", "memory_mb = 512",
              "[[parts]]", 'name = "answer"', f'marker = "{folder.name}_answer"', "points = 10"]
    (folder / "homework.toml").write_text("\n".join(lines) + "\n")


@pytest.fixture
def repo(tmp_path):
    """hw1, then hw2 growing from hw1, then hw3 growing from hw2: all three in step."""
    for name, grows_from in [("hw1", None), ("hw2", "hw1"), ("hw3", "hw2")]:
        folder = tmp_path / name
        for path, text in FILES.items():
            (folder / path).parent.mkdir(parents=True, exist_ok=True)
            (folder / path).write_text(text)
        write_manifest(folder, grows_from)
    return tmp_path


def test_snapshots_in_step_pass(repo):
    assert check_snapshots(repo) == []


def test_new_files_and_build_outputs_are_not_drift(repo):
    (repo / "hw3" / "src" / "extra.py").write_text("NEW = True\n")
    (repo / "hw2" / "src" / "__pycache__").mkdir()
    (repo / "hw2" / "src" / "__pycache__" / "answer.cpython-311.pyc").write_bytes(b"\x00\x01")
    assert check_snapshots(repo) == []


def test_an_undeclared_difference_names_the_file_and_the_first_differing_line(repo):
    (repo / "hw2" / "src" / "answer.py").write_text("def answer():\n    return 43\n")
    drift, then = check_snapshots(repo)  # hw3 still holds hw1's version, so it differs from hw2 as well
    assert drift == Drift("hw2", "hw1", "src/answer.py", "differs", 2, "'    return 42'", "'    return 43'")
    assert then == Drift("hw3", "hw2", "src/answer.py", "differs", 2, "'    return 43'", "'    return 42'")
    assert str(drift) == ("hw2/src/answer.py differs from hw1 at line 2 without being declared changed: "
                          "hw1 '    return 42' vs hw2 '    return 43'")


def test_a_difference_further_down_the_chain_is_found_too(repo):
    (repo / "hw3" / "README.md").write_text("# A homework\n\nRun the tests.\nThen rest.\n")
    drift, = check_snapshots(repo)
    assert (drift.homework, drift.grows_from, drift.file, drift.line) == ("hw3", "hw2", "README.md", 4)
    assert str(drift).endswith("hw2 <end of file> vs hw3 'Then rest.'")


def test_a_difference_in_line_endings_only_shows_them(repo):
    (repo / "hw3" / "README.md").write_bytes(b"# A homework\r\n\nRun the tests.\n")
    drift, = check_snapshots(repo)
    assert (drift.line, drift.was, drift.now) == (1, repr("# A homework\n"), repr("# A homework\r\n"))


def test_binary_files_are_only_said_to_differ(repo):
    (repo / "hw1" / "logo.png").write_bytes(b"\x89PNG\xff\x00")
    (repo / "hw2" / "logo.png").write_bytes(b"\x89PNG\xfe\x00")
    drift, = check_snapshots(repo)
    assert drift.line is None
    assert str(drift) == "hw2/logo.png differs from hw1 (binary) without being declared changed."


def test_a_declared_change_passes(repo):
    (repo / "hw2" / "src" / "answer.py").write_text("def answer():\n    return 43\n")
    write_manifest(repo / "hw2", "hw1", changed=["src/answer.py"])
    # hw3 still holds hw1's version, so it now differs from hw2 and must declare that too.
    write_manifest(repo / "hw3", "hw2", changed=["src/answer.py"])
    assert check_snapshots(repo) == []


def test_declared_changed_but_identical_is_reported(repo):
    write_manifest(repo / "hw2", "hw1", changed=["README.md"])
    drift, = check_snapshots(repo)
    assert (drift.homework, drift.file, drift.kind) == ("hw2", "README.md", "identical")
    assert str(drift) == ("hw2/README.md is declared changed but identical to hw1: "
                          "remove it from changed in hw2/homework.toml.")


def test_declared_changed_but_in_neither_snapshot_is_reported(repo):
    write_manifest(repo / "hw3", "hw2", changed=["src/anwser.py"])
    drift, = check_snapshots(repo)
    assert (drift.homework, drift.file, drift.kind) == ("hw3", "src/anwser.py", "unknown")
    assert "in neither hw2/ nor hw3/: fix the path or remove it" in str(drift)


def test_the_real_repository_is_in_step():
    assert check_snapshots() == []


def test_diff_lists_files_only_in_either_and_a_unified_diff(repo):
    (repo / "hw1" / "OLD.md").write_text("old\n")
    (repo / "hw2" / "src" / "new.py").write_text("NEW = True\n")
    (repo / "hw2" / "src" / "answer.py").write_text("def answer():\n    return 43\n")
    report = diff_snapshots("hw1", "hw2", root=repo)
    assert "Only in hw1/: 1 file(s)\n  OLD.md\nOnly in hw2/: 1 file(s)\n  src/new.py\n" in report
    assert "--- a/hw1/src/answer.py\n+++ b/hw2/src/answer.py\n" in report
    assert "-    return 42\n+    return 43\n" in report
    assert "--- a/hw1/homework.toml\n+++ b/hw2/homework.toml\n" in report  # the manifests differ too
    assert "README.md" not in report


def test_diff_of_snapshots_in_step_says_the_shared_files_are_identical(repo):
    (repo / "hw2" / "homework.toml").write_text((repo / "hw1" / "homework.toml").read_text())
    report = diff_snapshots("hw1", "hw2", root=repo)
    assert report == "Only in hw1/: none\nOnly in hw2/: none\nThe 4 shared file(s) are identical.\n"


def test_diff_marks_a_missing_final_newline_and_binary_files(repo):
    (repo / "hw2" / "README.md").write_text("# A homework\n\nRun the tests.")
    (repo / "hw1" / "logo.png").write_bytes(b"\xff\x00")
    (repo / "hw2" / "logo.png").write_bytes(b"\xfe\x00")
    report = diff_snapshots("hw1", "hw2", root=repo)
    assert "+Run the tests.\n\\ No newline at end of file\n" in report
    assert "Binary files a/hw1/logo.png and b/hw2/logo.png differ\n" in report


def test_diff_refuses_an_unknown_homework(repo):
    with pytest.raises(DlsysError, match="no homework 'hw9' in .*; there are: hw1, hw2, hw3"):
        diff_snapshots("hw1", "hw9", root=repo)


FIX = "def answer():\n    return 42  # the fix\n"


def test_carry_copies_a_fix_through_the_chain(repo):
    (repo / "hw1" / "src" / "answer.py").write_text(FIX)
    report = carry("src/answer.py", "hw1", root=repo)
    assert (report.copied, report.up_to_date, report.stopped) == (("hw2", "hw3"), (), ())
    assert (repo / "hw3" / "src" / "answer.py").read_text() == FIX
    assert check_snapshots(repo) == []
    assert "copied into hw2/src/answer.py" in str(report)


def test_carry_from_the_middle_leaves_earlier_snapshots_alone(repo):
    (repo / "hw2" / "src" / "answer.py").write_text(FIX)
    report = carry("src/answer.py", "hw2", root=repo)
    assert report.copied == ("hw3",)
    assert (repo / "hw1" / "src" / "answer.py").read_text() == FILES["src/answer.py"]


def test_carry_skips_writing_snapshots_already_fixed(repo):
    for name in ("hw1", "hw2"):
        (repo / name / "src" / "answer.py").write_text(FIX)
    report = carry("src/answer.py", "hw1", root=repo)
    assert (report.copied, report.up_to_date) == (("hw3",), ("hw2",))


def test_carry_stops_at_a_declared_change(repo):
    (repo / "hw1" / "README.md").write_text("# A homework, fixed\n")
    (repo / "hw3" / "README.md").write_text("# hw3's own README\n")
    write_manifest(repo / "hw3", "hw2", changed=["README.md"])
    report = carry("README.md", "hw1", root=repo)
    assert report.copied == ("hw2",)
    assert report.stopped == ("hw3 declares README.md changed: carry the fix by hand.",)
    assert (repo / "hw3" / "README.md").read_text() == "# hw3's own README\n"


def test_carry_stops_where_the_file_is_missing_and_goes_no_further(repo):
    (repo / "hw1" / "README.md").write_text("# A homework, fixed\n")
    (repo / "hw2" / "README.md").unlink()
    report = carry("README.md", "hw1", root=repo)
    assert (report.copied, report.stopped) == ((), ("hw2 has no README.md: nothing to carry into.",))
    assert (repo / "hw3" / "README.md").read_text() == FILES["README.md"]


def test_carry_from_the_last_snapshot_does_nothing(repo):
    report = carry("README.md", "hw3", root=repo)
    assert (report.copied, report.up_to_date, report.stopped) == ((), (), ())
    assert "no later snapshot grows from hw3" in str(report)


@pytest.mark.parametrize("file, homework, message", [
    ("README.md", "hw7", "no homework 'hw7'"),
    ("src/missing.py", "hw1", "hw1/ has no file src/missing.py"),
    ("../hw2/README.md", "hw1", "'../hw2/README.md' must be a path inside hw1/"),
    ("homework.toml", "hw1", "homework.toml is each snapshot's own manifest"),
])
def test_carry_refuses_unknown_names(repo, file, homework, message):
    with pytest.raises(DlsysError, match=message):
        carry(file, homework, root=repo)
