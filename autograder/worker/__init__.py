"""Grading workers: the only callers of `autograder.grading` on the service's side.

    readiness.py   what a worker can grade now: a sandbox, and each homework's answers
    grade_run.py   one claimed run: the archive, `grading.grade`, the result stored under its token
    pool.py        in-process workers (threads) that claim runs from the database, for `dlsys serve`
    answers.py     publishing missing or stale reference answers in the background

The queue itself is the database's (server/services/queue.py): a worker needs only the
session factory, so the next issue's `dlsys worker` on other hosts runs the same job function.
"""
