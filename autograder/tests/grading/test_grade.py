"""From a submission to a score, end to end, in both sandboxes.

For every homework: the reference's own files get full marks, and a fresh handout (packed
by its own submit client) gets zero, each case saying "not implemented" (C++ regions
compile to empty bodies, so those cases compute wrong values instead).
"""
import re
import shutil
import subprocess
import sys

import pytest

from autograder.course.manifest import load_manifest, load_manifests
from autograder.course.regions import find_regions
from autograder.course.release import release
from autograder.grading.answers import load_answers
from autograder.grading.grade import grade
from autograder.grading.job_folder import handout_builds, suite_hash
from autograder.grading.limits import case_time_limit
from autograder.grading.scoring import NOT_GRADED
from sandbox_jobs import copy_student_files

HOMEWORKS = [m.name for m in load_manifests()]


@pytest.fixture(scope="session")
def handout_archives(tmp_path_factory):
    """Each homework's fresh handout, packed by the handout's own `submit.py`."""
    archives = {}
    for name in HOMEWORKS:
        folder = release(load_manifest(name), tmp_path_factory.mktemp("handouts") / name)
        subprocess.run([sys.executable, "submit.py"], cwd=folder, check=True, capture_output=True)
        archives[name] = folder / f"{name}-submission.tar.gz"
    return archives


def is_cpp_part(manifest, part):
    return load_manifest(manifest).part(part).marker.endswith(("_cpp", "_cuda"))


def cpu_points(homework):
    """What a grader without a GPU grades (these tests grade with gpu=False): CUDA runs are
    reported as not graded, so hw3's _cuda parts count for nothing here."""
    manifest = load_manifest(homework)
    return manifest.points - sum(p.points for p in manifest.parts if p.marker.endswith("_cuda"))


def graded(result):
    """The cases that were run; CUDA runs without a GPU must say so, never fail."""
    skipped = [c for c in result.cases if c.status == NOT_GRADED]
    assert all(c.device == "cuda" and c.score == 0 and "no GPU" in c.feedback for c in skipped), skipped
    return [c for c in result.cases if c.status != NOT_GRADED]


@pytest.mark.parametrize("homework", HOMEWORKS)
def test_the_reference_gets_full_marks(homework, sandbox, published_answers):
    result = grade(load_manifest(homework), load_manifest(homework).root, sandbox, answers_folder=published_answers)
    assert [(c.run, c.status, c.feedback) for c in graded(result) if c.status != "passed"] == []
    assert result.score == result.max_score == cpu_points(homework)
    assert result.job_stopped is None and result.notices == []
    if homework in PREPARED:  # the grader image configured this handout at its build; nothing did locally
        assert result.build["prepared"] == (sandbox.name == "docker"), result.build


PREPARED = {build.name for build in handout_builds()}


@pytest.mark.parametrize("homework", HOMEWORKS)
def test_a_fresh_handout_gets_zero_and_says_not_implemented(homework, sandbox, published_answers, handout_archives):
    result = grade(load_manifest(homework), handout_archives[homework], sandbox, answers_folder=published_answers)
    assert result.score == 0 and result.max_score == cpu_points(homework)
    for case in graded(result):
        if is_cpp_part(homework, case.part):
            assert case.status == "failed" and "values differ" in case.feedback, case
        else:
            assert case.status == "not implemented" and case.feedback.startswith("not implemented ("), case


def test_a_submission_missing_a_file_is_graded_with_the_handout_version(tmp_path, local_sandbox, published_answers):
    (tmp_path / "apps").mkdir()
    shutil.copy(load_manifest("hw1").root / "apps/simple_ml.py", tmp_path / "apps/simple_ml.py")
    result = grade(load_manifest("hw1"), tmp_path, local_sandbox, answers_folder=published_answers)
    assert 0 < result.score < result.max_score  # parse_mnist needs no autograd: it passes
    assert result.parts(["parse_mnist"])[0].score == 5
    assert any("missing from the submission: python/needle/autograd.py" in n for n in result.notices)


