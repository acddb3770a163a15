"""Workers as the database knows them (services/workers.py), on SQLite and PostgreSQL: the staff's
view of workers and queue, the retry of runs whose worker went silent, the reason a GPU run
waits, and a student's estimated start."""
from datetime import timedelta

from sqlalchemy import update

from autograder.server.db.models import GradingRun, Worker
from autograder.server.services import queue, workers
from conftest import reference_archive, student_files, tar_bytes

FAKE_GPU = [{"index": 0, "name": "Fake GPU", "total_bytes": 2**34, "free_bytes": 2**34}]


def register(api, name: str, gpus=(), queues=("cpu",)):
    workers.register(api.service.factory, name=name, host="gpu-host" if gpus else "cpu-host", pid=1,
                     queues=list(queues), gpus=list(gpus), concurrency=1, answers={"hw0": "abc"})


def test_the_staff_view_shows_each_worker_its_runs_and_the_queue(make_api, tmp_path):
    api = make_api(workers=0)
    register(api, "cpu-host:1:a")
    register(api, "gpu-host:1:b", gpus=FAKE_GPU, queues=("cpu", "gpu"))
    submission = api.submit(reference_archive("hw0", tmp_path), "hw0").json()["submission"]
    claimed = queue.claim_run(api.service.factory, submission, "gpu-host:1:b")
    assert claimed is not None and claimed[1:] == ("hw0", "cpu")
    api.submit(reference_archive("hw1", tmp_path), "hw1")
    view = api.client.get("/api/v1/queue", headers=api.staff()).json()
    by_name = {w["name"]: w for w in view["workers"]}
    assert by_name["gpu-host:1:b"]["gpus"][0]["name"] == "Fake GPU"
    assert by_name["gpu-host:1:b"]["current_runs"] == [{"run": 1, "submission": submission}]
    assert by_name["cpu-host:1:a"]["current_runs"] == [] and by_name["cpu-host:1:a"]["alive"]
    assert view["queue_length"] == 1 and view["queued_by_capability"] == {"cpu": 1}
    assert view["oldest_queued_seconds"] >= 0


def test_a_run_of_a_silent_worker_is_retried_and_its_late_result_refused(make_api, tmp_path):
    api = make_api(workers=0)
    factory = api.service.factory
    register(api, "alive:1:a")
    register(api, "silent:1:b")
    first = api.submit(reference_archive("hw0", tmp_path), "hw0").json()["submission"]
    second = api.submit(tar_bytes(student_files("hw1")), "hw1").json()["submission"]
    token_silent = queue.claim_run(factory, first, "silent:1:b")[0]
    queue.claim_run(factory, second, "alive:1:a")
    with factory() as session, session.begin():  # its heartbeat stopped a minute ago
        session.execute(update(Worker).where(Worker.name == "silent:1:b")
                        .values(heartbeat_at=queue.now() - timedelta(minutes=1)))
    assert workers.retry_stalled(factory, max_attempts=3, stale_seconds=30) == 1
    with factory() as session:
        runs = session.query(GradingRun).order_by(GradingRun.id).all()
        assert [(r.submission_id, r.attempt, r.status) for r in runs] == [
            (first, 1, "grader error"), (second, 1, "running"), (first, 2, "queued")]
        assert "the worker silent:1:b stopped while this attempt ran (its heartbeat stopped)" in runs[0].error
    assert not queue.finish(factory, token_silent, result={}, score=1, max_score=1, sandbox="local",
                            build_log_tail=None, seconds=1)  # it comes back late: refused


def test_a_gpu_run_says_it_waits_for_a_gpu_worker_until_one_is_alive(make_api, tmp_path):
    api = make_api(workers=0)
    submission = api.submit(tar_bytes(student_files("hw3")), "hw3").json()["submission"]
    view = api.client.get(f"/api/v1/submissions/{submission}", headers=api.student()).json()
    with api.service.factory() as session:
        run = session.get(GradingRun, 1)
        assert run.capability == "gpu"
        on_postgres = session.get_bind().dialect.name == "postgresql"
    if on_postgres:  # the queue engine routes it to GPU workers only
        assert view["waiting"] == workers.NO_GPU_WORKER
        register(api, "cpu-host:1:a")
        with api.service.factory() as session:
            assert workers.gpu_waiting_reason(session, session.get(GradingRun, 1), 30) == workers.NO_GPU_WORKER
        register(api, "gpu-host:1:b", gpus=FAKE_GPU, queues=("cpu", "gpu"))
        view = api.client.get(f"/api/v1/submissions/{submission}", headers=api.student()).json()
    assert view["state"] == "queued" and view["waiting"] is None  # SQLite's in-process workers take it


def test_a_gpu_worker_counts_as_gone_after_the_settings_stale_time_not_a_fixed_one(make_api):
    api = make_api(workers=0, worker_stale_seconds=10)
    submission = api.submit(tar_bytes(student_files("hw3")), "hw3").json()["submission"]
    register(api, "gpu-host:1:b", gpus=FAKE_GPU, queues=("cpu", "gpu"))

    def waiting_after_silence(seconds: float):
        with api.service.factory() as session, session.begin():
            session.execute(update(Worker).where(Worker.name == "gpu-host:1:b")
                            .values(heartbeat_at=queue.now() - timedelta(seconds=seconds)))
            on_postgres = session.get_bind().dialect.name == "postgresql"
        view = api.client.get(f"/api/v1/submissions/{submission}", headers=api.student()).json()
        return view["waiting"], on_postgres

    waiting, on_postgres = waiting_after_silence(20)  # past the setting's 10 s, within the old fixed 30 s
    assert waiting == (workers.NO_GPU_WORKER if on_postgres else None)  # SQLite's in-process workers take it
    assert waiting_after_silence(5)[0] is None


def test_the_estimated_start_follows_the_recent_throughput(make_api, tmp_path):
    api = make_api(workers=0)
    factory = api.service.factory
    ids = [api.submit(reference_archive("hw0", tmp_path), "hw0", key=str(n)).json()["submission"] for n in range(3)]
    assert api.client.get(f"/api/v1/submissions/{ids[2]}", headers=api.student()).json()["estimated_start"] is None
    token = queue.claim_run(factory, ids[0], "w")[0]
    assert queue.finish(factory, token, result={}, score=1, max_score=1, sandbox="local", build_log_tail=None,
                        seconds=1)
    view = api.client.get(f"/api/v1/submissions/{ids[2]}", headers=api.student()).json()
    assert view["position"] == 1 and view["estimated_start"] is not None  # 1 ahead at 1 per 15 minutes: ~15 min
    with factory() as session:
        start = workers.estimated_start(session, 1)
        assert timedelta(minutes=14) < start - queue.now() <= timedelta(minutes=15)
