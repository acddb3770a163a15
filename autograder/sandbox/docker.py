"""DockerSandbox: runs a job in a throw-away container of the grader image.

The production sandbox. Each job gets a fresh container of `dlsys-grader:latest` (built
from docker/grader.Dockerfile by `build_grader_image`, image.py) with:

- no network (`network_mode="none"`), all capabilities dropped, no-new-privileges, user
  65534:65534, a read-only root file system, tini as PID 1 (`init=True`);
- the job folder bind-mounted read-only at /job, tmpfs mounts at /work (the cwd and HOME)
  and /tmp, `exec` so student code can build and load a .so there, `limits.scratch_mb`
  each (their pages count against the memory limit);
- memory (swap included), CPU, pids, file-size, open-file and core limits;
- all NVIDIA GPUs when `job.needs_gpu` and the engine has the NVIDIA runtime;
- logging driver "none", so a job printing 1 GB fills neither the host's disk nor the
  grader's memory: output is streamed through an attach made before the container starts
  (nothing is lost), demultiplexed, and fed to the same `OutputCollector` as LocalSandbox;
- a wall-clock deadline enforced from outside with `container.kill()`; the container is
  removed (force) at the end, whatever happened.

The Docker SDK (`pip install docker`) is imported lazily: without it this module still
imports, `docker_available()` is False, and `pick_sandbox` falls back to the local sandbox.
"""
from __future__ import annotations

import os
import queue
import threading
import time
from pathlib import Path
from typing import Any, Callable

from autograder.dlsys_harness.protocol import KillReason
from autograder.errors import DlsysError
from autograder.sandbox.job import JOB_DIR, WORK_DIR, Job, JobResult, job_env, ready_job_dir
from autograder.sandbox.output import OutputCollector
from autograder.sandbox.priority import JOB_CPU_SHARES

# DLSYS_GRADER_IMAGE names another tag: a deployment (docker/compose.yaml) or a test building its own.
GRADER_IMAGE = os.environ.get("DLSYS_GRADER_IMAGE") or "dlsys-grader:latest"
SANDBOX_USER = "65534:65534"
_DRAIN_SECONDS = 10.0  # how long to wait for the output stream to end after a kill


def _sdk():
    try:
        import docker
    except ImportError as error:
        raise DlsysError("the Docker sandbox needs the Docker SDK: pip install 'docker>=7'") from error
    return docker


def engine_client(timeout: float = 60.0):
    """A client of the local Docker engine, or a DlsysError saying none answers."""
    docker = _sdk()
    try:
        client = docker.from_env(timeout=timeout)
        client.ping()
    except Exception as error:  # DockerException, requests' ConnectionError, ...
        raise DlsysError(f"no Docker engine answers ({error}); start one, or use the local sandbox") from error
    return client


def docker_available(timeout: float = 2.0) -> bool:
    """Whether the SDK is installed and a Docker engine answers within `timeout` seconds."""
    try:
        docker = __import__("docker")
        client = docker.from_env(timeout=timeout)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception:
        return False


def image_exists(image: str = GRADER_IMAGE, timeout: float = 5.0) -> bool:
    """Whether the engine has `image` (False when no engine answers)."""
    try:
        docker = __import__("docker")
        client = docker.from_env(timeout=timeout)
        try:
            client.images.get(image)
            return True
        finally:
            client.close()
    except Exception:
        return False


def container_options(job: Job, image: str = GRADER_IMAGE, gpu: bool = False) -> dict[str, Any]:
    """The keyword arguments of `client.containers.create` for `job` (a pure function).

    `gpu`: give the container the job's GPUs (`job.gpu_ids`, a worker's pin), or every GPU
    when it names none (only when the job needs one and the engine has the NVIDIA runtime:
    `gpu_wanted`). Plain dicts stand for the SDK's Ulimit, LogConfig and
    DeviceRequest types, which the SDK accepts as such.
    """
    limits = job.limits
    tmpfs = f"rw,exec,nosuid,nodev,size={limits.scratch_mb}m,mode=1777"
    options: dict[str, Any] = {
        "image": image,
        "command": list(job.command),
        "user": SANDBOX_USER,
        "working_dir": WORK_DIR,
        "environment": job_env(job),
        "hostname": "sandbox",
        "network_mode": "none",
        "read_only": True,
        "tmpfs": {WORK_DIR: tmpfs, "/tmp": tmpfs},
        "volumes": {str(Path(job.job_dir).resolve()): {"bind": JOB_DIR, "mode": "ro"}},
        "mem_limit": f"{limits.memory_mb}m",
        "memswap_limit": f"{limits.memory_mb}m",
        "nano_cpus": int(limits.cpus * 1e9),
        "cpu_shares": JOB_CPU_SHARES,  # in the background of the other containers (sandbox/priority.py)
        "pids_limit": limits.pids,
        "cap_drop": ["ALL"],
        "security_opt": ["no-new-privileges"],
        "init": True,
        "ulimits": [
            {"name": "fsize", "soft": limits.file_size_mb * 2**20, "hard": limits.file_size_mb * 2**20},
            {"name": "nofile", "soft": limits.open_files, "hard": limits.open_files},
            {"name": "core", "soft": 0, "hard": 0},
            {"name": "cpu", "soft": limits.cpu_seconds, "hard": limits.cpu_seconds},
        ],
        "log_config": {"type": "none", "config": {}},
        "stdin_open": False,
        "tty": False,
    }
    if gpu:
        if job.gpu_ids:
            wanted = {"driver": "", "count": 0, "device_ids": list(job.gpu_ids), "capabilities": [["gpu"]],
                      "options": {}}
        else:
            wanted = {"driver": "", "count": -1, "device_ids": [], "capabilities": [["gpu"]], "options": {}}
        options["device_requests"] = [wanted]
    return options


