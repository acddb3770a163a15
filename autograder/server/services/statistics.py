"""One assignment seen by staff: each student's latest and best scores and late days, the
distribution of the scores that count (for a histogram) and each part's mean."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from autograder.server.db.models import STUDENT, Assignment, Extension, Submission, User
from autograder.server.services.course import course
from autograder.server.services.grades import counted_submission
from autograder.server.services.status import current_result

BINS = 10  # the histogram's bars: tenths of the assignment's points, the last one closed


def histogram(scores: list[float], max_score: float, bins: int = BINS) -> list[dict]:
    """How many scores fall in each tenth of `max_score` ([0, 10%), ..., [90%, 100%])."""
    counts = [0] * bins
    for score in scores:
        fraction = score / max_score if max_score else 0.0
        counts[min(bins - 1, max(0, int(fraction * bins)))] += 1
    width = max_score / bins
    return [{"low": round(i * width, 6), "high": round((i + 1) * width, 6), "count": c} for i, c in enumerate(counts)]


def assignment_statistics(session: Session, assignment: Assignment) -> dict:
    policy = course(session).grade_policy
    extended = dict(session.execute(select(Extension.user_id, Extension.due_at)
                                    .where(Extension.assignment_id == assignment.id)).all())
    students = sorted(session.scalars(select(User).where(User.role == STUDENT)), key=lambda u: (u.name, u.login))
    rows, counted_scores, part_totals = [], [], {}
    for student in students:
        mine = list(session.scalars(select(Submission).where(Submission.user_id == student.id,
                                                             Submission.assignment_id == assignment.id)
                                    .order_by(Submission.id)))
        graded = [s for s in mine if current_result(s) is not None]
        counted = counted_submission(mine, policy)
        if counted is not None:
            result = current_result(counted)
            counted_scores.append(result.score)
            for part in result.result["parts"]:
                part_totals.setdefault(part["name"], []).append((part["score"], part["max_score"]))
        rows.append({
            "login": student.login, "name": student.name, "submissions": len(mine),
            "latest": current_result(graded[-1]).score if graded else None,
            "latest_submission": mine[-1].id if mine else None,
            "best": max(current_result(s).score for s in graded) if graded else None,
            "counted": current_result(counted).score if counted else None,
            "late_days": counted.late_days if counted else (mine[-1].late_days if mine else 0),
            "extension": extended[student.id].isoformat() if student.id in extended else None,
        })
    parts = [{"name": name, "mean": sum(s for s, _ in scores) / len(scores), "max_score": scores[0][1]}
             for name, scores in part_totals.items()]
    return {"homework": assignment.homework, "title": assignment.title, "max_score": assignment.max_score,
            "policy": policy, "students": rows, "graded": len(counted_scores),
            "mean": sum(counted_scores) / len(counted_scores) if counted_scores else None,
            "histogram": histogram(counted_scores, assignment.max_score), "parts": parts}
