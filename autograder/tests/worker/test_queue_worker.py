"""The queue engine's worker (worker/queue_worker.py) on a PostgreSQL of its own: its hourly
maintenance task deletes the finished jobs older than the setting, and only those."""
import asyncio

import psycopg
import pytest

from autograder.server.db.migrate import upgrade
from autograder.server.services.dispatch import GRADE_TASK, MAINTENANCE, PRUNE_JOBS_TASK, libpq_url
from autograder.server.settings import Settings
from autograder.worker.queue_worker import QueueWorker
from live_service import new_postgres_database, postgres_cluster


@pytest.fixture(scope="module")
def postgres_url():
    with postgres_cluster() as cluster:
        yield new_postgres_database(cluster.url)


def jobs(url: str) -> dict[int, str]:
    with psycopg.connect(libpq_url(url), autocommit=True) as connection:
        return dict(connection.execute("SELECT id, status::text FROM procrastinate_jobs "
                                       "WHERE task_name = %s", (GRADE_TASK,)).fetchall())


def test_the_maintenance_task_deletes_finished_jobs_older_than_the_setting(postgres_url, local_sandbox, tmp_path):
    upgrade(postgres_url)
    settings = Settings(home=tmp_path, database_url=postgres_url, finished_jobs_keep_hours=1)
    worker = QueueWorker(settings, sandbox=local_sandbox, gpus=(), queues=["cpu"], concurrency=1,
                         say=lambda line: None)

    async def scenario() -> dict[str, int]:
        async with worker.app.open_async():
            grade = worker.app.configure_task(GRADE_TASK, queue="cpu")
            made = {name: await grade.defer_async(run_id=n) for n, name in
                    enumerate(("old succeeded", "old failed", "new succeeded", "old queued"))}
            with psycopg.connect(libpq_url(postgres_url), autocommit=True) as connection:
                for name, status in (("old succeeded", "succeeded"), ("old failed", "failed"),
                                     ("new succeeded", "succeeded")):
                    connection.execute("UPDATE procrastinate_jobs SET status = %s WHERE id = %s",
                                       (status, made[name]))
                for name in ("old succeeded", "old failed", "old queued"):  # two hours ago
                    connection.execute("UPDATE procrastinate_events SET at = at - interval '2 hours' "
                                       "WHERE job_id = %s", (made[name],))
            # the task as the hourly schedule defers it, run by the worker's own maintenance queue
            await worker.app.configure_task(PRUNE_JOBS_TASK).defer_async(timestamp=0)
            await worker.app.run_worker_async(queues=[MAINTENANCE], wait=False, install_signal_handlers=False)
        return made

    made = asyncio.run(scenario())
    assert jobs(postgres_url) == {made["new succeeded"]: "succeeded", made["old queued"]: "todo"}
    worker.engine.dispose()
