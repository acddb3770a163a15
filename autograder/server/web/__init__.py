"""The web pages: server-rendered (Jinja2), for students and staff, on the same services as the
JSON API. Thin routes, like api/: every piece of logic is in services/.

    auth.py       sign in with the token (a signed session cookie), sign out
    student.py    the assignments and submissions, a submission's live status and feedback
    staff.py      the dashboard, an assignment's scores (an SVG histogram), a submission's
                  runs, regrades, extensions, answers, the roster, the grade export
    pages.py      what every page route shares: the session, the signed-in user, CSRF, rendering
    histogram.py  the histogram as SVG, drawn on the server
"""
from fastapi import APIRouter
from fastapi.staticfiles import StaticFiles

from autograder.server.web import auth, staff, student
from autograder.server.web.pages import STATIC

router = APIRouter(include_in_schema=False)
router.include_router(auth.router)
router.include_router(student.router)
router.include_router(staff.router)


def static_files() -> StaticFiles:
    return StaticFiles(directory=STATIC)
