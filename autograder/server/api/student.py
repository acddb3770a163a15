"""Routes for students (and staff, who may read any submission): what is due, submitting, and
following a submission until its feedback is there."""
from __future__ import annotations

import asyncio
import json
import tempfile
from pathlib import Path

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException

from autograder.grading.reports import gradescope_from_report
from autograder.server.api.deps import CurrentUser, Db, TheService
from autograder.server.services import submissions
from autograder.server.services.errors import BadRequest, NotFound, TooLarge
from autograder.server.services.overview import student_overview
from autograder.server.services.status import current_result, result_view, status

router = APIRouter(tags=["students"])
FINAL_STATES = ("done", "grader error")


@router.get("/me")
def me(user: CurrentUser, db: Db, service: TheService):
    """Who you are, your late days, and each assignment: your due date, until when it takes
    submissions, and how many you have left today."""
    return student_overview(db, user, service.now())


FORM_OVERHEAD = 64 * 1024  # the multipart framing and the homework field, beside the archive


def _limited(request: Request, limit: int) -> Request:
    """The request with a body that raises TooLarge once more than `limit` bytes have arrived,
    whatever its Content-Length says (or when it sends none: a chunked upload)."""
    receive, received = request.receive, 0

    async def counted():
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                raise TooLarge(f"the upload is over {limit} bytes; submissions are limited to "
                               f"{limit - FORM_OVERHEAD} bytes")
        return message

    return Request(request.scope, counted)


async def _saved_upload(request: Request, limit: int, folder: str) -> tuple[str, Path]:
    """The multipart upload's homework field and its archive, saved in `folder`; 413 over
    `limit` bytes (by the declared length first, so a huge upload is refused unread, then by
    what arrives, so a body that declares no length is not read to its end)."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit + FORM_OVERHEAD:
        raise TooLarge(f"the upload is {int(declared)} bytes; submissions are limited to {limit} bytes")
    try:
        form = await _limited(request, limit + FORM_OVERHEAD).form(max_files=1, max_fields=4,
                                                                   max_part_size=FORM_OVERHEAD)
    except MultiPartException as error:
        raise BadRequest(f"not a valid multipart upload: {error}") from None
    try:  # the form's spooled files are closed on the way out
        homework, archive = form.get("homework"), form.get("archive")
        if not isinstance(homework, str) or not homework:
            raise BadRequest("the upload names no homework: send a form field homework=hwN")
        if not isinstance(archive, UploadFile):
            raise BadRequest("the upload holds no archive: send the .tar.gz as the form's file field archive")
        path, size = Path(folder) / "upload.tar.gz", 0
        with open(path, "wb") as out:
            while chunk := await archive.read(1 << 20):
                size += len(chunk)
                if size > limit:
                    raise TooLarge(f"the archive is over {limit} bytes, the limit for a submission")
                out.write(chunk)
    finally:
        await form.close()
    return homework, path


@router.post("/submissions", status_code=201)
async def submit(request: Request, response: Response, user: CurrentUser, service: TheService):
    """Upload a submission: a multipart form with `homework` and the `.tar.gz` as `archive`.
    With an `Idempotency-Key` header, a retried upload returns the first submission (200); the
    same key with another archive or homework is a 409."""
    key = request.headers.get("idempotency-key")
    if key is not None and not 1 <= len(key) <= 200:
        raise BadRequest("Idempotency-Key must be 1 to 200 characters")
    with tempfile.TemporaryDirectory(prefix="dlsys-upload-") as folder:
        homework, path = await _saved_upload(request, service.settings.max_upload_bytes, folder)
        accepted = await run_in_threadpool(submissions.accept, service.factory, service.settings.archives, user.id,
                                           homework, path, key, service.now())
    if accepted.created:
        service.wake()  # without a sandbox this records why the run waits: the status is read after it
    else:
        response.status_code = 200
    return await run_in_threadpool(_current_status, service, user, accepted.submission.id)


def _current_status(service, user, submission_id: int) -> dict:
    with service.factory() as db:
        return status(db, submissions.visible_submission(db, user, submission_id), service.settings.worker_stale_seconds)


@router.get("/submissions")
def list_submissions(user: CurrentUser, db: Db, service: TheService, homework: str | None = None):
    """Your submissions, oldest first, each with its state and score."""
    stale = service.settings.worker_stale_seconds
    return [status(db, s, stale) for s in submissions.user_submissions(db, user, homework)]


@router.get("/submissions/{submission_id}")
def read_submission(submission_id: int, user: CurrentUser, db: Db, service: TheService):
    """A submission's state, and its feedback once graded: the per-part table and every case
    without full marks, with its reason."""
    submission = submissions.visible_submission(db, user, submission_id)
    return status(db, submission, service.settings.worker_stale_seconds) | {"result": result_view(submission)}


@router.get("/submissions/{submission_id}/results.json")
def gradescope_results(submission_id: int, user: CurrentUser, db: Db):
    """The submission's current result in Gradescope's results.json format."""
    run = current_result(submissions.visible_submission(db, user, submission_id))
    if run is None:
        raise NotFound(f"submission {submission_id} has no result yet")
    return gradescope_from_report(run.result)


@router.get("/submissions/{submission_id}/events")
async def follow(submission_id: int, user: CurrentUser, service: TheService):
    """Server-Sent Events: a `status` event whenever the state changes (queued with its
    position, building, running case k of n, done), ending with the final one."""
    def current():
        with service.factory() as db:
            return status(db, submissions.visible_submission(db, user, submission_id),
                          service.settings.worker_stale_seconds)

    first = await run_in_threadpool(current)  # a 404 before the stream starts

    async def events():
        last, quiet, view = None, 0.0, first
        while True:
            if view != last:
                yield f"event: status\ndata: {json.dumps(view)}\n\n"
                last, quiet = view, 0.0
                if view["state"] in FINAL_STATES:
                    return
            elif quiet >= 15:
                yield ": still here\n\n"
                quiet = 0.0
            await asyncio.sleep(0.3)
            quiet += 0.3
            view = await run_in_threadpool(current)

    return StreamingResponse(events(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})
