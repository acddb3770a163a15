"""Sign in with the token staff gave you (a signed session cookie), sign out."""
from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from autograder.server.api.deps import Db
from autograder.server.db.models import STAFF
from autograder.server.services.accounts import user_for_token
from autograder.server.services.errors import Unauthorized
from autograder.server.services.web_sessions import new_session, session_user
from autograder.server.web.pages import Form, browser_session, render, set_session

router = APIRouter()


def safe_next(path: str | None) -> str | None:
    """Only a path on this site (never //elsewhere or a URL): where to go after signing in."""
    return path if path and path.startswith("/") and not path.startswith("//") and "\\" not in path else None


@router.get("/signin")
def sign_in_form(request: Request, db: Db, next: str | None = None):
    user = session_user(db, browser_session(request))
    return render(request, db, "signin.html", user=user, next=safe_next(next) or "")


@router.post("/signin")
def sign_in(request: Request, db: Db, form: Form):
    limiter = request.app.state.rate_limiter
    limiter.check(f"address:{request.client.host if request.client else '?'}")  # tokens cannot be guessed at speed
    token = str(form.get("token") or "").strip()
    try:
        user = user_for_token(db, token)
    except Unauthorized as refusal:
        message = "enter the token course staff gave you" if not token else refusal.message
        return render(request, db, "signin.html", status_code=401, error=message,
                      next=safe_next(form.get("next")) or "")
    landing = safe_next(form.get("next")) or ("/staff" if user.role == STAFF else "/")
    response = RedirectResponse(landing, status_code=303)
    set_session(request, response, new_session(user))  # a fresh CSRF token with every sign-in
    return response


@router.post("/signout")
def sign_out(request: Request, _form: Form):
    response = RedirectResponse("/signin", status_code=303)
    set_session(request, response, new_session())
    return response
