"""The database queue (services/queue.py) as the in-process workers use it, on SQLite and
PostgreSQL: one student's runs grade one at a time, whoever else waits."""
from autograder.server.db.models import GradingRun
from autograder.server.services import queue
from conftest import student_files, tar_bytes

HW0 = tar_bytes(student_files("hw0"))


def anything(_homework: str) -> None:
    return None


def run_of(api, submission: int) -> int:
    with api.service.factory() as session:
        return session.query(GradingRun.id).filter(GradingRun.submission_id == submission).scalar()


def test_a_student_with_a_running_run_waits_while_another_students_run_is_taken(make_api):
    api = make_api(workers=0)
    factory = api.service.factory
    first = api.submit(HW0, "hw0", key="a1").json()["submission"]
    second = api.submit(HW0, "hw0", key="a2").json()["submission"]
    other = api.submit(HW0, "hw0", headers=api.headers(api.add_student("bea"))).json()["submission"]
    run, token = queue.claim(factory, "worker-1", anything)
    assert run == run_of(api, first)
    assert queue.claim(factory, "worker-2", anything)[0] == run_of(api, other)  # not the student's second
    assert queue.claim(factory, "worker-3", anything) is None
    assert queue.finish(factory, token, result={}, score=1, max_score=1, sandbox="local", build_log_tail=None,
                        seconds=1)
    assert queue.claim(factory, "worker-3", anything)[0] == run_of(api, second)


def test_the_student_check_is_part_of_the_compare_and_set(make_api):
    """Another worker starts one of the student's runs between this claim's read and its update:
    the update takes nothing (without the check in the update, both runs would be running)."""
    api = make_api(workers=0)
    factory = api.service.factory
    first = api.submit(HW0, "hw0", key="a1").json()["submission"]
    second = api.submit(HW0, "hw0", key="a2").json()["submission"]

    def meanwhile_another_worker_claims(_homework: str) -> None:
        if not meanwhile_another_worker_claims.done:
            meanwhile_another_worker_claims.done = True
            assert queue.claim_run(factory, run_of(api, second), "worker-2") is not None
        return None

    meanwhile_another_worker_claims.done = False
    assert queue.claim(factory, "worker-1", meanwhile_another_worker_claims) is None
    with factory() as session:
        statuses = dict(session.query(GradingRun.submission_id, GradingRun.status).all())
    assert statuses == {first: "queued", second: "running"}
