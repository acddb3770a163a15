"""The manifest loader: the real manifests load, and each mistake stops with the file and the field."""
import pytest

from autograder.course.manifest import load_manifest, load_manifests
from autograder.errors import DlsysError
from autograder.paths import homework_dirs

VALID = """\
title = "hw1: a test homework"
student_files = ["src/answer.py"]
import_paths = ["src"]
devices = ["cpu"]

[limits]
time_seconds = 60
memory_mb = 512

[[parts]]
name = "first"
marker = "hw1_first"
points = 10
"""
SECOND_PART = '\n[[parts]]\nname = "second"\nmarker = "hw1_second"\npoints = 5\n'


def write_homework(root, name="hw1", manifest=VALID):
    """A homework folder with a student file and the given manifest text."""
    folder = root / name
    (folder / "src").mkdir(parents=True)
    (folder / "src" / "answer.py").write_text("def answer():\n    return 42\n")
    (folder / "homework.toml").write_text(manifest)
    return folder


def test_the_real_manifests_load_in_course_order():
    manifests = load_manifests()
    assert [m.name for m in manifests] == [d.name for d in homework_dirs()]
    assert manifests[0].name == "hw0" and manifests[0].grows_from is None
    assert all(m.points > 0 and m.student_files for m in manifests)


def test_a_valid_manifest_loads_with_defaults(tmp_path):
    write_homework(tmp_path, manifest=VALID + SECOND_PART)
    manifest = load_manifest("hw1", root=tmp_path)
    assert manifest.title == "hw1: a test homework"
    assert manifest.grows_from is None and manifest.changed == () and manifest.datasets == ()
    assert manifest.student_files == ("src/answer.py",)
    assert manifest.limits.time_seconds == 60 and manifest.points == 15
    assert manifest.part("second").marker == "hw1_second"
    with pytest.raises(DlsysError, match="hw1 has no part 'third'; its parts: first, second"):
        manifest.part("third")


# (what to replace in VALID, what to put instead, what the message must say)
MISTAKES = {
    "unknown field": ('devices = ["cpu"]', 'devices = ["cpu"]\ncolour = "red"', r"unknown field\(s\) colour"),
    "missing title": ('title = "hw1: a test homework"\n', "", r"missing field\(s\) title"),
    "missing devices": ('devices = ["cpu"]\n', "", r"missing field\(s\) devices"),
    "missing limits": ("[limits]\ntime_seconds = 60\nmemory_mb = 512\n", "", r"missing field\(s\) limits"),
    "empty title": ('"hw1: a test homework"', '"  "', "title must be a non-empty string"),
    "student file missing": ('["src/answer.py"]', '["src/missing.py"]',
                             r"student_files: src/missing\.py does not exist in hw1/"),
    "student file outside": ('["src/answer.py"]', '["../hw0/answer.py"]',
                             r"student_files: '\.\./hw0/answer\.py' must be a path inside hw1/"),
    "student file absolute": ('["src/answer.py"]', '["/etc/hostname"]',
                              r"student_files: '/etc/hostname' must be a path inside hw1/"),
    "student file is a folder": ('["src/answer.py"]', '["src"]', r"student_files: src is not a file in hw1/"),
    "no student files": ('["src/answer.py"]', "[]", "student_files is empty"),
    "student files not a list": ('["src/answer.py"]', '"src/answer.py"',
                                 "student_files must be a list of non-empty strings, got 'src/answer.py'"),
    "student file twice": ('["src/answer.py"]', '["src/answer.py", "src/answer.py"]',
                           "student_files lists a name twice"),
    "import path outside": ('import_paths = ["src"]', 'import_paths = ["../python"]',
                            r"import_paths: '\.\./python' must be a path inside hw1/"),
    "bad device": ('devices = ["cpu"]', 'devices = ["tpu"]',
                   r"devices must be a non-empty subset of .*got \['tpu'\]"),
    "no devices": ('devices = ["cpu"]', "devices = []", r"devices must be a non-empty subset of .*got \[\]"),
    "unknown dataset": ('devices = ["cpu"]', 'devices = ["cpu"]\ndatasets = ["imagenet"]',
                        r"datasets: unknown \['imagenet'\]; known: \['mnist'"),
    "zero time limit": ("time_seconds = 60", "time_seconds = 0",
                        "limits.time_seconds must be a positive integer, got 0"),
    "extra limit": ("memory_mb = 512", "memory_mb = 512\ngpus = 1",
                    r"\[limits\] must hold exactly time_seconds and memory_mb"),
    "zero points": ("points = 10", "points = 0", "part first: points must be a positive integer, got 0"),
    "negative points": ("points = 10", "points = -5", "part first: points must be a positive integer, got -5"),
    "fractional points": ("points = 10", "points = 2.5", "part first: points must be a positive integer, got 2.5"),
    "points as text": ("points = 10", 'points = "10"', "part first: points must be a positive integer, got '10'"),
    "points as bool": ("points = 10", "points = true", "part first: points must be a positive integer, got True"),
    "part without points": ("points = 10\n", "", "part 1 must hold exactly name, marker and points"),
    "bad part name": ('name = "first"', 'name = "First Part"', "part 1: name must be lowercase .*'First Part'"),
    "bad marker": ('marker = "hw1_first"', 'marker = "hw1-first"',
                   "part first: marker must be a pytest marker name, got 'hw1-first'"),
    "no parts": ('[[parts]]\nname = "first"\nmarker = "hw1_first"\npoints = 10\n', "", r"missing field\(s\) parts"),
    "duplicate part name": ("points = 10\n", "points = 10\n" + SECOND_PART.replace('"second"', '"first"'),
                            r"two parts share a name: \['first', 'first'\]"),
    "duplicate marker": ("points = 10\n", "points = 10\n" + SECOND_PART.replace('"hw1_second"', '"hw1_first"'),
                         r"two parts share a marker: \['hw1_first', 'hw1_first'\]"),
    "changed without grows_from": ('devices = ["cpu"]', 'devices = ["cpu"]\nchanged = ["README.md"]',
                                   "changed lists files, but there is no grows_from"),
    "bad grows_from": ('devices = ["cpu"]', 'devices = ["cpu"]\ngrows_from = "homework0"',
                       "grows_from must name a homework like 'hw1', got 'homework0'"),
    "grows_from itself": ('devices = ["cpu"]', 'devices = ["cpu"]\ngrows_from = "hw1"',
                          "grows_from = 'hw1' must be an earlier homework than hw1"),
    "bad TOML": ('title = "hw1: a test homework"', 'title = "hw1: a test homework', "not valid TOML"),
}


