"""`dlsys doctor` reports what it finds and never raises for a missing tool."""
import sys

from autograder.devtools import doctor


def test_every_check_has_a_known_status_and_a_detail():
    checks = doctor.run_checks()
    assert {c.name for c in checks} >= {"Python", "C++ compiler", "CUDA compiler", "GPUs", "Docker engine"}
    assert all(c.status in (doctor.OK, doctor.WARN, doctor.FAIL) and c.detail for c in checks)
    assert any(c.name.startswith("native ") for c in checks)


def test_python_check_names_the_interpreter():
    check = doctor.check_python()
    assert check.status == doctor.OK and sys.executable in check.detail


def test_missing_tools_are_reported_not_raised(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty folder: no compiler, no nvcc, no docker
    monkeypatch.delenv("CXX", raising=False)
    monkeypatch.delenv("CUDACXX", raising=False)
    cxx = doctor.check_cxx_compiler()
    assert cxx.status == doctor.FAIL and "g++" in cxx.detail
    assert doctor.check_docker().status == doctor.WARN


def test_gpu_listing_never_raises_and_explains_an_empty_list():
    names, source = doctor.list_gpus()
    assert isinstance(names, list) and source
    check = doctor.check_gpus()
    assert check.status in (doctor.OK, doctor.WARN)
    if not names:
        assert "skipped" in check.detail


def test_cuda_compiler_from_cudacxx(monkeypatch, tmp_path):
    fake = tmp_path / "nvcc"
    fake.write_text("#!/bin/sh\necho 'Cuda compilation tools, release 99.9, V99.9.1'\n")
    fake.chmod(0o755)
    monkeypatch.setenv("CUDACXX", str(fake))
    check = doctor.check_cuda_compiler()
    assert check.status == doctor.OK and "release 99.9" in check.detail
