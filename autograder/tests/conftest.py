"""Shared pytest fixtures."""

from __future__ import annotations

import os
import textwrap
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from live_service import live_server, module_live_server, service_answers  # noqa: F401 (fixtures of every test folder)
from sandbox_jobs import IS_ROOT, TOY_SUITE, make_job, marker, run_code  # noqa: F401 (the sandbox tests import these from here)


class FileServer:
    """A real HTTP server on 127.0.0.1 serving in-memory files, for download tests.

    It honours `Range: bytes=N-` like a real mirror unless `honour_range` is off,
    can hang up after `drop_after` bytes of a body, and counts what it sends so a
    test can prove that a resume fetched only the missing tail.
    """

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.honour_range = True
        self.drop_after: int | None = None
        self.requests: list[tuple[str, str | None]] = []  # (path, Range header)
        self.bytes_sent = 0
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.file_server = self
        # A short poll interval makes shutdown() quick: it waits for one poll.
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )

    def __enter__(self) -> FileServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()

    def serve(self, name: str, data: bytes) -> str:
        """Serve `data` at /name and return its URL."""
        self.files[f"/{name}"] = data
        return self.url(name)

    def url(self, name: str) -> str:
        host, port = self._httpd.server_address
        return f"http://{host}:{port}/{name}"


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        state: FileServer = self.server.file_server
        range_header = self.headers.get("Range")
        state.requests.append((self.path, range_header))
        body = state.files.get(self.path)
        if body is None:
            self.send_error(404)
            return

        start = 0
        if range_header and state.honour_range:
            start = int(range_header.removeprefix("bytes=").removesuffix("-"))
            if start >= len(body):
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(body)}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
        else:
            self.send_response(200)
        payload = body[start:]
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if state.drop_after is not None:
            payload = payload[: state.drop_after]
        # Counted before the write: once the client has the last byte it may return, and the test
        # read the count, before this thread would get past write().
        state.bytes_sent += len(payload)
        self.wfile.write(payload)

    def log_message(self, format: str, *args: object) -> None:
        """Keep test output quiet."""


@pytest.fixture(scope="session", autouse=True)
def no_user_config(tmp_path_factory):
    """No test reads or writes the dlsys config of whoever runs them (~/.config/dlsys/config.toml):
    the submit client and `dlsys login` look under $XDG_CONFIG_HOME, set here to an empty folder."""
    os.environ["XDG_CONFIG_HOME"] = str(tmp_path_factory.mktemp("xdg-config"))


@pytest.fixture
def file_server():
    """A `FileServer` running in a background thread for the test's duration."""
    with FileServer() as server:
        yield server


# ----------------------------------------------------------------------------- sandboxes
# Grading tests run in both sandboxes. Where one is unavailable its tests skip, unless
# DLSYS_REQUIRE_SANDBOXES=1 (CI sets it): then they fail, so CI cannot go green without them.

def _unavailable(reason: str):
    import os

    if os.environ.get("DLSYS_REQUIRE_SANDBOXES") == "1":
        pytest.fail(f"DLSYS_REQUIRE_SANDBOXES=1, but {reason}")
    pytest.skip(f"{reason} (DLSYS_REQUIRE_SANDBOXES=1 makes this a failure)")


@pytest.fixture(scope="session")
def local_sandbox():
    import shutil

    from autograder.sandbox import LocalSandbox

    if shutil.which("bwrap") is None:
        _unavailable("bubblewrap is not installed (apt install bubblewrap)")
    return LocalSandbox()


@pytest.fixture(scope="session")
def docker_sandbox():
    from autograder.grading.job_folder import handout_builds
    from autograder.sandbox import DockerSandbox, build_grader_image, docker_available

    if not docker_available():
        _unavailable("no Docker engine answers")
    build_grader_image(progress=lambda line: None, handouts=handout_builds())
    return DockerSandbox()


@pytest.fixture(params=["local", "docker"])
def sandbox(request):
    """Each sandbox in turn."""
    return request.getfixturevalue(f"{request.param}_sandbox")


@pytest.fixture(scope="session")
def published_answers(tmp_path_factory, local_sandbox):
    """Answers of every homework's real suite, published from the reference in the local sandbox."""
    from autograder.course.manifest import load_manifests
    from autograder.grading.publish import publish

    folder = tmp_path_factory.mktemp("answers")
    for manifest in load_manifests():
        publish(manifest, local_sandbox, answers_folder=folder)
    return folder


# ----------------------------------------------------------------------------- a toy suite
# TOY_SUITE lives in sandbox_jobs.py

@pytest.fixture
def toy_suites(tmp_path):
    folder = tmp_path / "suites" / "hw1"
    folder.mkdir(parents=True)
    (folder / "cases_toy.py").write_text(textwrap.dedent(TOY_SUITE))
    return tmp_path / "suites"
