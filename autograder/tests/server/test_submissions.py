"""Uploads: what is kept for an accepted one, every refusal with nothing stored (rows in every
table and files under the archives folder, counted before and after), idempotency keys.

These services accept but never grade (workers=0): no refusal needs grading.
"""
import hashlib
import io
import random
import tarfile
import threading
from datetime import datetime, timedelta, timezone

import anyio
import pytest

from conftest import reference_archive, student_files, tar_bytes

HW1 = student_files("hw1")
ZEROS = bytes(2 * 2**20)  # the largest member the core's rules allow
NOISE = random.Random(0).randbytes(300_000)  # bytes that do not compress


def assert_refused(api, send, status: int, *words: str):
    """`send()` is answered `status` with a sentence holding `words`, and nothing is stored."""
    before = api.stored()
    answer = send()
    assert answer.status_code == status, answer.text
    detail = answer.json()["detail"]
    for word in words:
        assert word in detail, detail
    assert api.stored() == before
    return answer


NOW = datetime(2026, 6, 1, 12, 0, tzinfo=timezone.utc)


@pytest.fixture
def quiet(make_api):
    """A service that accepts but never grades, at a fixed moment within hw1's time open."""
    api = make_api(workers=0)
    api.change("/assignments/hw1", opens_at=datetime(2026, 1, 1, tzinfo=timezone.utc),
               due_at=datetime(2026, 12, 31, tzinfo=timezone.utc))
    api.at(NOW)
    return api


def test_an_accepted_upload_is_kept_by_content_hash_with_its_submission_and_run(quiet, tmp_path):
    archive = reference_archive("hw1", tmp_path)
    before = quiet.rows()
    answer = quiet.submit(archive)
    assert answer.status_code == 201, answer.text
    view = answer.json()
    assert view["homework"] == "hw1" and view["state"] == "queued" and view["position"] == 0
    sha256 = hashlib.sha256(archive.read_bytes()).hexdigest()
    assert quiet.archives() == [f"{sha256[:2]}/{sha256}.tar.gz"]
    kept = quiet.service.settings.archives / sha256[:2] / f"{sha256}.tar.gz"
    assert kept.read_bytes() == archive.read_bytes()
    after = quiet.rows()
    assert after["submissions"] == before["submissions"] + 1 and after["grading_runs"] == before["grading_runs"] + 1
    runs = quiet.client.get(f"/api/v1/submissions/{view['submission']}/runs", headers=quiet.staff()).json()
    assert runs["archive_sha256"] == sha256 and runs["files"] == sorted(HW1)
    assert [(r["reason"], r["attempt"], r["status"]) for r in runs["runs"]] == [("submission", 1, "queued")]
    # the same archive again: a second submission, the one file
    assert quiet.submit(archive).status_code == 201
    assert quiet.archives() == [f"{sha256[:2]}/{sha256}.tar.gz"]
    assert quiet.client.get("/api/v1/submissions", headers=quiet.student()).json()[1]["position"] == 1


def member(name: str, kind: bytes = tarfile.REGTYPE, **fields) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    for field, value in fields.items():
        setattr(info, field, value)
    return info


