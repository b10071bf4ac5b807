"""The pages' front door: sign in and out, home, static files, and page errors as pages.

Each screen lives in its own module beside this one (``action_plan``,
``queue``, ``kpis``, ``workbench``, ``models_monitor``, ``governance``,
``risks``, ``registries``, ``exchange``, ``audit``); ``install`` puts them all
into the application.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Form, Request
from fastapi.exception_handlers import (
    http_exception_handler,
    request_validation_exception_handler,
)
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from riskhub.access.principal import Principal
from riskhub.web import session as sessions
from riskhub.web.pages import SignInFirst, render, same_origin, viewer

router = APIRouter(include_in_schema=False)
_NOT_PAGES = ("/api/", "/docs", "/redoc", "/openapi.json", "/healthz", "/static/")


def _to_login() -> RedirectResponse:
    return RedirectResponse("/login", status_code=303)


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request) -> Response:
    """The sign-in form."""
    return render(request, "login.html", None, error=None)


@router.post("/login", response_model=None)
async def login(request: Request, token: Annotated[str, Form(max_length=200)]) -> Response:
    """Check the API token; on success a page session begins (the token stays out of the cookie)."""
    same_origin(request)  # nobody is signed in to another's account from another site
    secret = await run_in_threadpool(sessions.begin, token.strip(), request.client)
    if secret is None:
        error = "That token is not valid (unknown, expired or revoked)."
        return render(request, "login.html", None, status_code=401, error=error)
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(sessions.COOKIE, secret, httponly=True, samesite="strict",
                        secure=request.url.scheme == "https",
                        max_age=int(sessions.LIFETIME.total_seconds()))  # fmt: skip
    return response


@router.post("/logout", response_model=None)
async def logout(request: Request) -> Response:
    """End the page session, here and in the database."""
    same_origin(request)
    await run_in_threadpool(sessions.end, request.cookies.get(sessions.COOKIE))
    response = _to_login()
    response.delete_cookie(sessions.COOKIE)
    return response


@router.get("/", response_class=HTMLResponse)
def home(request: Request, user: Annotated[Principal, Depends(viewer())]) -> Response:
    """Who is signed in, and the pages they may open."""
    return render(request, "home.html", user)


def install(app: FastAPI) -> None:
    """Add the pages, their static files and their error pages to ``app``."""
    from riskhub.web import (
        action_plan,
        assessments,
        audit,
        exchange,
        governance,
        kpis,
        models_monitor,
        queue,
        registries,
        risks,
        training,
        workbench,
    )

    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")
    screens = (action_plan, assessments, queue, kpis, workbench, models_monitor, governance, risks,
               registries, exchange, training, audit)  # fmt: skip
    # A router of its own for each app: tests build many apps in one process.
    pages = APIRouter(include_in_schema=False)
    for module in (sys.modules[__name__], *screens):
        pages.include_router(module.router)
    app.include_router(pages)

    async def sign_in_first(request: Request, exc: Exception) -> Response:
        return _to_login()

    async def page_error(request: Request, exc: Exception) -> Response:
        if request.url.path.startswith(_NOT_PAGES):
            return await http_exception_handler(request, exc)  # type: ignore[arg-type]
        assert isinstance(exc, StarletteHTTPException)
        user = getattr(request.state, "page_user", None)
        return render(request, "error.html", user, status_code=exc.status_code,
                      message=exc.detail)  # fmt: skip

    async def page_invalid(request: Request, exc: Exception) -> Response:
        if request.url.path.startswith(_NOT_PAGES):
            return await request_validation_exception_handler(request, exc)  # type: ignore[arg-type]
        assert isinstance(exc, RequestValidationError)
        user = getattr(request.state, "page_user", None)
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'][1:])}: {e['msg']}"
                             for e in exc.errors())  # fmt: skip
        return render(request, "error.html", user, status_code=422,
                      message=f"The form was not filled in correctly: {problems}")  # fmt: skip

    app.add_exception_handler(SignInFirst, sign_in_first)
    app.add_exception_handler(StarletteHTTPException, page_error)
    app.add_exception_handler(RequestValidationError, page_invalid)
