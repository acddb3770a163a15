"""DockerSandbox: runs a job in a throw-away container of the grader image.

The production sandbox. Each job gets a fresh container of `dlsys-grader:latest` (built
from docker/grader.Dockerfile by `build_grader_image`) with:

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

import collections
import importlib.metadata
import os
import platform
import queue
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Callable

from autograder.errors import DlsysError
from autograder.sandbox.job import JOB_DIR, WORK_DIR, Job, JobResult, OutputCollector, checked_job_dir, job_env

GRADER_IMAGE = "dlsys-grader:latest"
BASE_IMAGE = "local/debian:bookworm"
DOCKER_DIR = Path(__file__).resolve().parents[2] / "docker"
SANDBOX_USER = "65534:65534"
_DRAIN_SECONDS = 10.0  # how long to wait for the output stream to end after a kill


def _sdk():
    try:
        import docker
    except ImportError as error:
        raise DlsysError("the Docker sandbox needs the Docker SDK: pip install 'docker>=7'") from error
    return docker


def _client(timeout: float = 60.0):
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

    `gpu`: give the container every GPU (only when the job needs one and the engine has
    the NVIDIA runtime: `gpu_wanted`). Plain dicts stand for the SDK's Ulimit, LogConfig and
    DeviceRequest types, which the SDK accepts as such.
    """
    limits = job.limits
    tmpfs = f"rw,exec,nosuid,nodev,size={limits.scratch_mb}m,mode=1777"
    cpu_seconds = int(limits.wall_seconds * max(1.0, limits.cpus)) + 2
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
        "pids_limit": limits.pids,
        "cap_drop": ["ALL"],
        "security_opt": ["no-new-privileges"],
        "init": True,
        "ulimits": [
            {"name": "fsize", "soft": limits.file_size_mb * 2**20, "hard": limits.file_size_mb * 2**20},
            {"name": "nofile", "soft": limits.open_files, "hard": limits.open_files},
            {"name": "core", "soft": 0, "hard": 0},
            {"name": "cpu", "soft": cpu_seconds, "hard": cpu_seconds},
        ],
        "log_config": {"type": "none", "config": {}},
        "stdin_open": False,
        "tty": False,
    }
    if gpu:
        every_gpu = {"driver": "", "count": -1, "device_ids": [], "capabilities": [["gpu"]], "options": {}}
        options["device_requests"] = [every_gpu]
    return options


def gpu_wanted(job: Job, runtimes: dict | list) -> bool:
    """A GPU goes to the container when the job needs one and the engine can give it."""
    return job.needs_gpu and "nvidia" in runtimes


def make_world_readable(folder: Path) -> None:
    """Let uid 65534 read the job folder: o+r on files, o+rx on folders (and on files
    their owner may execute)."""
    paths = [folder]
    for root, dirs, files in os.walk(folder):  # does not descend into linked folders
        paths += [Path(root, name) for name in dirs + files]
    for path in paths:
        mode = path.lstat().st_mode
        if stat.S_ISLNK(mode):
            continue
        wanted = mode | stat.S_IROTH | stat.S_IRGRP
        if stat.S_ISDIR(mode) or mode & stat.S_IXUSR:
            wanted |= stat.S_IXOTH | stat.S_IXGRP
        if wanted != mode:
            os.chmod(path, stat.S_IMODE(wanted))


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
            self._client = _client()
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
        job_dir = checked_job_dir(job)
        self._check_image()
        make_world_readable(job_dir)
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
                killed = "time limit" if returncode is None else None
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
            killed = "memory limit"
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
                return "time limit"
            try:
                item = self.chunks.get(timeout=remaining)
            except queue.Empty:
                return "time limit"
            if item is _END or isinstance(item, Exception):
                return None
            out, err = item
            if err:
                collector.err(err)
            if out and not collector.out(out):
                return "output limit"


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


