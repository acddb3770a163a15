"""Routes for course staff: the roster, assignments and deadlines, extensions, answers, regrades,
the queue, and grade exports. Every one answers 403 to a student's token."""
from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, Field
from sqlalchemy import select

from autograder.server.api.deps import Db, StaffUser, TheService
from autograder.server.db.models import Assignment
from autograder.server.services import assignments, grades, regrades, workers
from autograder.server.services.accounts import import_roster
from autograder.server.services.errors import BadRequest
from autograder.server.services.submissions import assignment_for, visible_submission

router = APIRouter(tags=["staff"])


class AssignmentChange(BaseModel):
    title: str | None = None
    opens_at: datetime | None = None
    due_at: datetime | None = None
    max_late_days: int | None = Field(None, ge=0)
    penalty_per_day: float | None = Field(None, ge=0, le=1)
    daily_limit: int | None = Field(None, ge=1)
    total_limit: int | None = Field(None, ge=1)


class CourseChange(BaseModel):
    late_day_budget: int | None = Field(None, ge=0)
    grade_policy: str | None = Field(None, pattern="^(latest|best)$")
    timezone: str | None = None


class ExtensionRequest(BaseModel):
    login: str
    due_at: datetime


def _assignment_view(a: Assignment) -> dict:
    return {"homework": a.homework, "title": a.title, "opens_at": a.opens_at.isoformat(), "due_at": a.due_at.isoformat(),
            "max_late_days": a.max_late_days, "penalty_per_day": a.penalty_per_day, "daily_limit": a.daily_limit,
            "total_limit": a.total_limit, "max_score": a.max_score}


@router.get("/assignments")
def list_assignments(_: StaffUser, db: Db):
    return [_assignment_view(a) for a in db.scalars(select(Assignment).order_by(Assignment.due_at, Assignment.id))]


@router.post("/assignments/{homework}", status_code=201)
def create_assignment(homework: str, change: AssignmentChange, _: StaffUser, db: Db):
    """Create the assignment of a homework that has none (times with their zone; opens_at and
    due_at required)."""
    assignment = assignments.create_assignment(db, homework, change.model_dump(exclude_unset=True))
    db.commit()
    return _assignment_view(assignment)


@router.patch("/assignments/{homework}")
def change_assignment(homework: str, change: AssignmentChange, _: StaffUser, db: Db):
    """Change an assignment's title, dates, late policy or limits (times with their zone); the late
    days of its submissions are counted again from a new due date."""
    assignment = assignments.change_assignment(db, homework, change.model_dump(exclude_unset=True))
    db.commit()
    return _assignment_view(assignment)


@router.patch("/course")
def change_course(change: CourseChange, _: StaffUser, db: Db):
    """The course-wide late-day budget, which submission counts (latest or best), the time zone."""
    the_course = assignments.change_course(db, change.model_dump(exclude_unset=True))
    db.commit()
    return {"late_day_budget": the_course.late_day_budget, "grade_policy": the_course.grade_policy,
            "timezone": the_course.timezone}


@router.post("/assignments/{homework}/extensions")
def grant_extension(homework: str, request: ExtensionRequest, _: StaffUser, db: Db):
    """A later due date for one student (their late days count from it, for submissions made
    before it was granted too)."""
    extension = assignments.grant_extension(db, homework, request.login, request.due_at)
    db.commit()
    return {"homework": homework, "login": request.login, "due_at": extension.due_at.isoformat()}


@router.post("/roster")
async def roster(request: Request, _: StaffUser, service: TheService):
    """Import students from a CSV body (header: login, and any of name, email, sis_id, section).
    Each new student's token is in the answer, and only there."""
    text = (await request.body()).decode("utf-8-sig", errors="replace")

    def work():
        with service.factory() as db, db.begin():
            result = import_roster(db, text)
            return {"created": [{"login": u.login, "name": u.name, "token": token} for u, token in result.created],
                    "existing": result.existing}

    return await run_in_threadpool(work)


@router.post("/answers/{homework}/publish", status_code=202)
def publish_answers(homework: str, _: StaffUser, db: Db, service: TheService):
    """Publish `homework`'s reference answers again, in the background; its runs wait meanwhile."""
    assignment_for(db, homework)
    reason = service.publish(homework)
    if reason:
        raise BadRequest(reason)
    return {"homework": homework, "publishing": True}


@router.post("/submissions/{submission_id}/regrade")
def regrade_one(submission_id: int, user: StaffUser, db: Db, service: TheService):
    run = regrades.regrade_submission(db, visible_submission(db, user, submission_id))
    db.commit()
    service.wake()
    return {"submission": submission_id, "run": run.id}


@router.post("/assignments/{homework}/regrade")
def regrade_assignment(homework: str, _: StaffUser, db: Db, service: TheService):
    """Regrade each student's latest submission of `homework`; the runs queue behind new submissions."""
    runs = regrades.regrade_latest(db, assignment_for(db, homework))
    db.commit()
    service.wake()
    return {"homework": homework, "queued": len(runs), "runs": [run.id for run in runs]}


@router.get("/assignments/{homework}/regrade")
def regrade_progress(homework: str, _: StaffUser, db: Db):
    """How the regrades of `homework` stand: runs queued, running, done and grader errors."""
    return regrades.progress(db, assignment_for(db, homework))


@router.get("/queue")
def queue_view(_: StaffUser, db: Db, service: TheService):
    """What waits and why, what runs and where, the grader errors of the last attempts, and each
    worker (host, GPUs, queues, current runs, last heartbeat)."""
    return regrades.queue_view(db, service.waiting_reason) | workers.overview(db, service.settings.worker_stale_seconds)


@router.get("/submissions/{submission_id}/runs")
def runs(submission_id: int, user: StaffUser, db: Db):
    """Every grading run of a submission, regrades side by side, with their build logs and errors."""
    return regrades.runs_view(visible_submission(db, user, submission_id))


@router.get("/grades.csv", response_class=PlainTextResponse)
def grades_csv(_: StaffUser, db: Db):
    """One row per student for Canvas: the counted score of each assignment, late penalty applied."""
    return PlainTextResponse(grades.canvas_csv(db), media_type="text/csv",
                             headers={"Content-Disposition": 'attachment; filename="grades.csv"'})