def truncated() -> bytes:
    whole = tar_bytes(HW1 | {"padding.bin": bytes(range(256)) * 4000})
    return whole[: len(whole) // 2]


BAD_ARCHIVES = {
    "not an archive": (b"this is not a tar archive at all\n" * 10, ["submission.tar.gz is not a readable tar archive"]),
    "empty": (b"", ["submission.tar.gz"]),
    "truncated": (truncated(), ["submission.tar.gz"]),
    "absolute path": (tar_bytes([("/etc/cron.d/evil", b"x")]), ["'/etc/cron.d/evil'", "absolute path"]),
    "dot-dot": (tar_bytes([("python/../../../evil.py", b"x")]), ["'python/../../../evil.py'", ".."]),
    "symlink": (tar_bytes([(member("apps/simple_ml.py", tarfile.SYMTYPE, linkname="/etc/passwd"), None)]),
                ["'apps/simple_ml.py'", "link"]),
    "hardlink": (tar_bytes([(member("apps/simple_ml.py", tarfile.LNKTYPE, linkname="etc/passwd"), None)]),
                 ["'apps/simple_ml.py'", "link"]),
    "device": (tar_bytes([(member("dev/sda", tarfile.BLKTYPE, devmajor=8, devminor=0), None)]),
               ["'dev/sda'", "device"]),
    "character device": (tar_bytes([(member("zero", tarfile.CHRTYPE, devmajor=1, devminor=5), None)]),
                         ["'zero'", "device"]),
    "fifo": (tar_bytes([(member("pipe", tarfile.FIFOTYPE), None)]), ["'pipe'", "pipe"]),
    "too many members": (tar_bytes(HW1 | {f"extra/{i}.txt": b"" for i in range(1001)}), ["more than 1000 members"]),
    "too large a member": (tar_bytes(HW1 | {"apps/big.bin": ZEROS + b"0"}), ["'apps/big.bin'", "2097152"]),
    "a compressed bomb": (tar_bytes(HW1 | {f"bomb/{i}.bin": ZEROS for i in range(26)}), ["more than 52428800 bytes"]),
    "a student file twice": (tar_bytes(list(HW1.items()) + [("apps/simple_ml.py", b"again")]),
                             ["apps/simple_ml.py appears twice"]),
    "a missing student file": (tar_bytes({k: v for k, v in HW1.items() if k != "apps/simple_ml.py"}),
                               ["lacks student files: apps/simple_ml.py"]),
    "no student file": (tar_bytes({"README.md": b"hello"}), ["none of the student files", "apps/simple_ml.py"]),
}


@pytest.mark.parametrize("case", BAD_ARCHIVES)
def test_a_bad_archive_is_a_400_naming_the_member_with_nothing_stored(quiet, case):
    data, words = BAD_ARCHIVES[case]
    answer = assert_refused(quiet, lambda: quiet.submit(data), 400, *words)
    assert "/tmp" not in answer.json()["detail"]  # never the server's own paths


def test_the_bomb_is_small_on_the_wire():
    assert len(BAD_ARCHIVES["a compressed bomb"][0]) < 1_000_000  # under the upload limit: the unpacking rules stop it


def test_an_upload_over_the_size_limit_is_a_413_by_its_declared_length(make_api):
    api = make_api(workers=0, max_upload_bytes=100_000)  # hw1 is open: it was seeded now
    body = tar_bytes(HW1 | {"noise.bin": NOISE})
    assert len(body) > 200_000
    assert_refused(api, lambda: api.submit(body), 413, "100000 bytes")


def test_an_archive_just_over_the_limit_is_a_413(make_api):
    api = make_api(workers=0, max_upload_bytes=100_000)
    body = tar_bytes(HW1 | {"noise.bin": NOISE})[:100_001]
    assert_refused(api, lambda: api.submit(body), 413, "100000 bytes")


def multipart(homework: str, archive: bytes, boundary: str = "dlsys-test-boundary") -> tuple[bytes, str]:
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"homework\"\r\n\r\n{homework}\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"archive\"; filename=\"submission.tar.gz\"\r\n"
            f"Content-Type: application/gzip\r\n\r\n").encode() + archive + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def test_a_body_that_does_not_declare_its_length_is_a_413_once_over_the_limit(make_api):
    """Sent in chunks with no Content-Length: the server counts what arrives and stops reading."""
    api = make_api(workers=0, max_upload_bytes=100_000)
    body, content_type = multipart("hw1", bytes(3_000_000))
    sent = []

    def chunks():
        for start in range(0, len(body), 16_384):
            sent.append(start)
            yield body[start:start + 16_384]

    answer = assert_refused(api, lambda: api.client.post("/api/v1/submissions", content=chunks(),
                                                         headers=api.student(**{"Content-Type": content_type})),
                            413, "100000 bytes")
    assert "content-length" not in {k.lower() for k in answer.request.headers}
    # a small well-formed upload sent the same way is accepted
    small, content_type = multipart("hw1", tar_bytes(HW1))
    accepted = api.client.post("/api/v1/submissions", content=iter([small[:1000], small[1000:]]),
                               headers=api.student(**{"Content-Type": content_type}))
    assert accepted.status_code == 201, accepted.text