def break_first_region(source):
    """Make a C++/CUDA student file fail to compile: a line of nonsense in its first region."""
    source.write_text(re.sub(r"^([ \t]*)// END YOUR SOLUTION", r"\1this does not compile;\n\1// END YOUR SOLUTION",
                             source.read_text(), count=1, flags=re.M))


def test_native_code_that_does_not_compile_costs_only_its_part(tmp_path, local_sandbox, published_answers):
    manifest = load_manifest("hw0")
    copy_student_files("hw0", tmp_path)
    break_first_region(tmp_path / "src/simple_ml_ext.cpp")
    result = grade(load_manifest("hw0"), tmp_path, local_sandbox, answers_folder=published_answers)
    assert result.build is not None and not result.build["ok"]
    assert any("native build failed" in n and "error" in n for n in result.notices)
    cpp = [c for c in result.cases if c.part == "cpp"]
    assert cpp and all(c.status == "error" and "simple_ml_ext" in c.feedback for c in cpp)
    assert result.score == manifest.points - manifest.part("cpp").points


def test_a_backend_that_does_not_compile_costs_only_its_own_parts(tmp_path, local_sandbox, published_answers):
    """hw3: a C++ compile error costs the _cpp parts; the Python part is graded on the numpy backend."""
    manifest = load_manifest("hw3")
    copy_student_files("hw3", tmp_path)
    break_first_region(tmp_path / "src/ndarray_backend_cpu.cc")
    result = grade(load_manifest("hw3"), tmp_path, local_sandbox, answers_folder=published_answers)
    assert result.build is not None and not result.build["ok"]
    cpp_parts = {p.name for p in manifest.parts if p.marker.endswith("_cpp")}
    cpp = [c for c in result.cases if c.part in cpp_parts]
    assert cpp and all(c.status == "error" and "ndarray_backend_cpu" in c.feedback for c in cpp), cpp
    assert result.parts(["ndarray_python"])[0].score == manifest.part("ndarray_python").points
    assert result.score == cpu_points("hw3") - sum(manifest.part(name).points for name in cpp_parts)


@pytest.mark.skipif(shutil.which("nvcc") is None, reason="needs nvcc")
def test_a_cuda_file_that_does_not_compile_leaves_the_cpu_backend_built(tmp_path, local_sandbox, published_answers):
    """With CUDA runs in the job, nvcc's error is reported, and the C++ backend is built anyway."""
    copy_student_files("hw3", tmp_path)
    break_first_region(tmp_path / "src/ndarray_backend_cuda.cu")
    result = grade(load_manifest("hw3"), tmp_path, local_sandbox, gpu=True, answers_folder=published_answers)
    assert not result.build["ok"] and "ndarray_backend_cuda.cu" in result.build["log"]
    cpu_cases = [c for c in result.cases if c.device == "cpu"]
    assert cpu_cases and all(c.status == "passed" for c in cpu_cases), [c for c in cpu_cases if c.status != "passed"]


def empty_region_after(source, *anchors):
    """Empty one Python region as a handout does: the first region after the lines holding
    each anchor in turn (e.g. "class Conv(", then "def compute(")."""
    text = source.read_text()
    lines = text.splitlines(keepends=True)
    at = 0
    for anchor in anchors:
        at = next(i for i in range(at, len(lines)) if anchor in lines[i])
    region = next(r for r in find_regions(text, source) if r.begin - 1 > at)
    lines[region.begin:region.end - 1] = [f"{region.indent}raise NotImplementedError()\n"]
    source.write_text("".join(lines))


