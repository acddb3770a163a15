"""`dlsys db upgrade` on an empty SQLite and PostgreSQL database: the schema is created, a second
upgrade changes nothing, and the models match the migrations (alembic's autogenerate finds no
difference between them)."""
import os
import subprocess
import sys

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData, create_engine, inspect, text

from autograder.server.db.models import Base
from conftest import REPO

TABLES = {"course", "users", "assignments", "extensions", "submissions", "grading_runs", "workers",
          "archive_blobs", "alembic_version"}
PROCRASTINATE = {"procrastinate_jobs", "procrastinate_events", "procrastinate_periodic_defers", "procrastinate_workers"}


def db_upgrade(database_url: str, home) -> subprocess.CompletedProcess:
    environment = os.environ | {"DLSYS_DATABASE_URL": database_url, "DLSYS_HOME": str(home)}
    done = subprocess.run([sys.executable, "-m", "autograder", "db", "upgrade"], cwd=REPO, env=environment,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def schema(engine) -> dict:
    found = inspect(engine)
    return {table: ([(c["name"], str(c["type"]), c["nullable"]) for c in found.get_columns(table)],
                    sorted(str(sorted(i.items())) for i in found.get_indexes(table)),
                    sorted(str(sorted(u.items())) for u in found.get_unique_constraints(table)))
            for table in found.get_table_names()}


def test_upgrade_creates_the_schema_and_twice_is_a_no_op(database_url, tmp_path):
    engine = create_engine(database_url)
    try:
        assert inspect(engine).get_table_names() == []
        said = db_upgrade(database_url, tmp_path / "home").stdout
        assert "is at the newest schema" in " ".join(said.split())
        on_postgres = engine.dialect.name == "postgresql"  # the queue engine's tables live there too
        assert set(inspect(engine).get_table_names()) == TABLES | (PROCRASTINATE if on_postgres else set())
        with engine.connect() as connection:
            version = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
        assert version == ["0002"]
        before = schema(engine)

        db_upgrade(database_url, tmp_path / "home")
        with engine.connect() as connection:
            assert connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all() == version
        assert schema(engine) == before
    finally:
        engine.dispose()


def not_procrastinates(name, kind, _parent) -> bool:
    """Procrastinate's own tables (migration 0002 applies them on PostgreSQL) are not our models."""
    return not (kind == "table" and name.startswith("procrastinate_"))


def test_the_models_match_the_migrations(database_url, tmp_path):
    db_upgrade(database_url, tmp_path / "home")
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True,
                                                                   "compare_server_default": True,
                                                                   "include_name": not_procrastinates})
            differences = compare_metadata(context, Base.metadata)
            assert compare_metadata(context, MetaData()), "the comparison sees the tables (it is not vacuous)"
        assert differences == [], differences
    finally:
        engine.dispose()
