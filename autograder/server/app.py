"""The FastAPI app: `create_app(service)` wires the routes, the refusals and the workers' lifespan.

    uvicorn "autograder.server.app:app_from_environment" --factory    # what `dlsys serve` runs
"""
from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from autograder.server.api import router
from autograder.server.api.deps import RateLimiter
from autograder.server.runtime import Service
from autograder.server.services.errors import ServiceError
from autograder.server.settings import Settings


def create_app(service: Service) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        service.start()
        try:
            yield
        finally:
            service.stop()

    app = FastAPI(title="dlsys grading service", version="1",
                  description="Submissions, grading and grades for the Deep Learning Systems course.",
                  lifespan=lifespan)
    app.state.service = service
    app.state.rate_limiter = RateLimiter(service.settings.rate_limit_per_minute)
    app.include_router(router)

    @app.exception_handler(ServiceError)
    async def refused(_request: Request, error: ServiceError):
        return JSONResponse({"detail": error.message}, status_code=error.status, headers=error.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(_request: Request, error: RequestValidationError):
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'][1:]) or 'body'}: {e['msg']}" for e in error.errors())
        return JSONResponse({"detail": problems}, status_code=422)

    @app.get("/api/v1/health", tags=["service"])
    def health():
        return {"ok": True, "grading": service.no_sandbox is None}

    return app


def app_from_environment() -> FastAPI:
    """The app on the Settings the environment gives (uvicorn's --factory)."""
    return create_app(Service(Settings()))
