"""One grading job per GPU, pinned to it: the slots hand out each device once at a time, and a
pinned sandbox runs the job (for real, in bubblewrap) with only its device visible."""
import threading
import time

from autograder.sandbox import Job
from autograder.sandbox.docker import container_options
from autograder.worker.gpu_slots import GpuSlots, PinnedSandbox
from sandbox_jobs import make_job


def test_each_gpu_serves_one_job_at_a_time():
    slots = GpuSlots([0, 1])
    holding, most, lock = set(), 0, threading.Lock()

    def job():
        nonlocal most
        with slots.take() as index:
            with lock:
                assert index not in holding, f"GPU {index} given twice"
                holding.add(index)
                most = max(most, len(holding))
            time.sleep(0.05)
            with lock:
                holding.discard(index)

    threads = [threading.Thread(target=job) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert most == 2 and not holding


def test_a_pinned_job_sees_only_its_gpu(local_sandbox, tmp_path):
    job = make_job(tmp_path, "import os; print('visible', os.environ.get('CUDA_VISIBLE_DEVICES'))")
    result = PinnedSandbox(local_sandbox, 3).run(job)
    assert result.returncode == 0 and b"visible 3" in result.stdout, (result.stdout, result.stderr_tail)


def test_docker_gets_the_pinned_device_only(tmp_path):
    pinned = Job(tmp_path, ("true",), needs_gpu=True, gpu_ids=("1",))
    (request,) = container_options(pinned, gpu=True)["device_requests"]
    assert request["device_ids"] == ["1"] and request["count"] == 0