@pytest.mark.parametrize("old, new, message", MISTAKES.values(), ids=MISTAKES.keys())
def test_a_mistake_names_the_file_and_the_field(tmp_path, old, new, message):
    assert old in VALID
    folder = write_homework(tmp_path, manifest=VALID.replace(old, new, 1))
    with pytest.raises(DlsysError, match=message) as error:
        load_manifest("hw1", root=tmp_path)
    assert str(error.value).startswith(f"{folder / 'homework.toml'}: ")


def test_grows_from_must_name_an_earlier_homework(tmp_path):
    write_homework(tmp_path, "hw2")
    text = VALID.replace('devices = ["cpu"]', 'devices = ["cpu"]\ngrows_from = "hw2"')
    folder = write_homework(tmp_path, "hw1", text)
    with pytest.raises(DlsysError, match="grows_from = 'hw2' must be an earlier homework than hw1") as error:
        load_manifest("hw1", root=tmp_path)
    assert str(folder / "homework.toml") in str(error.value)


def test_grows_from_must_name_an_existing_folder(tmp_path):
    text = VALID.replace('devices = ["cpu"]', 'devices = ["cpu"]\ngrows_from = "hw1"')
    folder = write_homework(tmp_path, "hw2", text)
    with pytest.raises(DlsysError, match="grows_from = 'hw1', but there is no folder hw1/ beside hw2/") as error:
        load_manifest("hw2", root=tmp_path)
    assert str(folder / "homework.toml") in str(error.value)


def test_grows_from_with_changed_files_loads(tmp_path):
    write_homework(tmp_path, "hw1")
    text = VALID.replace('devices = ["cpu"]', 'devices = ["cpu"]\ngrows_from = "hw1"\nchanged = ["src/answer.py"]')
    write_homework(tmp_path, "hw2", text)
    manifest = load_manifest("hw2", root=tmp_path)
    assert manifest.grows_from == "hw1" and manifest.changed == ("src/answer.py",)


def test_a_manifest_that_is_not_utf8_is_bad_toml(tmp_path):
    folder = write_homework(tmp_path)
    (folder / "homework.toml").write_bytes(VALID.replace("a test", "caf\xe9").encode("latin-1"))
    with pytest.raises(DlsysError, match="not valid TOML"):
        load_manifest("hw1", root=tmp_path)


def test_a_missing_manifest_names_the_folder(tmp_path):
    (tmp_path / "hw3").mkdir()
    with pytest.raises(DlsysError, match="hw3: no homework.toml in"):
        load_manifest("hw3", root=tmp_path)


def test_a_folder_can_be_given_instead_of_a_name(tmp_path):
    folder = write_homework(tmp_path)
    assert load_manifest(folder).root == folder
