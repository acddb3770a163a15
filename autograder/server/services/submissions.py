"""Accepting a submission, and reading submissions back (a student sees only their own).

`accept` refuses, with nothing stored, an assignment that is unknown, not open yet or closed
(due date, plus the assignment's late days, plus the student's extension), a daily or total
limit reached, or an archive the grading core's rules refuse; otherwise it keeps the archive
(fsynced) and commits the submission and its grading run in one transaction before it
returns. A retried upload with the same `Idempotency-Key` returns the first submission; the
same key with another upload (another homework or archive) is refused.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import exists, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from autograder.course.manifest import load_manifest
from autograder.server.db.models import DONE, GRADER_ERROR, STAFF, Assignment, Extension, GradingRun, Submission, User
from autograder.server.services import deadlines, dispatch
from autograder.server.services.archives import check_archive, file_digest, keep_in_database, store_archive
from autograder.server.services.course import course
from autograder.server.services.errors import Conflict, Forbidden, NotFound, TooMany
from autograder.server.services.queue import enqueue


@dataclass
class Accepted:
    submission: Submission
    created: bool  # False: an earlier upload with the same idempotency key


def assignment_for(session: Session, homework: str) -> Assignment:
    found = session.scalar(select(Assignment).where(Assignment.homework == homework))
    if found is None:
        names = ", ".join(session.scalars(select(Assignment.homework).order_by(Assignment.id)))
        raise NotFound(f"no assignment {homework!r}; the course has {names or 'none yet'}")
    return found


def due_for(session: Session, assignment: Assignment, user: User) -> datetime:
    """The due date for this student: their extension's, else the assignment's."""
    extension = session.scalar(select(Extension).where(Extension.assignment_id == assignment.id,
                                                       Extension.user_id == user.id))
    return extension.due_at if extension else assignment.due_at


def counted_submissions(session: Session, user: User, assignment: Assignment, since: datetime | None = None) -> int:
    """Submissions that count against the limits: all but those whose grading ended in a grader
    error without ever finishing (a fault of ours never costs a student a submission; a failed
    regrade of a graded one gives none back)."""
    latest = (select(GradingRun.status).where(GradingRun.submission_id == Submission.id)
              .order_by(GradingRun.id.desc()).limit(1).scalar_subquery())
    finished = exists().where(GradingRun.submission_id == Submission.id, GradingRun.status == DONE)
    query = select(func.count()).select_from(Submission).where(
        Submission.user_id == user.id, Submission.assignment_id == assignment.id,
        or_(func.coalesce(latest, "") != GRADER_ERROR, finished))
    if since is not None:
        query = query.where(Submission.created_at >= since)
    return session.scalar(query)


def check_open(session: Session, user: User, assignment: Assignment, now: datetime, zone: ZoneInfo) -> datetime:
    """Refuse an assignment that is not open for this student now; returns their due date."""
    if now < assignment.opens_at:
        raise Forbidden(f"{assignment.homework} opens at {assignment.opens_at.astimezone(zone):%Y-%m-%d %H:%M %Z}")
    due = due_for(session, assignment, user)
    until = deadlines.open_until(due, assignment.max_late_days, zone)
    if now > until:
        raise Forbidden(f"{assignment.homework} is closed: it was open until {until.astimezone(zone):%Y-%m-%d %H:%M %Z} "
                        f"(due {due.astimezone(zone):%Y-%m-%d %H:%M %Z} plus {assignment.max_late_days} late days)")
    return due


def check_limits(session: Session, user: User, assignment: Assignment, now: datetime, zone: ZoneInfo) -> None:
    if assignment.total_limit is not None and counted_submissions(session, user, assignment) >= assignment.total_limit:
        raise Forbidden(f"no submissions left for {assignment.homework}: its limit is {assignment.total_limit} in all")
    if assignment.daily_limit is not None:
        today = counted_submissions(session, user, assignment, since=deadlines.day_start(now, zone))
        if today >= assignment.daily_limit:
            resets = deadlines.next_midnight(now, zone)
            raise TooMany(f"daily limit reached: {assignment.daily_limit} submissions of {assignment.homework} a day; "
                          f"it resets at {resets.astimezone(zone):%Y-%m-%d %H:%M %Z}",
                          headers={"Retry-After": str(max(1, int((resets - now).total_seconds())))})


def accept(factory: sessionmaker[Session], archives: Path, user_id: int, homework: str, upload: Path,
           idempotency_key: str | None, now: datetime) -> Accepted:
    """Check everything, keep the archive, then commit the submission and its grading run."""
    sha256 = file_digest(upload)[0] if idempotency_key else None
    try:
        with factory() as session, session.begin():
            user = session.get(User, user_id)
            earlier = _earlier(session, user_id, idempotency_key, homework, sha256)
            if earlier is not None:
                return Accepted(earlier, False)
            assignment = assignment_for(session, homework)
            zone = ZoneInfo(course(session).timezone)
            due = check_open(session, user, assignment, now, zone)
            check_limits(session, user, assignment, now, zone)
            files = check_archive(upload, load_manifest(homework))
            sha256, size = store_archive(archives, upload)  # on disk before the row that names it
            if dispatch.uses_engine(session):  # workers on other hosts read it from the database
                keep_in_database(session, sha256, archives)
            submission = Submission(user_id=user.id, assignment_id=assignment.id, created_at=now,
                                    archive_sha256=sha256, archive_size=size, files=files,
                                    idempotency_key=idempotency_key, late_days=deadlines.late_days(now, due, zone))
            session.add(submission)
            enqueue(session, submission)
            return Accepted(submission, True)
    except IntegrityError:  # the same key, committed meanwhile by a concurrent retry of this upload
        with factory() as session:
            earlier = _earlier(session, user_id, idempotency_key, homework, sha256)
            if earlier is None:
                raise
            return Accepted(earlier, False)


def _earlier(session: Session, user_id: int, idempotency_key: str | None, homework: str,
             sha256: str | None) -> Submission | None:
    """The submission an earlier upload with this key made; Conflict when that upload was not this
    one (another homework or another archive: a client reusing keys would otherwise be told that
    an upload it never made went in)."""
    if not idempotency_key:
        return None
    earlier = session.scalar(select(Submission).where(Submission.user_id == user_id,
                                                      Submission.idempotency_key == idempotency_key))
    if earlier is not None and (earlier.assignment.homework != homework or earlier.archive_sha256 != sha256):
        raise Conflict(f"Idempotency-Key {idempotency_key!r} was used for submission {earlier.id} "
                       f"({earlier.assignment.homework}, another archive or homework); send a new key with a new upload")
    return earlier


def visible_submission(session: Session, user: User, submission_id: int) -> Submission:
    """A submission the user may read: their own, or any for staff; NotFound otherwise (a
    student cannot even learn that another's submission exists)."""
    submission = session.get(Submission, submission_id)
    if submission is None or (user.role != STAFF and submission.user_id != user.id):
        raise NotFound(f"no submission {submission_id} of yours")
    return submission


def user_submissions(session: Session, user: User, homework: str | None = None) -> list[Submission]:
    query = select(Submission).where(Submission.user_id == user.id).order_by(Submission.id)
    if homework is not None:
        query = query.where(Submission.assignment_id == assignment_for(session, homework).id)
    return list(session.scalars(query))
