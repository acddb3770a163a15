"""workers that heartbeat, each run's capability (cpu or gpu), archives in the database for workers
elsewhere, and Procrastinate's schema on PostgreSQL

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-07 13:40:00

Procrastinate's tables, types and functions are applied here, from the installed package's own
`schema.sql`, so one `dlsys db upgrade` (or `dlsys serve`'s start) brings a database to
everything the service needs. pyproject pins procrastinate below its next major version; a newer
Procrastinate whose schema changed gets a revision of ours that applies its migration files.
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "workers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("host", sa.String(length=200), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("queues", sa.JSON(), nullable=False),
        sa.Column("gpus", sa.JSON(), nullable=False),
        sa.Column("concurrency", sa.Integer(), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("draining", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "archive_blobs",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("sha256"),
    )
    with op.batch_alter_table("grading_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("capability", sa.String(length=8), nullable=False, server_default="cpu"))
    if op.get_bind().dialect.name == "postgresql":
        from procrastinate.schema import SchemaManager

        exists = op.get_bind().exec_driver_sql("SELECT to_regclass('procrastinate_jobs')").scalar()
        if exists is None:
            # psycopg itself, without parameters: the schema's `%` are not placeholders
            op.get_bind().connection.driver_connection.execute(SchemaManager.get_schema())


def downgrade() -> None:
    with op.batch_alter_table("grading_runs", schema=None) as batch_op:
        batch_op.drop_column("capability")
    op.drop_table("archive_blobs")
    op.drop_table("workers")
