"""The service's tables (SQLAlchemy 2). Times are stored in UTC.

    course          one row: the late-day budget, the time zone deadlines count in, best or latest
    users           students and staff; a token is shown once and stored as its SHA-256
    assignments     one per homework: opens, due, late policy, submission limits
    extensions      a later due date for one student on one assignment
    submissions     an archive (stored by content hash) a student sent; never deleted
    grading_runs    each attempt at grading a submission; a regrade adds one, never replaces one
    archive_blobs   on PostgreSQL, each archive's bytes, for workers on other hosts
    workers         `dlsys worker` processes (and a PostgreSQL `dlsys serve`'s own): host, GPUs,
                    queues, heartbeat; what the staff's queue view shows and stale runs are judged by

A submission's current result is its latest run that finished (`status == "done"`).
"""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import JSON, Boolean, DateTime, Float, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator):
    """An aware datetime in, an aware UTC datetime out, on SQLite (which keeps no zone) too."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: the service stores aware UTC times")
        return value.astimezone(timezone.utc)  # SQLite keeps the wall-clock time only: make it UTC's

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc) if value is not None else None


class Base(DeclarativeBase):
    pass


class Course(Base):
    __tablename__ = "course"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    late_day_budget: Mapped[int] = mapped_column(Integer, default=5)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    grade_policy: Mapped[str] = mapped_column(String(16), default="latest")  # "latest" or "best"


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    sis_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    section: Mapped[str | None] = mapped_column(String(100), nullable=True)
    role: Mapped[str] = mapped_column(String(16))  # "student" or "staff"
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Assignment(Base):
    __tablename__ = "assignments"

    id: Mapped[int] = mapped_column(primary_key=True)
    homework: Mapped[str] = mapped_column(String(32), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime())
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    max_late_days: Mapped[int] = mapped_column(Integer, default=3)
    penalty_per_day: Mapped[float] = mapped_column(Float, default=0.1)  # a fraction of the score
    daily_limit: Mapped[int | None] = mapped_column(Integer, nullable=True, default=10)
    total_limit: Mapped[int | None] = mapped_column(Integer, nullable=True, default=None)
    max_score: Mapped[float] = mapped_column(Float, default=100.0)


class Extension(Base):
    __tablename__ = "extensions"
    __table_args__ = (UniqueConstraint("assignment_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Submission(Base):
    __tablename__ = "submissions"
    __table_args__ = (UniqueConstraint("user_id", "idempotency_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    archive_sha256: Mapped[str] = mapped_column(String(64))
    archive_size: Mapped[int] = mapped_column(Integer)
    files: Mapped[list] = mapped_column(JSON)  # the student files the archive holds
    idempotency_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    late_days: Mapped[int] = mapped_column(Integer, default=0)  # whole days after the due date (and extension)

    user: Mapped[User] = relationship()
    assignment: Mapped[Assignment] = relationship()
    runs: Mapped[list[GradingRun]] = relationship(back_populates="submission", order_by="GradingRun.id")


class GradingRun(Base):
    __tablename__ = "grading_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"), index=True)
    reason: Mapped[str] = mapped_column(String(16))  # "submission", "regrade" or "retry"
    priority: Mapped[int] = mapped_column(Integer, default=0)  # lower first: new submissions before regrades
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    token: Mapped[str] = mapped_column(String(32), unique=True)  # only this attempt's result is accepted
    status: Mapped[str] = mapped_column(String(16), index=True)  # queued, running, done, grader error
    waiting_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    worker: Mapped[str | None] = mapped_column(String(200), nullable=True)
    capability: Mapped[str] = mapped_column(String(8), default="cpu", server_default="cpu")  # cpu, or gpu: CUDA runs
    sandbox: Mapped[str | None] = mapped_column(String(32), nullable=True)
    phase: Mapped[str | None] = mapped_column(String(16), nullable=True)  # building, running
    cases_done: Mapped[int] = mapped_column(Integer, default=0)
    cases_total: Mapped[int] = mapped_column(Integer, default=0)
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    max_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    result: Mapped[dict | None] = mapped_column(JSON, nullable=True)  # grading.reports.to_json's document
    build_log_tail: Mapped[str | None] = mapped_column(Text, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)  # a grader fault, for staff
    seconds: Mapped[float | None] = mapped_column(Float, nullable=True)

    submission: Mapped[Submission] = relationship(back_populates="runs")


class ArchiveBlob(Base):
    """An archive's bytes by content hash (PostgreSQL only: workers elsewhere read them here)."""

    __tablename__ = "archive_blobs"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class Worker(Base):
    """A grading worker process; its row says it is alive as long as `heartbeat_at` is recent."""

    __tablename__ = "workers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)  # host:pid:..., what grading_runs.worker names
    host: Mapped[str] = mapped_column(String(200))
    pid: Mapped[int] = mapped_column(Integer)
    queues: Mapped[list] = mapped_column(JSON)  # ["cpu"] or ["cpu", "gpu"]
    gpus: Mapped[list] = mapped_column(JSON)  # devtools.gpus.Gpu.as_json() of each
    concurrency: Mapped[int] = mapped_column(Integer)
    answers: Mapped[dict] = mapped_column(JSON)  # homework -> suite hash of the answers it holds
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    heartbeat_at: Mapped[datetime] = mapped_column(UTCDateTime())
    draining: Mapped[bool] = mapped_column(Boolean, default=False)


QUEUED, RUNNING, DONE, GRADER_ERROR = "queued", "running", "done", "grader error"
STUDENT, STAFF = "student", "staff"
CPU, GPU = "cpu", "gpu"  # queues: a GPU worker takes both, a CPU worker only the first
