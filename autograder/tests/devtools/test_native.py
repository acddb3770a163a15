"""The native-module table matches CMakeLists.txt, and the build produced every module it should."""
import re
import shutil

import pytest

from autograder.devtools.doctor import find_nvcc
from autograder.devtools.native import NATIVE_MODULES
from autograder.paths import REPO_ROOT


def test_table_matches_cmakelists():
    cmake = (REPO_ROOT / "CMakeLists.txt").read_text()
    declared = {(name, folder, kind == "cuda")
                for kind, name, folder in re.findall(r"^dlsys_(cpp|cuda)_module\((\w+) (\S+)", cmake, re.M)}
    assert declared == {(m.name, m.folder, m.cuda) for m in NATIVE_MODULES}


@pytest.mark.parametrize("module", [m for m in NATIVE_MODULES if not m.cuda], ids=lambda m: m.name)
def test_cpp_modules_are_built(module):
    assert module.built_file() is not None, f"{module.folder}/{module.name} is not built: run `pip install -e .`"


@pytest.mark.parametrize("module", [m for m in NATIVE_MODULES if m.cuda], ids=lambda m: m.name)
def test_cuda_modules_are_built_whenever_nvcc_exists(module):
    if find_nvcc() is None:
        assert module.built_file() is None
    else:
        assert module.built_file() is not None, f"nvcc exists but {module.name} was not built"


def test_cuda_probe_imports_without_a_gpu_and_raises_clearly():
    if find_nvcc() is None:
        pytest.skip("no CUDA compiler: the probe is not built")
    from autograder.devtools import _cuda_probe

    assert _cuda_probe.runtime_version() >= 12000
    try:
        count = _cuda_probe.device_count()
    except RuntimeError as error:  # no GPU or driver on this machine
        assert "cudaGetDeviceCount" in str(error)
    else:
        assert count >= 0 and len(_cuda_probe.devices()) == count


def test_build_outputs_are_ignored_by_git():
    if shutil.which("git") is None or not (REPO_ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    import subprocess

    outputs = ["CMakeCache.txt", "build.ninja", "CMakeFiles", ".ninja_log", "cmake_install.cmake", "build", ".cmake"]
    outputs += [str(m.built_file().relative_to(REPO_ROOT)) for m in NATIVE_MODULES if m.built_file()]
    existing = [path for path in outputs if (REPO_ROOT / path).exists()]
    result = subprocess.run(["git", "check-ignore", *existing], cwd=REPO_ROOT, capture_output=True, text=True)
    assert sorted(result.stdout.split()) == sorted(existing)
