"""Every bad upload against a live `dlsys serve` over real HTTP on loopback: its 4xx, and nothing
stored (rows in every table, read from the database itself, and files under the archives
folder, before and after). The in-process tests (test_submissions.py) say why each is refused;
these say uvicorn and the app refuse them the same way on the wire, large bodies included."""
import socket

import httpx
import pytest
from sqlalchemy import create_engine, func, select
from test_submissions import BAD_ARCHIVES, NOISE, multipart

from autograder.server.db import models
from conftest import start_live_server, student_files, tar_bytes

HW1 = student_files("hw1")
LIMIT = 200_000


@pytest.fixture
def server(tmp_path, database_url, service_answers):
    live = start_live_server(tmp_path / "home", database_url, service_answers, DLSYS_WORKERS="0",
                             DLSYS_MAX_UPLOAD_BYTES=str(LIMIT), DLSYS_RATE_LIMIT_PER_MINUTE="100000")
    engine = create_engine(database_url)
    yield live, engine
    engine.dispose()
    live.stop()


def stored(live, engine) -> tuple[dict, list]:
    with engine.connect() as connection:
        rows = {table.__tablename__: connection.scalar(select(func.count()).select_from(table))
                for table in (models.Course, models.User, models.Assignment, models.Extension, models.Submission,
                              models.GradingRun)}
    archives = live.home / "archives"
    return rows, sorted(str(p) for p in archives.rglob("*")) if archives.exists() else []


def post(live, archive: bytes, homework: str = "hw1", **headers) -> httpx.Response:
    return httpx.post(f"{live.url}/api/v1/submissions", data={"homework": homework}, timeout=60,
                      headers={"Authorization": f"Bearer {live.student_token}"} | headers,
                      files={"archive": ("submission.tar.gz", archive, "application/gzip")})


def raw_post(live, head: bytes, body_chunks) -> tuple[int, bytes]:
    """Send a request by hand (the body in chunks, as they come) and read the status line,
    tolerating a server that answers and closes before the body is all sent."""
    host, port = live.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as connection:
        connection.sendall(head)
        try:
            for chunk in body_chunks:
                connection.sendall(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass
        answer = b""
        while b"\r\n\r\n" not in answer:
            data = connection.recv(65536)
            if not data:
                break
            answer += data
    return int(answer.split(b" ", 2)[1]), answer


def test_every_bad_upload_is_refused_on_the_wire_with_nothing_stored(server):
    live, engine = server
    before = stored(live, engine)
    assert before[0]["submissions"] == 0
    for case, (data, words) in BAD_ARCHIVES.items():
        answer = post(live, data)
        assert answer.status_code == 400, (case, answer.text)
        assert all(word in answer.json()["detail"] for word in words), (case, answer.json())
    assert post(live, tar_bytes(HW1), homework="hw9").status_code == 404
    assert post(live, tar_bytes(HW1), **{"Idempotency-Key": "k" * 201}).status_code == 400
    assert post(live, tar_bytes(HW1), Authorization="Bearer nope").status_code == 401
    assert post(live, tar_bytes(HW1 | {"noise.bin": NOISE})).status_code == 413  # declared length over the limit
    assert stored(live, engine) == before

    # 3 MB declared: refused before it is read
    body, content_type = multipart("hw1", bytes(3_000_000))
    head = (f"POST /api/v1/submissions HTTP/1.1\r\nHost: {live.url[7:]}\r\nAuthorization: Bearer {live.student_token}"
            f"\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n\r\n").encode()
    status, _ = raw_post(live, head, [body[i:i + 65536] for i in range(0, len(body), 65536)])
    assert status == 413
    # 3 MB chunked, no length declared: refused once over the limit
    head = (f"POST /api/v1/submissions HTTP/1.1\r\nHost: {live.url[7:]}\r\nAuthorization: Bearer {live.student_token}"
            f"\r\nContent-Type: {content_type}\r\nTransfer-Encoding: chunked\r\n\r\n").encode()
    chunks = [f"{len(body[i:i + 65536]):x}\r\n".encode() + body[i:i + 65536] + b"\r\n"
              for i in range(0, len(body), 65536)] + [b"0\r\n\r\n"]
    status, _ = raw_post(live, head, chunks)
    assert status == 413
    assert stored(live, engine) == before

    accepted = post(live, tar_bytes(HW1))  # and the server still takes a good one
    assert accepted.status_code == 201, accepted.text
    rows, files = stored(live, engine)
    assert rows["submissions"] == 1 and rows["grading_runs"] == 1 and len(files) == 2  # the folder and the file
