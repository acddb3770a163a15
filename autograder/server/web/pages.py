"""What every page route shares: the browser's session (a signed cookie), the signed-in user
(a student or staff), the CSRF check of every form, and rendering a template with the session
cookie set. A page that needs a user sends a browser that has none to the sign-in form."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from autograder.server.api.deps import Db, TheService
from autograder.server.db.models import STAFF, User
from autograder.server.services.course import course
from autograder.server.services.errors import Forbidden, ServiceError
from autograder.server.services.web_sessions import (
    BrowserSession,
    csrf_matches,
    new_session,
    session_secret,
    session_user,
    sign,
    unsign,
)

HERE = Path(__file__).parent
STATIC = HERE / "static"
COOKIE = "dlsys_session"
templates = Jinja2Templates(directory=HERE / "templates")


class SignInNeeded(Exception):
    """A page that needs a signed-in user, reached without one: the app redirects to /signin."""

    def __init__(self, next_path: str):
        self.next_path = next_path


def secret(request: Request) -> bytes:
    state = request.app.state
    if getattr(state, "session_secret", None) is None:
        settings = state.service.settings
        state.session_secret = session_secret(settings.session_secret, settings.home)
    return state.session_secret


def browser_session(request: Request) -> BrowserSession:
    """The browser's session (kept on the request, so the response can set it), a new anonymous
    one when the cookie is absent or invalid."""
    if getattr(request.state, "browser", None) is None:
        request.state.browser = unsign(request.cookies.get(COOKIE), secret(request)) or new_session()
    return request.state.browser


def page_user(request: Request, db: Db) -> User:
    user = session_user(db, browser_session(request))
    if user is None:
        raise SignInNeeded(request.url.path)
    return user


def page_staff(user: Annotated[User, Depends(page_user)]) -> User:
    if user.role != STAFF:
        raise Forbidden("this page is for course staff")
    return user


PageUser = Annotated[User, Depends(page_user)]
PageStaff = Annotated[User, Depends(page_staff)]


async def checked_form(request: Request) -> dict:
    """The posted form, refused (403) unless it carries this session's CSRF token."""
    form = await request.form()
    if not csrf_matches(browser_session(request), form.get("csrf") if isinstance(form.get("csrf"), str) else None):
        raise Forbidden("this form's CSRF token is missing or out of date: reload the page and send it again")
    return form


Form = Annotated[dict, Depends(checked_form)]


def set_session(request: Request, response, browser: BrowserSession) -> None:
    request.state.browser = browser
    response.set_cookie(COOKIE, sign(browser, secret(request)), max_age=14 * 24 * 3600, httponly=True,
                        samesite="lax", secure=request.url.scheme == "https", path="/")


def local_time(moment: datetime | str | None, zone: str) -> str:
    if moment is None:
        return "—"
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return f"{moment.astimezone(ZoneInfo(zone)):%a %d %b %Y, %H:%M %Z}"


def points(value: float | None) -> str:
    return "—" if value is None else f"{value:.4g}"


def titled(title: str, homework: str) -> str:
    """An assignment's title without the homework's name in front (the page shows that already)."""
    return title.removeprefix(f"{homework}:").strip() or title


templates.env.filters["points"] = points
templates.env.filters["titled"] = titled


def render(request: Request, db: Db, template: str, status_code: int = 200, user: User | None = None,
           **context) -> HTMLResponse:
    """The page, with the session cookie (and its CSRF token) set."""
    browser = browser_session(request)
    zone = course(db).timezone if db is not None else "UTC"
    response = templates.TemplateResponse(
        request, template, {"user": user, "csrf": browser.csrf, "zone": zone,
                            "when": lambda moment: local_time(moment, zone)} | context, status_code=status_code)
    set_session(request, response, browser)
    return response


def error_page(request: Request, service: TheService, error: ServiceError) -> HTMLResponse:
    """A refusal as a page: 403 and 404 say what happened and show nothing else."""
    with service.factory() as db:
        user = session_user(db, browser_session(request))
        titles = {403: "Not for you", 404: "Not found", 401: "Sign in first", 429: "Too many requests"}
        return render(request, db, "error.html", status_code=error.status, user=user,
                      title=titles.get(error.status, "Refused"), message=error.message)


def sign_in_redirect(next_path: str) -> str:
    return f"/signin?next={quote(next_path, safe='/')}"
