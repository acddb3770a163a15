"""The HTTP API under /api/v1: thin routes that parse a request, call a service, shape the answer.

    student.py   me (deadlines, late days, submissions left), submissions (upload, list, read,
                 live status as Server-Sent Events, Gradescope results.json)
    staff.py     roster, assignments, extensions, answers, regrades, the queue, grade exports
    deps.py      the dependencies every route declares: the session, the user, rate limits
"""
from fastapi import APIRouter

from autograder.server.api import staff, student

router = APIRouter(prefix="/api/v1")
router.include_router(student.router)
router.include_router(staff.router)
