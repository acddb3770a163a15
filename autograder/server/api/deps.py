"""Dependencies the routes declare: the service, a database session, the signed-in user (a
bearer token; staff for staff routes), and a per-user (or per-address) rate limit."""
from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from autograder.server.db.models import STAFF, User
from autograder.server.runtime import Service
from autograder.server.services.accounts import user_for_token
from autograder.server.services.errors import Forbidden, TooMany, Unauthorized


def service(request: Request) -> Service:
    return request.app.state.service


def session(service: Annotated[Service, Depends(service)]):
    with service.factory() as db:
        yield db


class RateLimiter:
    """At most `per_minute` requests in any 60 s per key (a sliding window kept in memory). Keys
    quiet for a minute are forgotten now and then, so guessing from many addresses cannot grow
    the table without end."""

    WINDOW = 60.0

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic):
        self.per_minute, self.clock = per_minute, clock
        self.seen: dict[str, deque] = defaultdict(deque)
        self.lock = threading.Lock()
        self.swept = clock()

    def check(self, key: str) -> None:
        now = self.clock()
        with self.lock:
            if now - self.swept > self.WINDOW:
                self.seen = defaultdict(deque, {k: t for k, t in self.seen.items() if t and now - t[-1] <= self.WINDOW})
                self.swept = now
            times = self.seen[key]
            while times and now - times[0] > self.WINDOW:
                times.popleft()
            if len(times) >= self.per_minute:
                wait = int(self.WINDOW - (now - times[0])) + 1
                raise TooMany(f"too many requests: at most {self.per_minute} a minute; try again in {wait} s",
                              headers={"Retry-After": str(wait)})
            times.append(now)


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


def current_user(request: Request, db: Annotated[Session, Depends(session)],
                 service: Annotated[Service, Depends(service)]) -> User:
    """The user behind the bearer token (401 otherwise), within their rate limit (429)."""
    limiter: RateLimiter = request.app.state.rate_limiter
    try:
        user = user_for_token(db, bearer_token(request))
    except Unauthorized:  # limited by address, so tokens cannot be guessed at speed
        limiter.check(f"address:{request.client.host if request.client else '?'}")
        raise
    limiter.check(f"user:{user.id}")
    return user


def staff_user(user: Annotated[User, Depends(current_user)]) -> User:
    if user.role != STAFF:
        raise Forbidden("this is a staff route; your token is a student's")
    return user


Db = Annotated[Session, Depends(session)]
CurrentUser = Annotated[User, Depends(current_user)]
StaffUser = Annotated[User, Depends(staff_user)]
TheService = Annotated[Service, Depends(service)]