PYTHON_VERSION = "3.11"  # python3 of BASE_IMAGE (Debian bookworm)
WHEEL_CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "dlsys" / "wheels"
# The wheel platforms asked for: manylinux_2_28 down to manylinux2014 (glibc 2.17), i.e.
# wheels that run on any base with glibc >= 2.28 (Debian 10+, Ubuntu 20.04+).
_MANYLINUX = tuple(f"manylinux_2_{minor}" for minor in range(28, 16, -1)) + ("manylinux2014",)


def _host_version(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def _pip_download(requirements: list[str], python_version: str, dest: Path) -> tuple[int, str]:
    """Run the host's pip download of binary wheels for the image's platform and Python;
    (exit status, output)."""
    arch = {"amd64": "x86_64", "arm64": "aarch64"}.get(platform.machine().lower(), platform.machine().lower())
    command = [sys.executable, "-m", "pip", "download", "--only-binary=:all:", "--python-version", python_version,
               "--implementation", "cp", "--dest", str(dest), "--no-input", "--disable-pip-version-check"]
    for tag in _MANYLINUX:
        command += ["--platform", f"{tag}_{arch}"]
    done = subprocess.run(command + requirements, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True)
    return done.returncode, done.stdout


def grader_wheels(
    python_version: str = PYTHON_VERSION,
    cache: Path | None = None,
    progress: Callable[[str], None] | None = None,
    download: Callable[[list[str], str, Path], tuple[int, str]] | None = None,
) -> list[Path]:
    """The wheels the grader image installs, for CPython `python_version`: pip, and numpy and
    pybind11 at the versions installed on this (the grader) host.

    They are downloaded once by the host's pip into `cache`/`python_version` (default
    ~/.cache/dlsys/wheels/PY) and found there afterwards: a manifest per (numpy, pybind11)
    pair names the files. When numpy at the host's version has no wheel for that Python
    (numpy 2.3+ needs Python 3.11+), the newest numpy of the same major version is taken
    instead (the promotion rules, NEP 50 since 2.0, are the same), and `progress` says so.
    `download(requirements, python_version, dest)` -> (status, output) fetches them
    (default: the host's `pip download`, `_pip_download`).
    """
    show = progress or (lambda line: None)
    download = download or _pip_download
    if not re.fullmatch(r"3\.\d+", python_version):
        raise DlsysError(f"python_version must read like 3.11, not {python_version!r}")
    numpy_version = _host_version("numpy")
    if numpy_version is None:
        raise DlsysError("numpy is not installed on this host: the grader image installs the host's numpy version")
    pybind11_version = _host_version("pybind11")
    folder = (cache or WHEEL_CACHE) / python_version
    manifest = folder / f"numpy-{numpy_version}_pybind11-{pybind11_version or 'any'}.txt"
    if manifest.is_file():
        wheels = [folder / name for name in manifest.read_text().split()]
        if wheels and all(wheel.is_file() for wheel in wheels):
            return wheels
    folder.mkdir(parents=True, exist_ok=True)
    pybind11 = f"pybind11=={pybind11_version}" if pybind11_version else "pybind11"
    if pybind11_version is None:
        show("pybind11 is not installed on this host: the grader image gets the newest pybind11")
    with tempfile.TemporaryDirectory(prefix="download-", dir=folder) as scratch:
        show(f"downloading wheels for Python {python_version}: pip, numpy=={numpy_version}, {pybind11}")
        status, output = download(["pip", f"numpy=={numpy_version}", pybind11], python_version, Path(scratch))
        if status != 0 and "matching distribution found for numpy" in output:
            major = int(numpy_version.split(".")[0])
            show(f"numpy {numpy_version} has no wheel for Python {python_version}; "
                 f"taking the newest numpy {major}.x instead")
            status, output = download(["pip", f"numpy>={major},<{major + 1}", pybind11], python_version, Path(scratch))
        if status != 0:
            tail = "\n".join(output.strip().splitlines()[-8:])
            raise DlsysError(f"pip download of the grader image's wheels for Python {python_version} failed:\n{tail}")
        names = sorted(path.name for path in Path(scratch).glob("*.whl"))
        for name in ("pip-", "numpy-", "pybind11-"):
            if not any(n.startswith(name) for n in names):
                raise DlsysError(f"pip download gave no {name[:-1]} wheel for Python {python_version}")
        for name in names:
            os.replace(Path(scratch, name), folder / name)
    partial = manifest.with_name(f"{manifest.name}.{os.getpid()}.tmp")
    partial.write_text("".join(f"{name}\n" for name in names))
    os.replace(partial, manifest)
    return [folder / name for name in names]


def prepare_build_context(
    context: Path,
    python_version: str = PYTHON_VERSION,
    cache: Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> Path:
    """Fill the empty or new folder `context` with the grader image's build context: a copy of
    docker/ and wheels/ (see `grader_wheels`). The files are byte-identical from one call to
    the next while nothing changed (same content and mode; docker's cache ignores mtimes),
    so a rebuild reuses every layer."""
    context = Path(context)
    shutil.copytree(DOCKER_DIR, context, ignore=shutil.ignore_patterns("wheels", "__pycache__"), dirs_exist_ok=True)
    wheels = context / "wheels"
    wheels.mkdir()
    for wheel in grader_wheels(python_version, cache, progress):
        shutil.copyfile(wheel, wheels / wheel.name)
    for path in [context, *context.rglob("*")]:
        os.chmod(path, 0o755 if path.is_dir() else 0o644)
    return context


def build_grader_image(
    base: str = BASE_IMAGE,
    tag: str = GRADER_IMAGE,
    progress: Callable[[str], None] | None = None,
    python_version: str = PYTHON_VERSION,
    wheel_cache: Path | None = None,
) -> str:
    """Build docker/grader.Dockerfile on `base` as `tag`; returns the image id.

    The build context is a temporary folder holding a copy of docker/ and the wheels of pip,
    numpy and pybind11 at this host's versions (`prepare_build_context`): nothing of the
    repository's code (and so no reference solution) can enter the image, and the image
    runs the numpy the reference runs with. `python_version` is the python3 of `base` as
    MAJOR.MINOR: "3.11" for Debian bookworm (the default base), "3.12" for an ubuntu24.04
    CUDA base, "3.10" for ubuntu22.04 (which gets numpy 2.2.x: numpy 2.3+ has no wheels
    for Python 3.10); the build fails with a clear message when it does not match.
    Wheels are cached in `wheel_cache` (default ~/.cache/dlsys/wheels). Progress lines go
    to `progress` (default: stderr). The wheel cache and Docker's layer cache make a
    rebuild a fast no-op.
    """
    show = progress or (lambda line: print(line, file=sys.stderr, flush=True))
    client = _client(timeout=600)
    image_id = None
    recent: collections.deque[str] = collections.deque(maxlen=6)  # the build's last lines, for an error
    try:
        with tempfile.TemporaryDirectory(prefix="dlsys-grader-context-") as context:
            prepare_build_context(Path(context), python_version, wheel_cache, show)
            for chunk in client.api.build(
                path=context,
                dockerfile="grader.Dockerfile",
                tag=tag,
                buildargs={"BASE": base, "PYTHON_VERSION": python_version},
                rm=True,
                forcerm=True,
                pull=False,
                decode=True,
            ):
                if "error" in chunk:
                    said = "".join(f"\n  {line}" for line in recent)
                    error = chunk["error"].strip()
                    raise DlsysError(f"building {tag} from docker/grader.Dockerfile failed: {error}{said}")
                if "stream" in chunk:
                    for line in chunk["stream"].splitlines():
                        if line.strip():
                            show(line)
                        if plain := re.sub(r"\x1b\[[0-9;]*m", "", line).strip():  # no colour codes
                            recent.append(plain)
                if "aux" in chunk and "ID" in chunk["aux"]:
                    image_id = chunk["aux"]["ID"]
        return image_id or client.images.get(tag).id
    finally:
        client.close()
