"""What a student sees first (the API's /me and the student's home page): their late days and
each assignment with their due date, until when it takes submissions, and what is left today."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from autograder.server.db.models import Assignment, User
from autograder.server.services import deadlines, grades, submissions
from autograder.server.services.course import course


def student_overview(session: Session, user: User, now: datetime) -> dict:
    zone = ZoneInfo(course(session).timezone)
    used, left = grades.late_days_left(session, user)
    listed = []
    for assignment in session.scalars(select(Assignment).order_by(Assignment.due_at, Assignment.id)):
        due = submissions.due_for(session, assignment, user)
        today = submissions.counted_submissions(session, user, assignment, since=deadlines.day_start(now, zone))
        listed.append({
            "homework": assignment.homework, "title": assignment.title, "opens_at": assignment.opens_at.isoformat(),
            "due_at": due.isoformat(), "open_until": deadlines.open_until(due, assignment.max_late_days, zone).isoformat(),
            "max_late_days": assignment.max_late_days, "penalty_per_day": assignment.penalty_per_day,
            "submissions_left_today": None if assignment.daily_limit is None else max(0, assignment.daily_limit - today),
        })
    return {"login": user.login, "name": user.name, "role": user.role, "late_days_used": used,
            "late_days_left": left, "time_zone": zone.key, "assignments": listed}