def test_the_server_stops_reading_a_body_once_it_is_over_the_limit(make_api):
    """At the ASGI level, where what the server reads can be counted: a 3 MB body in 16 kB
    chunks with no declared length is refused after about the limit, not read to its end."""
    api = make_api(workers=0, max_upload_bytes=100_000)
    body, content_type = multipart("hw1", bytes(3_000_000))
    chunks = [body[i:i + 16_384] for i in range(0, len(body), 16_384)]
    pulled, sent = [], []

    async def receive():
        if len(pulled) < len(chunks):
            pulled.append(len(chunks[len(pulled)]))
            return {"type": "http.request", "body": chunks[len(pulled) - 1], "more_body": len(pulled) < len(chunks)}
        await anyio.sleep(3600)

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": "/api/v1/submissions", "raw_path": b"/api/v1/submissions", "query_string": b"", "root_path": "",
             "headers": [(b"host", b"testserver"), (b"content-type", content_type.encode()),
                         (b"authorization", f"Bearer {api.student_token}".encode()),
                         (b"transfer-encoding", b"chunked")],
             "client": ("127.0.0.1", 50000), "server": ("testserver", 80), "app": api.client.app}
    before = api.stored()

    async def call():
        with anyio.fail_after(30):
            await api.client.app(scope, receive, send)

    anyio.run(call)
    assert sent[0]["status"] == 413
    assert sum(pulled) < 100_000 + 64 * 1024 + 16_384, f"read {sum(pulled)} of {len(body)} bytes"
    assert api.stored() == before


def test_an_unknown_homework_is_a_404_naming_the_assignments(quiet):
    assert_refused(quiet, lambda: quiet.submit(tar_bytes(HW1), homework="hw9"), 404, "'hw9'", "hw0, hw1")


def test_a_form_without_its_fields_is_a_400(quiet):
    assert_refused(quiet, lambda: quiet.client.post("/api/v1/submissions", headers=quiet.student(),
                                                    files={"archive": ("a.tar.gz", tar_bytes(HW1))}),
                   400, "homework")
    assert_refused(quiet, lambda: quiet.client.post("/api/v1/submissions", headers=quiet.student(),
                                                    data={"homework": "hw1"}), 400, "archive")
    assert_refused(quiet, lambda: quiet.client.post("/api/v1/submissions", headers=quiet.student(),
                                                    content=b"{}"), 400)


@pytest.mark.parametrize("key", ["", "k" * 201])
def test_a_bad_idempotency_key_is_a_400(quiet, key):
    assert_refused(quiet, lambda: quiet.submit(tar_bytes(HW1), key=key), 400, "Idempotency-Key")


def test_the_total_limit_is_a_403(quiet):
    quiet.change("/assignments/hw1", total_limit=2)
    for _ in range(2):
        assert quiet.submit(tar_bytes(HW1)).status_code == 201
    assert_refused(quiet, lambda: quiet.submit(tar_bytes(HW1)), 403, "no submissions left for hw1", "2 in all")
    other = quiet.add_student("other")
    assert quiet.submit(tar_bytes(HW1), headers=quiet.headers(other)).status_code == 201  # a limit per student