def gpu_wanted(job: Job, runtimes: dict | list) -> bool:
    """A GPU goes to the container when the job needs one and the engine can give it."""
    return job.needs_gpu and "nvidia" in runtimes


class DockerSandbox:
    """Runs jobs in containers of the grader image through a local Docker engine.

    Args:
        image: the grader image (build it with `build_grader_image`).
        client: a `docker.DockerClient` to use (default: `docker.from_env()` on first run).

    Example:
        >>> sandbox = DockerSandbox()
        >>> result = sandbox.run(Job(Path("job"), ("python3", "/job/suite.py")), on_line=print)
    """

    name = "docker"

    def __init__(self, image: str = GRADER_IMAGE, client: Any = None) -> None:
        self.image = image
        self._client = client
        self._runtimes: dict | None = None

    @property
    def client(self):
        if self._client is None:
            self._client = engine_client()
        return self._client

    def _check_image(self) -> None:
        docker = _sdk()
        try:
            self.client.images.get(self.image)
        except docker.errors.ImageNotFound:
            raise DlsysError(
                f"the grader image {self.image} is missing: build it with `dlsys grader-image` "
                "(docker/grader.Dockerfile)"
            ) from None

    def run(self, job: Job, on_line: Callable[[str], None] | None = None) -> JobResult:
        ready_job_dir(job)
        self._check_image()
        if self._runtimes is None:
            self._runtimes = self.client.info().get("Runtimes", {}) or {}
        options = container_options(job, self.image, gpu_wanted(job, self._runtimes))
        container = self.client.containers.create(**options)
        stop = threading.Event()
        try:
            return self._run(container, job, on_line, stop)
        finally:
            stop.set()
            try:
                container.remove(force=True)
            except Exception:  # already gone, or the engine went away: nothing to keep
                pass

    def _run(self, container, job: Job, on_line, stop: threading.Event) -> JobResult:
        limits = job.limits
        # Attach before start: the stream then holds everything the job writes.
        stream = self.client.api.attach(container.id, stdout=True, stderr=True, stream=True, demux=True)
        reader = _StreamReader(stream, stop)
        collector = OutputCollector(limits, on_line)
        killed = None
        # The clock starts before start(): the job runs as soon as the engine starts it, and on a
        # busy engine start() returns late, so timing from its return undercounts the job's time.
        start = time.monotonic()
        container.start()
        deadline = start + limits.wall_seconds
        returncode = None
        try:
            killed = reader.pump(collector, deadline)
            if killed is None:  # the output ended; the job may still be running
                returncode = _wait(container, max(0.1, deadline - time.monotonic()))
                killed = KillReason.TIME_LIMIT if returncode is None else None
        finally:
            if returncode is None:
                # The engine only finishes a kill once the job's output has been copied
                # out, so the reader keeps reading, and dropping, while it happens.
                reader.discard.set()
                _kill(container)
        seconds = time.monotonic() - start
        reader.join(_DRAIN_SECONDS)
        if returncode is None:
            returncode = _wait(container, _DRAIN_SECONDS)
        container.reload()
        if killed is None and returncode != 0 and container.attrs["State"].get("OOMKilled"):
            killed = KillReason.MEMORY_LIMIT
        stdout, stderr_tail = collector.finish()
        return JobResult(returncode, stdout, stderr_tail, seconds, killed)


_END = object()


class _StreamReader(threading.Thread):
    """Reads the attach stream's demultiplexed (stdout, stderr) frames into a bounded
    queue (when it is full the reader waits, and so does the job: memory stays bounded),
    then _END. Once `discard` is set it reads on but drops what it reads."""

    def __init__(self, stream, stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self._stream = stream
        self._halt = stop
        self.discard = threading.Event()
        self.chunks: queue.Queue = queue.Queue(maxsize=64)
        self.start()

    def run(self) -> None:
        try:
            for frame in self._stream:
                if not self._put(frame):
                    return
        except Exception as error:  # the connection dropped: the job's output ends here
            self._put(error)
        self._put(_END)

    def _put(self, item) -> bool:
        while not self._halt.is_set():
            if self.discard.is_set():  # nobody reads the queue any more
                return True
            try:
                self.chunks.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def pump(self, collector: OutputCollector, deadline: float) -> str | None:
        """Feed frames to the collector until the stream ends; why the job must die, if so."""
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return KillReason.TIME_LIMIT
            try:
                item = self.chunks.get(timeout=remaining)
            except queue.Empty:
                return KillReason.TIME_LIMIT
            if item is _END or isinstance(item, Exception):
                return None
            out, err = item
            if err:
                collector.err(err)
            if out and not collector.out(out):
                return KillReason.OUTPUT_LIMIT


def _wait(container, timeout: float) -> int | None:
    """The container's exit status, or None if it still runs after `timeout` seconds."""
    try:
        return container.wait(timeout=timeout)["StatusCode"]
    except Exception:  # requests' ReadTimeout / ConnectionError at the timeout
        return None


def _kill(container) -> None:
    try:
        container.kill()
    except Exception:  # it ended on its own meanwhile
        pass
