"""Users and their tokens. A token is random, shown once, and stored as its SHA-256, so the
database alone never lets anyone sign in; it is never written to a log."""
from __future__ import annotations

import csv
import hashlib
import io
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from autograder.server.db.models import STAFF, STUDENT, User
from autograder.server.services.errors import BadRequest, Unauthorized

LOGIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@+-]{0,199}")


def new_token() -> str:
    return "dlsys_" + secrets.token_urlsafe(24)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_user(session: Session, login: str, name: str, role: str, *, email: str | None = None,
                sis_id: str | None = None, section: str | None = None) -> tuple[User, str]:
    """A new user and their token (the only time it exists in clear)."""
    if role not in (STUDENT, STAFF):
        raise BadRequest(f"role must be {STUDENT!r} or {STAFF!r}, not {role!r}")
    if not LOGIN.fullmatch(login or ""):
        raise BadRequest(f"login {login!r}: use letters, digits and . _ @ + - (at most 200)")
    if session.scalar(select(User).where(User.login == login)) is not None:
        raise BadRequest(f"login {login!r} is taken")
    token = new_token()
    user = User(login=login, name=name or login, role=role, email=email, sis_id=sis_id, section=section,
                token_hash=hash_token(token), created_at=datetime.now(timezone.utc))
    session.add(user)
    session.flush()
    return user, token


def user_for_token(session: Session, token: str | None) -> User:
    """The user a bearer token belongs to, or Unauthorized saying what is wrong."""
    if not token:
        raise Unauthorized("no token: send `Authorization: Bearer <your token>` (dlsys login stores it for you)")
    user = session.scalar(select(User).where(User.token_hash == hash_token(token)))
    if user is None:
        raise Unauthorized("this token is not valid: ask course staff for yours, then run dlsys login again")
    return user


ROSTER_COLUMNS = ("login", "name", "email", "sis_id", "section")


@dataclass
class RosterResult:
    created: list[tuple[User, str]]  # each new student and their token, shown once
    existing: list[str]  # logins already on the roster, left as they are


def import_roster(session: Session, csv_text: str) -> RosterResult:
    """Students from a CSV with a header row: `login` (required), `name`, `email`, `sis_id`,
    `section`. A login already present is skipped; a bad row refuses the whole file."""
    reader = csv.DictReader(io.StringIO(csv_text))
    if not reader.fieldnames or "login" not in [f.strip() for f in reader.fieldnames]:
        raise BadRequest(f"the roster needs a header row with a login column (and any of {', '.join(ROSTER_COLUMNS[1:])})")
    rows = []
    for row in reader:
        number = reader.line_num  # the file's own line, blank lines counted
        if None in row:  # more fields than the header names: a name with an unquoted comma, say
            fields = len(reader.fieldnames) + len(row[None])
            raise BadRequest(f"roster line {number} has {fields} fields, the header {len(reader.fieldnames)} "
                             f"(put a value that holds a comma in double quotes)")
        row = {(k or "").strip(): (v or "").strip() for k, v in row.items()}
        if not LOGIN.fullmatch(row.get("login", "")):
            raise BadRequest(f"roster line {number}: login {row.get('login')!r} is not a valid login")
        rows.append(row)
    logins = [row["login"] for row in rows]
    duplicated = sorted({login for login in logins if logins.count(login) > 1})
    if duplicated:
        raise BadRequest(f"the roster lists {', '.join(duplicated)} more than once")
    result = RosterResult([], [])
    for row in rows:
        if session.scalar(select(User).where(User.login == row["login"])) is not None:
            result.existing.append(row["login"])
            continue
        result.created.append(create_user(session, row["login"], row.get("name") or row["login"], STUDENT,
                                          email=row.get("email") or None, sis_id=row.get("sis_id") or None,
                                          section=row.get("section") or None))
    return result
