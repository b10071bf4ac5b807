"""What every page shares: the templates, who is signed in, and the role check.

A page is a thin route: ``viewer(permission)`` gives the signed-in user whose
role holds the permission (or sends them to sign in, or answers 403 with a
plain sentence), and ``render`` fills a template with the navigation their role
may follow. Services do the work, exactly as for the API: another Party's
object is not found (404), never shown. A page that changes something writes
in ``writing()``, reads its form with the API's schema (``read_form``) and
leaves an audit record (``audited``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from fastapi import Depends, HTTPException, Request, status
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from pydantic import AfterValidator, BaseModel, ValidationError
from sqlalchemy.orm import Session

from riskhub.access.principal import Principal
from riskhub.access.roles import Permission, allows
from riskhub.audit import service as audit
from riskhub.db.engine import get_engine
from riskhub.web import charts, nav
from riskhub.web.session import signed_in

M = TypeVar("M", bound=BaseModel)
# A form field's text with any NUL removed: PostgreSQL text cannot hold one, and a form
# (unlike the API's JSON) is typed by a person. Annotate a Form parameter with it.
WITHOUT_NUL = AfterValidator(lambda text: text.replace("\x00", ""))
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
templates.env.globals["chart_spec"] = charts.to_json
templates.env.globals["allows"] = allows
templates.env.globals["Permission"] = Permission


class SignInFirst(Exception):
    """Raised by a page dependency when nobody valid is signed in; answered with a redirect."""


def viewer(permission: Permission | None = None) -> Callable[..., Awaitable[Principal]]:
    """A dependency: the signed-in user, if their role holds ``permission``."""

    async def check(request: Request, user: Principal | None = Depends(signed_in)) -> Principal:
        if user is None:
            raise SignInFirst()
        request.state.page_user = user  # so that an error page still shows their navigation
        if request.method not in ("GET", "HEAD"):
            same_origin(request)
        if permission is not None and not allows(user.role, permission):
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                f"The {user.role.value} role does not open this page.",
            )
        return user

    return check


def same_origin(request: Request) -> None:
    """Refuse a form sent from another site or an opaque origin (on top of the SameSite cookie).

    Browsers send ``Origin`` with every form they post, and ``Sec-Fetch-Site``;
    a request with neither comes from a program, not from a page on another site.
    """
    origin = request.headers.get("origin")
    fetched = request.headers.get("sec-fetch-site")
    # The host only: behind a TLS proxy the app may see http while the browser says https.
    foreign = origin is not None and (
        origin == "null" or urlsplit(origin).netloc != request.url.netloc
    )
    if foreign or fetched in ("cross-site", "same-site"):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "This form was sent from another site.")


@contextmanager
def writing() -> Iterator[Session]:
    """A session committed on leaving, as the API's write session (SQLite locks at once)."""
    writer = get_engine().execution_options(sqlite_immediate=True)
    with Session(writer, expire_on_commit=False) as session, session.begin():
        yield session


def read_form(model: type[M], values: dict[str, Any]) -> M | str:
    """The form as the API's body, or the problems in plain words (shown in place, 422)."""
    try:
        return model.model_validate({k: v for k, v in values.items() if v not in ("", None)})
    except ValidationError as error:
        return "; ".join(_problem(e) for e in error.errors())


def _problem(error: Any) -> str:
    words = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "too_short" and isinstance(error.get("input"), str):
        # The schemas' text types check length after their own validator, and pydantic
        # then counts "items": a form says characters.
        words = f"should have at least {error['ctx']['min_length']} characters"
    field = ".".join(str(p) for p in error["loc"])
    return f"{field.replace('_', ' ')}: {words}" if field else words


def audited(user: Principal, action: str, obj: str, outcome: str) -> None:
    """Record a page's change in the user's Party chain (``web.<action>``), as the API's
    middleware records API calls."""
    audit.append(engine=get_engine(), party=user.party, actor=user.describe(),
                 action=f"web.{action}", object=obj, outcome=outcome, source="web")  # fmt: skip


def render(
    request: Request,
    template: str,
    user: Principal | None,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """The page ``template`` for ``user``, with the navigation their role may follow."""
    context.update(user=user, nav=nav.for_role(user.role) if user else [],
                   here=request.url.path, status_code=status_code)  # fmt: skip
    response = templates.TemplateResponse(request, template, context, status_code=status_code)
    # Pages name traders and consignments: nothing stays in the browser's cache or history.
    response.headers["Cache-Control"] = "no-store"
    return response
