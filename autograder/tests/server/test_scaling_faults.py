"""The service beyond one machine, on a real PostgreSQL with `dlsys worker` processes on loopback:
a worker killed mid-run, the server killed mid-burst of uploads, PostgreSQL restarted under
load, and a GPU run with no GPU worker (then taken by one, found on a fake device list).

The server runs with DLSYS_WORKERS=0: only the `dlsys worker` processes grade. Workers
heartbeat every second and are presumed dead after 8 s (live_service.FAST_HEARTBEAT)."""
from __future__ import annotations

import os
import signal
import threading
import time
import uuid

import httpx
import psycopg
import pytest

from autograder.server.services.dispatch import libpq_url
from autograder.server.services.workers import NO_GPU_WORKER
from conftest import (
    free_port,
    new_postgres_database,
    postgres_cluster,
    start_live_server,
    start_worker,
    student_files,
    tar_bytes,
)
from live_service import wait_for

HW0 = tar_bytes(student_files("hw0"))
SERVER = {"DLSYS_WORKERS": "0", "DLSYS_RATE_LIMIT_PER_MINUTE": "100000"}  # only the workers grade; tests poll often


def client(server, token: str) -> httpx.Client:
    return httpx.Client(base_url=f"{server.url}/api/v1", headers={"Authorization": f"Bearer {token}"}, timeout=30)


def submit(http: httpx.Client, archive: bytes, homework: str, key: str | None = None) -> httpx.Response:
    headers = {"Idempotency-Key": key} if key else {}
    return http.post("/submissions", data={"homework": homework}, headers=headers,
                     files={"archive": ("submission.tar.gz", archive, "application/gzip")})


def sql(database_url: str, query: str, *args) -> list[tuple]:
    with psycopg.connect(libpq_url(database_url), autocommit=True) as connection:
        return connection.execute(query, args).fetchall()


def final(http: httpx.Client, submission: int, timeout: float = 240) -> dict:
    return wait_for(lambda: (view := http.get(f"/submissions/{submission}").json())["state"] in
                    ("done", "grader error") and view, timeout, f"submission {submission} graded")


def stop_all(*processes) -> None:
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(30)
        except Exception:
            process.kill()


@pytest.fixture
def postgres_url(postgres_server):
    return new_postgres_database(postgres_server)


def test_a_worker_killed_mid_run_is_retried_on_another_and_graded_once_and_a_drained_one_leaves(tmp_path, postgres_url, service_answers):
    server = start_live_server(tmp_path / "server", postgres_url, service_answers, **SERVER)
    first = start_worker(tmp_path / "worker-a", postgres_url, service_answers)
    second = start_worker(tmp_path / "worker-b", postgres_url, service_answers)
    try:
        with client(server, server.student_token) as student, client(server, server.staff_token) as staff:
            submission = submit(student, HW0, "hw0").json()["submission"]
            running = wait_for(lambda: next(iter(sql(postgres_url, "SELECT worker FROM grading_runs WHERE status = "
                                                     "'running'")), None), 60, "the run taken by a worker")
            pid = sql(postgres_url, "SELECT pid FROM workers WHERE name = %s", running[0])[0][0]
            assert pid in (first.process.pid, second.process.pid)
            os.kill(pid, signal.SIGKILL)
            view = final(student, submission)
            assert view["state"] == "done" and view["score"] == view["max_score"] > 0, view
            runs = staff.get(f"/submissions/{submission}/runs").json()["runs"]
            assert [(r["attempt"], r["status"]) for r in runs] == [(1, "grader error"), (2, "done")], runs
            assert f"the worker {running[0]} stopped while this attempt ran" in runs[0]["error"]
            assert runs[1]["worker"] != running[0]  # graded by the worker that lived
            # the Procrastinate job of the killed attempt is closed, the retry's succeeded
            jobs = sql(postgres_url, "SELECT status FROM procrastinate_jobs WHERE task_name = 'dlsys.grade_run' "
                                     "ORDER BY id")
            assert [status for (status,) in jobs] == ["failed", "succeeded"], jobs
        survivor = second if pid == first.process.pid else first
        survivor.process.terminate()  # a drain: nothing running, so it leaves at once
        assert survivor.process.wait(30) == 0, survivor.said()[-2000:]
        assert "draining" in survivor.said()
        names = [name for (name,) in sql(postgres_url, "SELECT name FROM workers")]
        assert names == [running[0]], names  # the killed one's row stays, silent; the drained one left
    finally:
        stop_all(server.process, first.process, second.process)


def test_a_gpu_run_waits_for_a_gpu_worker_and_goes_only_to_one(tmp_path, postgres_url, service_answers):
    """hw3 has CUDA runs: its run goes to the `gpu` queue. The two CPU workers leave it; the
    student sees why it waits; a worker with a (fake) GPU takes it."""
    server = start_live_server(tmp_path / "server", postgres_url, service_answers, **SERVER)
    cpu_workers = [start_worker(tmp_path / f"cpu-{n}", postgres_url, service_answers) for n in range(2)]
    processes = [server.process] + [w.process for w in cpu_workers]
    try:
        with client(server, server.student_token) as student, client(server, server.staff_token) as staff:
            submission = submit(student, tar_bytes(student_files("hw3")), "hw3").json()["submission"]
            time.sleep(3)  # time enough for a CPU worker to take it, were it routed there
            view = student.get(f"/submissions/{submission}").json()
            assert view["state"] == "queued" and view["waiting"] == NO_GPU_WORKER, view
            assert sql(postgres_url, "SELECT queue_name, status FROM procrastinate_jobs WHERE task_name = "
                                     "'dlsys.grade_run'") == [("gpu", "todo")]
            workers = staff.get("/queue").json()["workers"]
            assert len(workers) == 2 and all(w["gpus"] == [] and w["queues"] == ["cpu"] for w in workers), workers

            gpu_worker = start_worker(tmp_path / "gpu", postgres_url, service_answers,
                                      DLSYS_FAKE_GPUS="0:Fake GPU:16")
            processes.append(gpu_worker.process)
            # it takes the request; lacking hw3's answers on that host, the run waits for them instead
            wait_for(lambda: "reference answers for hw3" in (student.get(f"/submissions/{submission}").json()
                                                             ["waiting"] or ""), 30, "the GPU worker took it")
            gpu_rows = [w for w in staff.get("/queue").json()["workers"] if w["gpus"]]
            assert [w["gpus"][0]["name"] for w in gpu_rows] == ["Fake GPU"] and gpu_rows[0]["queues"] == ["cpu", "gpu"]
            assert "Fake GPU" in gpu_worker.said()
    finally:
        stop_all(*processes)


