"""The student's pages: the assignments and their submissions, and a submission's page with its
live status (an EventSource on the same stream the CLI follows) and its feedback."""
from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from autograder.server.api import student as api
from autograder.server.api.deps import Db, TheService
from autograder.server.db.models import STAFF
from autograder.server.services import submissions
from autograder.server.services.overview import student_overview
from autograder.server.services.status import result_view, status
from autograder.server.web.pages import PageUser, render

router = APIRouter()


@router.get("/")
def home(request: Request, user: PageUser, db: Db, service: TheService):
    if user.role == STAFF:
        return RedirectResponse("/staff", status_code=303)
    overview = student_overview(db, user, service.now())
    mine = [status(db, s, service.settings.worker_stale_seconds)
            for s in reversed(submissions.user_submissions(db, user))]
    return render(request, db, "student_home.html", user=user, overview=overview, submissions=mine)


@router.get("/submissions/{submission_id}")
def submission_page(request: Request, submission_id: int, user: PageUser, db: Db, service: TheService):
    submission = submissions.visible_submission(db, user, submission_id)  # another student's: 404
    history = [{"run": run.id, "reason": run.reason, "status": run.status, "created_at": run.created_at,
                "finished_at": run.finished_at, "score": run.score, "max_score": run.max_score}
               for run in submission.runs]
    return render(request, db, "submission.html", user=user, status=status(db, submission, service.settings.worker_stale_seconds),
                  result=result_view(submission), history=history)


@router.get("/submissions/{submission_id}/events")
async def follow(submission_id: int, user: PageUser, service: TheService):
    """The API's status stream, for a signed-in browser (EventSource sends the cookie)."""
    return await api.follow(submission_id, user, service)
