"""The release tests install handouts into layered venvs: they work from the system interpreter
and from a venv alike (a venv made from a venv used to lose the build backend)."""
import subprocess
from pathlib import Path

from venvs import layered_venv

# What installing a handout with --no-build-isolation and no index needs from the environment.
BUILD_TOOLS = "import pip, scikit_build_core, pybind11, numpy, pytest"


def python_says(python: Path, code: str) -> str:
    done = subprocess.run([str(python), "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_a_layered_venv_sees_the_build_tools_and_installs_into_itself(tmp_path):
    python = layered_venv(tmp_path / "venv")
    python_says(python, BUILD_TOOLS)
    assert python_says(python, "import sys; print(sys.prefix)") == str(tmp_path / "venv")


def test_a_venv_layered_over_a_venv_sees_that_venvs_own_packages(tmp_path):
    """The case of `pip install -e ".[test]"` into .venv, then `dlsys test`: the handout's venv
    is made by a venv's interpreter, and must see what was installed into that venv (a module
    only the outer venv holds stands for scikit-build-core there), not its base interpreter's."""
    outer = layered_venv(tmp_path / "outer")
    purelib = python_says(outer, "import sysconfig; print(sysconfig.get_paths()['purelib'])")
    (Path(purelib) / "only_in_the_outer_venv.py").write_text("WHERE = 'outer'\n")
    made = subprocess.run([str(outer), str(Path(__file__).with_name("venvs.py")), str(tmp_path / "inner")],
                          capture_output=True, text=True)
    assert made.returncode == 0, made.stderr
    inner = Path(made.stdout.strip())
    python_says(inner, BUILD_TOOLS)
    assert python_says(inner, "import only_in_the_outer_venv as m; print(m.WHERE)") == "outer"
    assert python_says(inner, "import sys; print(sys.prefix)") == str(tmp_path / "inner")
