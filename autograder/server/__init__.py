"""The grading service: `dlsys serve`.

    settings.py   the one Settings object, from the environment (DLSYS_*)
    app.py        the FastAPI app factory; starting it upgrades the database, seeds an empty
                  course and starts the in-process workers
    api/          thin routes under /api/v1: parse, call a service, shape the answer
    services/     the logic (accounts, submissions, deadlines, results, exports), no FastAPI
    db/           SQLAlchemy models, the session, Alembic migrations

Only `autograder.worker` calls grading; the services hand it work through the database.
"""
