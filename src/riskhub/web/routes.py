"""The pages: sign in and out, home, and the Action Plan tracker (S5)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from riskhub.access.principal import Principal, authenticate_token
from riskhub.access.roles import Permission, allows
from riskhub.actionplan import activities, measures
from riskhub.audit import service as audit
from riskhub.db.engine import get_engine
from riskhub.web.session import COOKIE, signed_in

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
SignedIn = Annotated[Principal | None, Depends(signed_in)]


def _to_login() -> RedirectResponse:
    return RedirectResponse("/login", status_code=303)


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request) -> Response:
    """The sign-in form."""
    return templates.TemplateResponse(request, "login.html", {"error": None, "user": None})


@router.post("/login", response_model=None)
async def login(request: Request, token: Annotated[str, Form(max_length=200)]) -> Response:
    """Check the token as the API does; on success the session cookie is set."""
    principal = await run_in_threadpool(authenticate_token, token.strip())
    await run_in_threadpool(
        audit.append, engine=get_engine(), party=principal.party if principal else None,
        actor=principal.describe() if principal else "anonymous", action="web.login",
        object="session", outcome="signed in" if principal else "refused", source="web",
    )  # fmt: skip
    if principal is None:
        context = {"error": "That token is not valid (unknown, expired or revoked).", "user": None}
        return templates.TemplateResponse(request, "login.html", context, status_code=401)
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(COOKIE, token.strip(), httponly=True, samesite="strict",
                        secure=request.url.scheme == "https")  # fmt: skip
    return response


@router.post("/logout", response_model=None)
def logout() -> Response:
    """Forget the session cookie."""
    response = _to_login()
    response.delete_cookie(COOKIE)
    return response


@router.get("/", response_class=HTMLResponse, response_model=None)
def home(request: Request, user: SignedIn) -> Response:
    """Who is signed in, and the pages they may open."""
    if user is None:
        return _to_login()
    return templates.TemplateResponse(request, "home.html", {"user": user})


@router.get("/action-plan", response_class=HTMLResponse, response_model=None)
def action_plan(request: Request, user: SignedIn) -> Response:
    """The 30 activities with their KPIs; measured values for those who read aggregates."""
    if user is None:
        return _to_login()
    measured: dict[str, Any] = {}
    if allows(user.role, Permission.AGGREGATES_READ):
        measured = measures.measure_all(engine=get_engine(), today=date.today())
    context = {"user": user, "plan": activities.load(), "measured": measured}
    return templates.TemplateResponse(request, "action_plan.html", context)
