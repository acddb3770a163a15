"""The FastAPI app: `create_app(service)` wires the routes, the refusals and the workers' lifespan.

    uvicorn "autograder.server.app:app_from_environment" --factory    # what `dlsys serve` runs
"""
from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse

from autograder.server.api import router
from autograder.server.api.deps import RateLimiter
from autograder.server.runtime import Service
from autograder.server.services.errors import ServiceError
from autograder.server.settings import Settings
from autograder.server.web import router as pages
from autograder.server.web import static_files
from autograder.server.web.pages import SignInNeeded, error_page, sign_in_redirect


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
    app.include_router(pages)
    app.mount("/static", static_files(), name="static")

    @app.exception_handler(ServiceError)
    async def refused(request: Request, error: ServiceError):
        """JSON for the API; a page for a browser (a 403 or 404 page says no more than the API)."""
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": error.message}, status_code=error.status, headers=error.headers)
        page = error_page(request, service, error)
        page.headers.update(error.headers)
        return page

    @app.exception_handler(SignInNeeded)
    async def sign_in_first(_request: Request, needed: SignInNeeded):
        return RedirectResponse(sign_in_redirect(needed.next_path), status_code=303)

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
