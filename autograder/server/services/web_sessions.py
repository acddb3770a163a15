"""Browser sessions for the web pages: a signed cookie, never a table.

The cookie holds the user's id, a fingerprint of their token (a new token signs every browser
out), a CSRF token every form must echo, and when it was issued; an HMAC-SHA256 with the
service's secret signs it. The secret is `DLSYS_SESSION_SECRET`, or one generated once and kept
in `<home>/session-secret` (mode 0600), so sessions survive a restart."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from autograder.server.db.models import User

MAX_AGE_SECONDS = 14 * 24 * 3600
SECRET_FILE = "session-secret"


def session_secret(configured: str, home: Path) -> bytes:
    """The configured secret, else the one kept under `home` (made on first use)."""
    if configured:
        return configured.encode()
    path = home / SECRET_FILE
    if not path.exists():
        home.mkdir(parents=True, exist_ok=True)
        try:
            handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it meanwhile: use theirs
            return path.read_bytes().strip()
        with os.fdopen(handle, "w") as out:
            out.write(secrets.token_urlsafe(48))
    return path.read_bytes().strip()


@dataclass
class BrowserSession:
    user_id: int | None  # None: not signed in (the sign-in form still needs a CSRF token)
    fingerprint: str
    csrf: str
    issued: float


def fingerprint(user: User) -> str:
    return user.token_hash[:16]


def new_session(user: User | None = None) -> BrowserSession:
    """A fresh session (a new CSRF token): anonymous, or signed in as `user`."""
    return BrowserSession(user.id if user else None, fingerprint(user) if user else "", secrets.token_urlsafe(24),
                          time.time())


def _mac(secret: bytes, payload: bytes) -> str:
    return base64.urlsafe_b64encode(hmac.new(secret, payload, hashlib.sha256).digest()).decode().rstrip("=")


def sign(browser: BrowserSession, secret: bytes) -> str:
    payload = base64.urlsafe_b64encode(json.dumps(
        [browser.user_id, browser.fingerprint, browser.csrf, browser.issued]).encode()).decode().rstrip("=")
    return f"{payload}.{_mac(secret, payload.encode())}"


def unsign(cookie: str | None, secret: bytes, now: float | None = None) -> BrowserSession | None:
    """The session a cookie holds; None when it is absent, tampered with, malformed or too old."""
    if not cookie or "." not in cookie:
        return None
    payload, mac = cookie.rsplit(".", 1)
    if not hmac.compare_digest(mac, _mac(secret, payload.encode())):
        return None
    try:
        user_id, print_, csrf, issued = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (ValueError, TypeError):
        return None
    if (now or time.time()) - float(issued) > MAX_AGE_SECONDS:
        return None
    return BrowserSession(user_id, print_, csrf, float(issued))


def session_user(session: Session, browser: BrowserSession | None) -> User | None:
    """The signed-in user, while their token is the one they signed in with."""
    if browser is None or browser.user_id is None:
        return None
    user = session.get(User, browser.user_id)
    if user is None or not hmac.compare_digest(fingerprint(user), browser.fingerprint):
        return None
    return user


def csrf_matches(browser: BrowserSession | None, sent: str | None) -> bool:
    return bool(browser and sent) and hmac.compare_digest(browser.csrf, sent)
