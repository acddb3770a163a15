"""Grading workers: the only callers of `autograder.grading` on the service's side.

    readiness.py   what a worker can grade now: a sandbox, and each homework's answers
    grade_run.py   one claimed run: the archive, `grading.grade`, the result stored under its token
    pool.py        in-process workers (threads) that claim runs from the database: `dlsys serve` on SQLite
    queue_worker.py  a Procrastinate worker (`dlsys worker`, or `dlsys serve` on PostgreSQL): requests
                   of its queues, a heartbeat, the periodic retry of silent workers' runs
    gpu_slots.py   one job per GPU, pinned to its device
    answers.py     publishing missing or stale reference answers in the background

The queue's truth is the database's (server/services/queue.py); both kinds of worker call the
same job function, grade_run.grade_claimed.
"""