# hw4: one region emptied; the parts whose cases call it lose those cases, and a part made of
# nothing else loses everything (a broken conv op costs the conv part, nn.Conv's cases and
# ResNet9's forward; every Transformer case runs attention). The reference's LSTM layer
# unrolls its cells by hand (one input projection per layer), so an empty LSTMCell.forward costs
# the cell's cases only, and an empty LSTM.forward the layer's cases and the language models.
# No other part loses.
HW4_BROKEN_REGIONS = [
    pytest.param("python/needle/ops/ops_mathematic.py", ("class Conv(", "def compute("),
                 {"conv", "nn_conv", "resnet9"}, {"conv"}, id="Conv.compute"),
    pytest.param("python/needle/nn/nn_sequence.py", ("class LSTMCell(", "def forward("),
                 {"lstm"}, set(), id="LSTMCell.forward"),
    pytest.param("python/needle/nn/nn_sequence.py", ("class LSTM(", "def forward("),
                 {"lstm", "language_model"}, set(), id="LSTM.forward"),
    pytest.param("python/needle/nn/nn_transformer.py", ("class MultiHeadAttention(", "def forward("),
                 {"attention", "transformer"}, {"attention", "transformer"}, id="MultiHeadAttention.forward"),
]


@pytest.mark.parametrize("source, anchors, losing, zeroed", HW4_BROKEN_REGIONS)
def test_an_hw4_region_left_empty_costs_only_the_parts_that_use_it(source, anchors, losing, zeroed, tmp_path,
                                                                   local_sandbox, published_answers):
    copy_student_files("hw4", tmp_path)
    empty_region_after(tmp_path / source, *anchors)
    result = grade(load_manifest("hw4"), tmp_path, local_sandbox, answers_folder=published_answers)
    parts = result.parts([part.name for part in load_manifest("hw4").parts])
    assert {p.name for p in parts if p.score < p.max_score} == losing
    assert {p.name for p in parts if p.score == 0} == zeroed
    lost = [c for c in result.cases if c.score < c.points]
    assert all(c.score == 0 and c.status == "not implemented" and source in c.feedback for c in lost), lost


def looping_power_scalar(folder):
    """hw1's reference with `PowerScalar.compute` looping forever: every case that raises a tensor to a power."""
    copy_student_files("hw1", folder)
    ops = folder / "python/needle/ops/ops_mathematic.py"
    solution = "        return array_api.power(a, self.scalar)\n"
    assert ops.read_text().count(solution) == 1
    ops.write_text(ops.read_text().replace(solution, "        while True:\n            pass\n"))
    return folder


def outcome(result):
    return [(c.run, c.status, c.score, c.feedback) for c in result.cases], result.notices, result.job_stopped


def test_a_looping_op_costs_each_case_the_limit_derived_from_the_reference(tmp_path, local_sandbox,
                                                                          published_answers):
    manifest = load_manifest("hw1")
    submission = looping_power_scalar(tmp_path / "looping")
    sequential = grade(manifest, submission, local_sandbox, answers_folder=published_answers)
    looped = [c for c in sequential.cases if c.status == "time limit"]
    limits = {c.id: c.timeout for c in load_answers("hw1", suite_hash("hw1"), published_answers).cases}
    assert len(looped) >= 3 and all(c.status == "passed" for c in sequential.cases if c not in looped)
    for case in looped:  # each stopped at its derived limit, well below the 30 s its declaration allows
        assert f"stopped after its time limit of {limits[case.case]:g} s" in case.feedback and limits[case.case] < 30
    side_by_side = grade(manifest, submission, local_sandbox, answers_folder=published_answers, cpus=2)
    assert outcome(side_by_side) == outcome(sequential)


@pytest.mark.parametrize("homework", ["hw0", "hw2"])
def test_cases_graded_side_by_side_score_and_say_what_one_after_another_does(homework, local_sandbox,
                                                                            published_answers, handout_archives):
    manifest = load_manifest(homework)
    for submission in (manifest.root, handout_archives[homework]):
        sequential = grade(manifest, submission, local_sandbox, answers_folder=published_answers)
        assert outcome(grade(manifest, submission, local_sandbox, answers_folder=published_answers, cpus=2)) \
            == outcome(sequential)


def test_each_published_limit_comes_from_the_references_time(published_answers):
    for manifest in load_manifests():
        for case in load_answers(manifest.name, suite_hash(manifest.name), published_answers).cases:
            assert case.reference_seconds > 0 and case.declared_timeout is not None, case.id
            assert case.timeout == case_time_limit(case.reference_seconds, case.declared_timeout, manifest), case.id