def test_the_server_killed_mid_burst_loses_and_duplicates_nothing(tmp_path, postgres_url, service_answers):
    """Clients retry with their idempotency keys until answered, across a SIGKILL and a restart of
    the server: every upload is one submission with one run and one queue-engine request."""
    port = free_port()
    server = start_live_server(tmp_path / "server", postgres_url, service_answers, port=port, **SERVER)
    tokens = (server.staff_token, server.student_token)
    with client(server, server.staff_token) as staff:
        roster = "login,name\n" + "".join(f"s{n},Student {n}\n" for n in range(4))
        students = [row["token"] for row in staff.post("/roster", content=roster).json()["created"]]
    uploads = [(token, f"{token[-6:]}-{n}") for token in students for n in range(5)]  # 5 each: under the daily limit
    assert len(uploads) == 20, students
    answers: dict[str, int] = {}
    refused: list[str] = []
    lock = threading.Lock()

    def upload(token: str, key: str) -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                with httpx.Client(base_url=f"http://127.0.0.1:{port}/api/v1", timeout=10,
                                  headers={"Authorization": f"Bearer {token}"}) as http:
                    answer = submit(http, HW0, "hw0", key)
                if answer.status_code in (200, 201):
                    with lock:
                        answers[key] = answer.json()["submission"]
                    return
                refused.append(f"{answer.status_code} {answer.text[:200]}")
                return  # a refusal is an answer: the test fails below, naming it
            except httpx.HTTPError:  # the server is down: retry with the same key
                pass
            time.sleep(0.2)

    threads = [threading.Thread(target=upload, args=upload_) for upload_ in uploads]
    for thread in threads:
        thread.start()
    try:
        wait_for(lambda: len(answers) >= 3 or refused, 60, "a few uploads accepted")
        assert not refused, refused
    finally:
        os.kill(server.process.pid, signal.SIGKILL)
        server.process.wait()
    server = start_live_server(server.home, postgres_url, service_answers, port=port, tokens=tokens,
                               **SERVER)
    try:
        for thread in threads:
            thread.join(150)
        assert not refused, refused
        assert len(answers) == len(uploads), f"{len(uploads) - len(answers)} uploads never answered"
        assert len(set(answers.values())) == len(uploads)  # no two keys share a submission
        rows = sql(postgres_url, "SELECT s.idempotency_key, count(r.id) FROM submissions s JOIN grading_runs r "
                                 "ON r.submission_id = s.id GROUP BY s.idempotency_key")
        assert sorted(key for key, _ in rows) == sorted(key for _, key in uploads)  # none lost, none doubled
        assert all(count == 1 for _, count in rows), rows
        requests = sql(postgres_url, "SELECT (args->>'run_id')::int FROM procrastinate_jobs "
                                     "WHERE task_name = 'dlsys.grade_run'")
        runs = sql(postgres_url, "SELECT id FROM grading_runs")
        assert sorted(requests) == sorted(runs)  # each run has its one request, and no request lacks its run
    finally:
        stop_all(server.process)


def test_workers_reconnect_after_postgres_restarts_under_load(tmp_path, service_answers):
    with postgres_cluster() as cluster:
        url = new_postgres_database(cluster.url)
        server = start_live_server(tmp_path / "server", url, service_answers, **SERVER)
        workers = [start_worker(tmp_path / f"worker-{n}", url, service_answers) for n in range(2)]
        processes = [server.process] + [w.process for w in workers]
        try:
            with client(server, server.student_token) as student:
                before = [submit(student, HW0, "hw0", str(uuid.uuid4())).json()["submission"] for _ in range(2)]
                wait_for(lambda: sql(url, "SELECT count(*) FROM grading_runs WHERE status = 'running'")[0][0] > 0,
                         60, "grading under way")
                cluster.restart(down_seconds=3)
                after = None
                deadline = time.monotonic() + 60
                while after is None and time.monotonic() < deadline:  # the server's pool reconnects too
                    try:
                        answer = submit(student, HW0, "hw0", "after-restart")
                        after = answer.json()["submission"] if answer.status_code in (200, 201) else None
                    except httpx.HTTPError:
                        pass
                    time.sleep(0.5)
                assert after is not None, "the server took no upload after PostgreSQL came back"
                for submission in before + [after]:
                    view = final(student, submission, timeout=300)
                    assert view["state"] == "done" and view["score"] == view["max_score"] > 0, view
                assert sql(url, "SELECT count(*) FROM grading_runs WHERE status = 'done'")[0][0] == 3
            for worker in workers:
                assert worker.process.poll() is None, worker.said()[-2000:]
        finally:
            stop_all(*processes)
