"""The course as the manifests describe it: created on an empty database by `dlsys serve`."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from autograder.course.manifest import Manifest
from autograder.server.db.models import STAFF, STUDENT, Assignment, Course
from autograder.server.services.accounts import create_user


@dataclass
class Seeded:
    """What a first start created: the two tokens are printed once and never stored in clear."""

    staff_token: str
    student_token: str
    assignments: list[str]


def is_empty(session: Session) -> bool:
    return session.scalar(select(Course)) is None


def seed_course(session: Session, manifests: list[Manifest], now: datetime, *, due_days: int,
                timezone: str) -> Seeded:
    """One assignment per homework (open now, due in `due_days`), a staff account and a demo student."""
    session.add(Course(id=1, name="Deep Learning Systems", late_day_budget=5, timezone=timezone,
                       grade_policy="latest"))
    for manifest in manifests:
        session.add(Assignment(homework=manifest.name, title=manifest.title, opens_at=now,
                               due_at=now + timedelta(days=due_days), max_late_days=3, penalty_per_day=0.1,
                               daily_limit=10, total_limit=None,
                               max_score=float(sum(part.points for part in manifest.parts))))
    _, staff_token = create_user(session, "staff", "Course staff", STAFF)
    _, student_token = create_user(session, "demo-student", "Demo student", STUDENT)
    return Seeded(staff_token, student_token, [m.name for m in manifests])


def course(session: Session) -> Course:
    return session.scalar(select(Course))
