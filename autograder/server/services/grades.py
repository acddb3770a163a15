"""Grades: which submission counts (the latest or the best, as the course says), its late
days charged against the course's budget, and the CSV Canvas imports."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from autograder.server.db.models import STUDENT, Assignment, Submission, User
from autograder.server.services.course import course
from autograder.server.services.deadlines import charge_late_days
from autograder.server.services.status import current_result


@dataclass
class AssignmentGrade:
    assignment: Assignment
    submission: Submission | None  # the one that counts, None before any result
    raw_score: float | None
    late_days: int
    beyond_budget: int
    score: float | None  # with the late penalty applied


def counted_submission(submissions: list[Submission], policy: str) -> Submission | None:
    graded = [s for s in submissions if current_result(s) is not None]
    if not graded:
        return None
    if policy == "best":
        return max(graded, key=lambda s: (current_result(s).score, s.id))
    return graded[-1]


def student_grades(session: Session, user: User) -> list[AssignmentGrade]:
    """Every assignment, earliest due first, with what counts for this student."""
    policy, budget = course(session).grade_policy, course(session).late_day_budget
    assignments = list(session.scalars(select(Assignment).order_by(Assignment.due_at, Assignment.id)))
    mine = list(session.scalars(select(Submission).where(Submission.user_id == user.id).order_by(Submission.id)))
    counted = [counted_submission([s for s in mine if s.assignment_id == a.id], policy) for a in assignments]
    charges = charge_late_days([(s.late_days if s else 0, a.penalty_per_day) for a, s in zip(assignments, counted)],
                               budget)
    grades = []
    for assignment, submission, charge in zip(assignments, counted, charges):
        raw = current_result(submission).score if submission else None
        grades.append(AssignmentGrade(assignment, submission, raw, charge.late_days, charge.beyond_budget,
                                      None if raw is None else round(raw * charge.multiplier, 6)))
    return grades


def late_days_left(session: Session, user: User) -> tuple[int, int]:
    """(late days used, late days left) of the course's budget."""
    used = sum(g.late_days for g in student_grades(session, user))
    return used, max(0, course(session).late_day_budget - used)


def canvas_csv(session: Session) -> str:
    """One row per student, Canvas's gradebook layout: Student, ID, SIS User ID, SIS Login ID,
    Section, one column per assignment (the counted score, late penalty applied; empty when
    nothing counts yet, never 0), late days used; a "Points Possible" row under the header.

    ID is Canvas's own user id, which the service does not know: it stays empty and Canvas
    matches each row by its SIS User ID or SIS Login ID (the login). Rows are sorted here, not
    by the database, so SQLite and PostgreSQL (whose collations differ) give the same file."""
    assignments = list(session.scalars(select(Assignment).order_by(Assignment.due_at, Assignment.id)))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
                    + [a.homework for a in assignments] + ["Late days used"])
    writer.writerow(["Points Possible", "", "", "", ""] + [f"{a.max_score:g}" for a in assignments] + [""])
    students = sorted(session.scalars(select(User).where(User.role == STUDENT)), key=lambda u: (u.name, u.login))
    for user in students:
        grades = student_grades(session, user)
        writer.writerow([user.name, "", user.sis_id or "", user.login, user.section or ""]
                        + ["" if g.score is None else f"{g.score:g}" for g in grades]
                        + [sum(g.late_days for g in grades)])
    return out.getvalue()
