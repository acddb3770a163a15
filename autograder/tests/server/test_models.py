"""The models' own promise: times go in aware (in any zone) and come out as the same moment in
UTC, on SQLite (which keeps no zone) as on PostgreSQL; a naive time is refused."""
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.exc import StatementError

from autograder.server.db.migrate import upgrade
from autograder.server.db.models import STUDENT, User
from autograder.server.db.session import make_engine, session_factory, transaction


def test_times_come_back_as_the_same_moment_in_utc(database_url):
    upgrade(database_url)
    engine = make_engine(database_url)
    factory = session_factory(engine)
    moment = datetime(2026, 3, 8, 1, 30, tzinfo=ZoneInfo("America/New_York"))  # 06:30 UTC
    try:
        with transaction(factory) as session:
            session.add(User(login="ada", name="Ada", role=STUDENT, token_hash="0" * 64, created_at=moment))
        with factory() as session:
            stored = session.scalar(select(User.created_at))
        assert stored == moment and stored.tzinfo == timezone.utc
        assert stored == datetime(2026, 3, 8, 6, 30, tzinfo=timezone.utc)
        with pytest.raises(StatementError, match="naive datetime"):
            with transaction(factory) as session:
                session.add(User(login="bob", name="Bob", role=STUDENT, token_hash="1" * 64,
                                 created_at=datetime(2026, 3, 8, 1, 30)))
    finally:
        engine.dispose()
