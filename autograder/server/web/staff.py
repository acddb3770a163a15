"""The staff's pages: the dashboard (the queue, grader errors, the workers), an assignment's
scores (histogram, part means, every student), a submission's runs side by side with their
build logs, and the forms that regrade, extend a deadline, publish answers and import the
roster; the grade export. Every one answers a student with a 403 page."""
from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import PlainTextResponse, RedirectResponse
from starlette.datastructures import UploadFile

from autograder.server.api.deps import Db, TheService
from autograder.server.services import assignments, grades, regrades, statistics, workers
from autograder.server.services.accounts import import_roster
from autograder.server.services.errors import BadRequest
from autograder.server.services.submissions import assignment_for, visible_submission
from autograder.server.web.histogram import histogram_svg
from autograder.server.web.pages import Form, PageStaff, render

router = APIRouter(prefix="/staff")

# What a form did, said on the page it returns to (by a fixed name: the query string cannot say anything else).
NOTES = {"regraded": "Regrade queued.", "regraded-all": "Regrades queued for every student's latest submission.",
         "extended": "Extension granted.", "publishing": "Publishing the answers in the background; "
                                                         "this homework's runs wait meanwhile."}


def back(path: str, note: str) -> RedirectResponse:
    return RedirectResponse(f"{path}?note={note}", status_code=303)


@router.get("")
def dashboard(request: Request, user: PageStaff, db: Db, service: TheService, note: str | None = None):
    queue = regrades.queue_view(db, service.waiting_reason)
    listed = [(a, regrades.progress(db, a)) for a in assignments.all_assignments(db)]
    fleet = workers.overview(db, service.settings.worker_stale_seconds)
    in_process = {"configured": service.settings.workers, "grading": service.pool is not None,
                  "engine": service.uses_engine}
    return render(request, db, "staff_dashboard.html", user=user, queue=queue, assignments=listed,
                  fleet=fleet, in_process=in_process, note=NOTES.get(note))


@router.get("/assignments/{homework}")
def assignment_page(request: Request, homework: str, user: PageStaff, db: Db, note: str | None = None):
    assignment = assignment_for(db, homework)
    stats = statistics.assignment_statistics(db, assignment)
    return render(request, db, "staff_assignment.html", user=user, assignment=assignment, stats=stats,
                  histogram=histogram_svg(stats["histogram"], f"Scores of {homework}"),
                  progress=regrades.progress(db, assignment), note=NOTES.get(note))


@router.get("/submissions/{submission_id}")
def submission_page(request: Request, submission_id: int, user: PageStaff, db: Db, note: str | None = None):
    runs = regrades.runs_view(visible_submission(db, user, submission_id))
    return render(request, db, "staff_submission.html", user=user, view=runs, note=NOTES.get(note))


@router.post("/submissions/{submission_id}/regrade")
def regrade_one(submission_id: int, user: PageStaff, db: Db, service: TheService, _form: Form):
    regrades.regrade_submission(db, visible_submission(db, user, submission_id))
    db.commit()
    service.wake()
    return back(f"/staff/submissions/{submission_id}", "regraded")


@router.post("/assignments/{homework}/regrade")
def regrade_all(homework: str, _: PageStaff, db: Db, service: TheService, _form: Form):
    regrades.regrade_latest(db, assignment_for(db, homework))
    db.commit()
    service.wake()
    return back(f"/staff/assignments/{homework}", "regraded-all")


@router.post("/assignments/{homework}/extensions")
def extend(homework: str, _: PageStaff, db: Db, form: Form):
    due = assignments.in_course_zone(db, str(form.get("due_at") or ""), "due_at")
    assignments.grant_extension(db, homework, str(form.get("login") or "").strip(), due)
    db.commit()
    return back(f"/staff/assignments/{homework}", "extended")


@router.post("/answers/{homework}/publish")
def publish(homework: str, _: PageStaff, db: Db, service: TheService, _form: Form):
    assignment_for(db, homework)
    reason = service.publish(homework)
    if reason:
        raise BadRequest(reason)
    return back(f"/staff/assignments/{homework}", "publishing")


@router.post("/roster")
async def roster(request: Request, user: PageStaff, db: Db, service: TheService, form: Form):
    """Students from a CSV file or pasted text; each new student's token is on this page only."""
    upload = form.get("file")
    text = (await upload.read()).decode("utf-8-sig", errors="replace") if isinstance(upload, UploadFile) else ""
    text = text or str(form.get("csv") or "")

    def work():
        with service.factory() as session, session.begin():
            result = import_roster(session, text)
            return [(u.login, u.name, token) for u, token in result.created], result.existing

    created, existing = await run_in_threadpool(work)
    return render(request, db, "staff_roster.html", user=user, created=created, existing=existing)


@router.get("/grades.csv")
def grades_csv(_: PageStaff, db: Db):
    return PlainTextResponse(grades.canvas_csv(db), media_type="text/csv",
                             headers={"Content-Disposition": 'attachment; filename="grades.csv"'})
