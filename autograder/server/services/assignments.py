"""What staff change about the course and its assignments: the course's late-day budget, grade
policy and time zone; an assignment's dates, late policy and limits; a student's extension.

A submission's late days are kept with it, so every change that moves a due date (a new due
date, an extension, even one granted after the student submitted, another time zone) counts
them again for the submissions it concerns, in the same transaction.
"""
from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from autograder.course.manifest import load_manifests
from autograder.server.db.models import Assignment, Course, Extension, Submission, User
from autograder.server.services import deadlines
from autograder.server.services.course import course
from autograder.server.services.errors import BadRequest, NotFound
from autograder.server.services.submissions import assignment_for

# Fields an assignment may have without a value: no daily or total limit.
MAY_BE_EMPTY = {"daily_limit", "total_limit"}


def aware(moment: datetime, field: str) -> datetime:
    """`moment` in UTC; BadRequest when it has no zone (a time without one means nothing to a course
    whose staff and students live in several)."""
    if moment.tzinfo is None:
        raise BadRequest(f"{field} needs a time zone, e.g. 2026-12-14T23:59:00-05:00")
    return moment.astimezone(timezone.utc)


def all_assignments(session: Session) -> list[Assignment]:
    """Every assignment, earliest due first."""
    return list(session.scalars(select(Assignment).order_by(Assignment.due_at, Assignment.id)))


def in_course_zone(session: Session, text: str, field: str) -> datetime:
    """A time a web form sent: with its zone, or in the course's zone when it has none (a
    browser's date-and-time field sends none)."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise BadRequest(f"{field}: {text!r} is not a date and time like 2026-12-14T23:59") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo(course(session).timezone))


def _no_empty(values: dict, allowed: set[str] = frozenset()) -> None:
    empty = sorted(field for field, value in values.items() if value is None and field not in allowed)
    if empty:
        raise BadRequest(f"{', '.join(empty)} cannot be empty (leave a field out to keep it)")


def change_course(session: Session, values: dict) -> Course:
    """Set any of late_day_budget, grade_policy, timezone (an IANA name)."""
    _no_empty(values)
    if "timezone" in values:
        try:
            ZoneInfo(values["timezone"])
        except (ZoneInfoNotFoundError, ValueError):
            raise BadRequest(f"unknown time zone {values['timezone']!r} (use an IANA name, e.g. America/New_York)") from None
    the_course = course(session)
    moved = "timezone" in values and values["timezone"] != the_course.timezone
    for field, value in values.items():
        setattr(the_course, field, value)
    if moved:  # wall-clock days are counted in the new zone
        for assignment in session.scalars(select(Assignment)):
            recount_late_days(session, assignment)
    return the_course


def create_assignment(session: Session, homework: str, values: dict) -> Assignment:
    """An assignment for a homework that has a manifest but none yet (the seeded course has one
    per homework; this adds one for a homework released later): opens_at and due_at are required,
    the rest as change_assignment takes them, the title and points from the manifest."""
    manifests = {m.name: m for m in load_manifests()}
    if homework not in manifests:
        raise NotFound(f"no homework {homework!r} in the repository (its hwN/homework.toml); there are "
                       f"{', '.join(manifests)}")
    if session.scalar(select(Assignment).where(Assignment.homework == homework)) is not None:
        raise BadRequest(f"{homework} has an assignment already: change it with PATCH /assignments/{homework}")
    missing = [field for field in ("opens_at", "due_at") if values.get(field) is None]
    if missing:
        raise BadRequest(f"a new assignment needs {' and '.join(missing)}")
    manifest = manifests[homework]
    session.add(Assignment(homework=homework, title=manifest.title, opens_at=aware(values["opens_at"], "opens_at"),
                           due_at=aware(values["due_at"], "due_at"),
                           max_score=float(sum(part.points for part in manifest.parts))))
    session.flush()
    rest = {field: value for field, value in values.items() if field not in ("opens_at", "due_at")}
    return change_assignment(session, homework, rest | {"due_at": values["due_at"]})


def change_assignment(session: Session, homework: str, values: dict) -> Assignment:
    """Set any of title, opens_at, due_at (with their zone), max_late_days, penalty_per_day,
    daily_limit, total_limit (empty: no limit)."""
    _no_empty(values, MAY_BE_EMPTY)
    assignment = assignment_for(session, homework)
    for field in ("opens_at", "due_at"):
        if field in values:
            values[field] = aware(values[field], field)
    for field, value in values.items():
        setattr(assignment, field, value)
    if assignment.opens_at >= assignment.due_at:
        raise BadRequest(f"{homework} would open ({assignment.opens_at.isoformat()}) after it is due "
                         f"({assignment.due_at.isoformat()})")
    if "due_at" in values:
        recount_late_days(session, assignment)
    return assignment


def grant_extension(session: Session, homework: str, login: str, due_at: datetime) -> Extension:
    """A due date of its own for one student on one assignment (replacing an earlier one)."""
    assignment = assignment_for(session, homework)
    student = session.scalar(select(User).where(User.login == login))
    if student is None:
        raise NotFound(f"no user {login!r}")
    due = aware(due_at, "due_at")
    extension = session.scalar(select(Extension).where(Extension.assignment_id == assignment.id,
                                                       Extension.user_id == student.id))
    if extension is None:
        extension = Extension(assignment_id=assignment.id, user_id=student.id, due_at=due,
                              granted_at=datetime.now(timezone.utc))
        session.add(extension)
    extension.due_at = due
    session.flush()
    recount_late_days(session, assignment, student.id)
    return extension


def recount_late_days(session: Session, assignment: Assignment, user_id: int | None = None) -> None:
    """Count again the late days of `assignment`'s submissions (one student's, with `user_id`)
    from their times and today's due dates."""
    zone = ZoneInfo(course(session).timezone)
    extended = dict(session.execute(select(Extension.user_id, Extension.due_at)
                                    .where(Extension.assignment_id == assignment.id)).all())
    query = select(Submission).where(Submission.assignment_id == assignment.id)
    if user_id is not None:
        query = query.where(Submission.user_id == user_id)
    for submission in session.scalars(query):
        due = extended.get(submission.user_id, assignment.due_at)
        submission.late_days = deadlines.late_days(submission.created_at, due, zone)