def test_the_daily_limit_is_a_429_saying_when_it_resets(quiet):
    quiet.change("/assignments/hw1", daily_limit=1)
    now = NOW.replace(hour=22, minute=30)  # the course counts days in UTC by default
    quiet.at(now)
    assert quiet.submit(tar_bytes(HW1)).status_code == 201
    answer = assert_refused(quiet, lambda: quiet.submit(tar_bytes(HW1)), 429,
                            "1 submissions of hw1 a day", "resets at 2026-06-02 00:00 UTC")
    assert answer.headers["Retry-After"] == "5400"
    me = quiet.client.get("/api/v1/me", headers=quiet.staff()).json()
    assert me["role"] == "staff"
    mine = quiet.client.get("/api/v1/me", headers=quiet.student()).json()
    assert next(a for a in mine["assignments"] if a["homework"] == "hw1")["submissions_left_today"] == 0
    quiet.at(now + timedelta(minutes=90))
    assert quiet.submit(tar_bytes(HW1)).status_code == 201


def test_the_same_idempotency_key_twice_is_one_submission(quiet):
    first = quiet.submit(tar_bytes(HW1), key="retry-1")
    assert first.status_code == 201
    rows, files = quiet.stored()
    again = quiet.submit(tar_bytes(HW1), key="retry-1")
    assert again.status_code == 200 and again.json()["submission"] == first.json()["submission"]
    assert quiet.stored() == (rows, files)
    # a key is the student's own: another student's upload with the same key is theirs
    other = quiet.add_student("other")
    theirs = quiet.submit(tar_bytes(HW1), key="retry-1", headers=quiet.headers(other))
    assert theirs.status_code == 201 and theirs.json()["submission"] != first.json()["submission"]


def test_a_key_used_for_another_upload_is_a_409(quiet):
    first = quiet.submit(tar_bytes(HW1), key="reused").json()["submission"]
    other_archive = tar_bytes(HW1 | {"apps/simple_ml.py": b"# changed\n"})
    assert_refused(quiet, lambda: quiet.submit(other_archive, key="reused"), 409, "'reused'", f"submission {first}")
    assert_refused(quiet, lambda: quiet.submit(tar_bytes(student_files("hw0")), homework="hw0", key="reused"),
                   409, "new key")


def test_a_retry_after_the_deadline_still_finds_its_submission(quiet):
    """The first upload made it; the client, never told, retries once the assignment closed."""
    first = quiet.submit(tar_bytes(HW1), key="late-retry")
    quiet.at(NOW + timedelta(days=365))
    again = quiet.submit(tar_bytes(HW1), key="late-retry")
    assert again.status_code == 200 and again.json()["submission"] == first.json()["submission"]


def test_concurrent_duplicates_are_one_submission(quiet):
    data, answers, start = tar_bytes(HW1), [], threading.Barrier(8)

    def send():
        start.wait()
        answers.append(quiet.submit(data, key="same-upload"))

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(a.status_code for a in answers) == [200] * 7 + [201], [a.text for a in answers]
    assert len({a.json()["submission"] for a in answers}) == 1
    rows = quiet.rows()
    assert rows["submissions"] == 1 and rows["grading_runs"] == 1
    assert len(quiet.archives()) == 1


def test_concurrent_different_uploads_are_all_kept_whole(quiet):
    """Several uploads of one archive at once each write the file they share safely."""
    data, answers, start = tar_bytes(HW1), [], threading.Barrier(6)

    def send():
        start.wait()
        answers.append(quiet.submit(data))

    threads = [threading.Thread(target=send) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert [a.status_code for a in answers] == [201] * 6, [a.text for a in answers]
    sha256 = hashlib.sha256(data).hexdigest()
    assert quiet.archives() == [f"{sha256[:2]}/{sha256}.tar.gz"]
    kept = quiet.service.settings.archives / sha256[:2] / f"{sha256}.tar.gz"
    assert hashlib.sha256(kept.read_bytes()).hexdigest() == sha256
    with tarfile.open(fileobj=io.BytesIO(kept.read_bytes())) as tar:
        assert sorted(tar.getnames()) == sorted(HW1)
