"""Shared pytest fixtures."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


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
        self.wfile.write(payload)
        state.bytes_sent += len(payload)

    def log_message(self, format: str, *args: object) -> None:
        """Keep test output quiet."""


@pytest.fixture
def file_server():
    """A `FileServer` running in a background thread for the test's duration."""
    with FileServer() as server:
        yield server


def write_mnist_pair(folder, prefix, count, seed=0):
    """A gzipped idx image/label pair named like MNIST's (`prefix` is 'train' or 't10k')."""
    import gzip
    import struct

    import numpy as np

    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    with gzip.open(folder / f"{prefix}-images-idx3-ubyte.gz", "wb") as f:
        f.write(struct.pack(">4I", 2051, count, 28, 28) + rng.integers(0, 256, count * 784, dtype=np.uint8).tobytes())
    with gzip.open(folder / f"{prefix}-labels-idx1-ubyte.gz", "wb") as f:
        f.write(struct.pack(">2I", 2049, count) + rng.integers(0, 10, count, dtype=np.uint8).tobytes())
