"""Refusals the services raise; each carries the HTTP status the routes answer with and a
sentence for the user. Nothing is stored when one is raised."""
from __future__ import annotations


class ServiceError(Exception):
    status = 400

    def __init__(self, message: str, *, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.message = message
        self.headers = headers or {}


class BadRequest(ServiceError):
    status = 400


class Unauthorized(ServiceError):
    status = 401


class Forbidden(ServiceError):
    status = 403


class NotFound(ServiceError):
    status = 404


class Conflict(ServiceError):
    status = 409


class TooLarge(ServiceError):
    status = 413


class TooMany(ServiceError):
    status = 429
