"""Finding and emptying solution regions: markers kept, indentation kept, malformed regions refused."""
import pytest

from autograder.course.regions import Region, find_regions, language, strip_regions
from autograder.errors import DlsysError

PYTHON = '''\
def add(x, y):
    """Given."""
    ### BEGIN YOUR SOLUTION
    total = x + y
    return total
    ### END YOUR SOLUTION


class Op:
    def compute(self, a):
        scale = 2  # given code before a region stays
        ### BEGIN YOUR SOLUTION
        if a:
            return a * scale
        return 0
        ### END YOUR SOLUTION
'''

PYTHON_STRIPPED = '''\
def add(x, y):
    """Given."""
    ### BEGIN YOUR SOLUTION
    raise NotImplementedError()
    ### END YOUR SOLUTION


class Op:
    def compute(self, a):
        scale = 2  # given code before a region stays
        ### BEGIN YOUR SOLUTION
        raise NotImplementedError()
        ### END YOUR SOLUTION
'''

CPP = '''\
void epoch(const float *X, float *theta, size_t m)
{
    /** Given docs. */
    // BEGIN YOUR SOLUTION
    for (size_t i = 0; i < m; ++i) theta[i] -= X[i];
    // END YOUR SOLUTION
}
'''

CPP_STRIPPED = '''\
void epoch(const float *X, float *theta, size_t m)
{
    /** Given docs. */
    // BEGIN YOUR SOLUTION
    // END YOUR SOLUTION
}
'''


def test_languages_by_suffix():
    assert language("src/simple_ml.py") == "python"
    assert {language(f"k{suffix}") for suffix in (".cpp", ".cc", ".cu", ".h", ".cuh")} == {"c"}
    assert language("README.md") is None and language("homework.toml") is None


def test_find_python_regions_with_lines_and_indentation():
    assert find_regions(PYTHON, "ops.py") == [Region(3, 6, "    "), Region(12, 16, "        ")]


def test_python_region_becomes_not_implemented_at_the_marker_indentation():
    stripped = strip_regions(PYTHON, "ops.py")
    assert stripped == PYTHON_STRIPPED
    compile(stripped, "ops.py", "exec")  # still valid Python


def test_python_region_keeps_windows_line_endings():
    text = PYTHON.replace("\n", "\r\n")
    assert strip_regions(text, "ops.py") == PYTHON_STRIPPED.replace("\n", "\r\n")


def test_cpp_region_becomes_an_empty_body_between_its_markers():
    assert find_regions(CPP, "src/simple_ml_ext.cpp") == [Region(4, 6, "    ")]
    assert strip_regions(CPP, "src/simple_ml_ext.cpp") == CPP_STRIPPED


@pytest.mark.parametrize("suffix", [".cu", ".cuh", ".h", ".cc"])
def test_cuda_and_header_regions_use_the_cpp_markers(suffix):
    assert strip_regions(CPP, f"kernels{suffix}") == CPP_STRIPPED


def test_a_file_without_regions_is_unchanged():
    text = "def given():\n    return 1\n"
    assert find_regions(text, "given.py") == []
    assert strip_regions(text, "given.py") == text


@pytest.mark.parametrize("name", ["README.md", "homework.toml", "notes.txt"])
def test_other_file_types_pass_through_even_when_they_mention_markers(name):
    text = "Write code between `### BEGIN YOUR SOLUTION` and\n### BEGIN YOUR SOLUTION\n"
    assert find_regions(text, name) == []
    assert strip_regions(text, name) == text


def test_python_markers_in_cpp_and_cpp_markers_in_python_are_not_regions_of_that_language():
    assert find_regions("// BEGIN YOUR SOLUTION\nx = 1\n// END YOUR SOLUTION\n", "a.py") == []


MALFORMED = [
    pytest.param("x = 1\n    ### END YOUR SOLUTION\n", "a.py", 2, "without a '### BEGIN YOUR SOLUTION'",
                 id="end-without-begin"),
    pytest.param("def f():\n    ### BEGIN YOUR SOLUTION\n    return 1\n", "a.py", 2, "never closed",
                 id="begin-never-closed"),
    pytest.param("def f():\n    ### BEGIN YOUR SOLUTION\n    ### BEGIN YOUR SOLUTION\n", "a.py", 3, "cannot nest",
                 id="nested-begin"),
    pytest.param("def f():\n    ### BEGIN YOUR SOLUTION\n    return 1\n### END YOUR SOLUTION\n", "a.py", 4,
                 "indented", id="different-indentation"),
    pytest.param("void f() {\n  // BEGIN YOUR SOLUTION\n}\n", "k.cu", 2, "never closed", id="cuda-never-closed"),
    pytest.param("void f() {\n  // END YOUR SOLUTION\n}\n", "k.cpp", 2, "without a '// BEGIN YOUR SOLUTION'",
                 id="cpp-end-without-begin"),
    pytest.param("def f():\n    # BEGIN YOUR SOLUTION\n    return 1\n", "a.py", 2, "looks like a solution marker",
                 id="mistyped-python-marker"),
    pytest.param("void f() {\n  //BEGIN YOUR SOLUTION\n}\n", "k.cpp", 2, "looks like a solution marker",
                 id="mistyped-cpp-marker"),
]


@pytest.mark.parametrize("text, name, line, problem", MALFORMED)
def test_malformed_regions_name_the_file_line_and_problem(text, name, line, problem):
    with pytest.raises(DlsysError, match=problem) as raised:
        find_regions(text, f"hw9/{name}")
    assert str(raised.value).startswith(f"hw9/{name}:{line}: ")
    with pytest.raises(DlsysError):
        strip_regions(text, f"hw9/{name}")
