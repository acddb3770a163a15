"""Engines and sessions: one engine per database URL, SQLite made fit for several threads.

SQLite (the embedded default) gets WAL (readers do not wait for the writer), a busy timeout
(a writer waits for another instead of failing) and foreign keys. Both get a pool as
large as the server's request threads (40) times two: a request holds its own session while the
upload's transaction takes a second connection, and a pool smaller than that stalls a burst of
uploads until its 30 s timeout (see docs/scaling.md for PostgreSQL's max_connections).
"""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=70)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    # the same pool size as PostgreSQL's, for the same reason (a burst of uploads, two sessions each)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, pool_size=10,
                           max_overflow=70)

    @event.listens_for(engine, "connect")
    def _pragmas(connection, _record):
        cursor = connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")  # a 201 means the submission's row is on disk
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    return engine


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]):
    """A session whose work is committed at the end of the block, or rolled back on an error."""
    with factory() as session, session.begin():
        yield session
