"""DockerSandbox's container: every limit in its options, GPUs only where they can go, no SDK needed to import."""
from __future__ import annotations

import pytest

from autograder.errors import DlsysError
from autograder.sandbox import DockerSandbox, Job, JobLimits
from autograder.sandbox import docker as docker_module
from autograder.sandbox.docker import container_options, gpu_wanted
from autograder.sandbox.priority import JOB_CPU_SHARES


def test_container_options_hold_every_limit(tmp_path):
    job = Job(tmp_path, ("python3", "/job/x.py"), JobLimits(memory_mb=512, cpus=1.5, pids=64, scratch_mb=128))
    options = container_options(job, "img")
    assert options["network_mode"] == "none" and options["read_only"] and options["init"]
    assert options["mem_limit"] == options["memswap_limit"] == "512m"
    assert options["nano_cpus"] == 1_500_000_000 and options["pids_limit"] == 64
    assert options["cpu_shares"] == JOB_CPU_SHARES  # in the background of the other containers
    assert options["user"] == "65534:65534" and options["cap_drop"] == ["ALL"]
    assert options["security_opt"] == ["no-new-privileges"]
    assert options["tmpfs"]["/work"].startswith("rw,exec,nosuid") and "size=128m" in options["tmpfs"]["/tmp"]
    assert options["volumes"] == {str(tmp_path.resolve()): {"bind": "/job", "mode": "ro"}}
    assert options["log_config"]["type"] == "none" and options["working_dir"] == "/work"
    assert options["environment"]["HOME"] == "/work" and options["environment"]["DLSYS_JOB_DIR"] == "/job"
    assert {u["name"] for u in options["ulimits"]} >= {"fsize", "nofile"}
    assert "device_requests" not in options


def test_gpus_only_for_gpu_jobs_on_an_nvidia_engine(tmp_path):
    gpu_job = Job(tmp_path, ("true",), needs_gpu=True)
    cpu_job = Job(tmp_path, ("true",))
    with_nvidia = {"runc": {}, "nvidia": {"path": "nvidia-container-runtime"}}
    assert gpu_wanted(gpu_job, with_nvidia) and not gpu_wanted(gpu_job, {"runc": {}})
    assert not gpu_wanted(cpu_job, with_nvidia)
    (request,) = container_options(gpu_job, gpu=True)["device_requests"]
    assert request["count"] == -1 and request["capabilities"] == [["gpu"]]
    try:
        import docker.types  # the SDK accepts the dict as a DeviceRequest
    except ImportError:
        return
    assert docker.types.DeviceRequest(**request)["Count"] == -1


def test_docker_module_imports_without_the_sdk(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_docker(name, *args, **kwargs):
        if name == "docker" or name.startswith("docker."):
            raise ImportError("no docker here")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_docker)
    assert docker_module.docker_available() is False
    with pytest.raises(DlsysError, match="pip install 'docker>=7'"):
        _ = DockerSandbox().client
