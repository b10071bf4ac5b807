"""The caller of an API request, and the dependencies every route uses to get and check it.

``current_principal`` reads the bearer token, finds its user inside the token's
Party, and makes the rest of the request act for that Party (row-level security
on PostgreSQL). ``require(permission)`` adds the role check. A caller without a
valid token gets 401; a role without the permission gets 403; another Party's
object is simply not found (404), which the services guarantee.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from riskhub.access.roles import Permission, Role, allows
from riskhub.db import tenancy
from riskhub.db.base import utcnow

_bearer = HTTPBearer(auto_error=False, description="API token: rh.<PARTY>.<id>.<secret>")


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated user acting for one Party in one role."""

    user_id: int
    party: str
    role: Role
    name: str
    offices: tuple[str, ...] = ()
    agency: str | None = None

    def describe(self) -> str:
        return f"user:{self.user_id} ({self.role.value})"


def _unauthorized() -> HTTPException:
    return HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED,
        detail="a valid API token is required: send 'Authorization: Bearer <token>'",
        headers={"WWW-Authenticate": "Bearer"},
    )


async def current_principal(
    request: Request,
    credentials: HTTPAuthorizationCredentials | None = Depends(_bearer),
) -> Principal:
    """The caller, or 401 when the request carries no valid token."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise _unauthorized()
    principal = await run_in_threadpool(authenticate_token, credentials.credentials)
    if principal is None:
        raise _unauthorized()
    # Async, so that these reach the route and the transactions it begins.
    tenancy.set_party(principal.party)
    request.state.principal = principal
    return principal


def authenticate_token(token: str) -> Principal | None:
    """The user behind ``token`` (for the API and the pages alike); None if it is not valid."""
    from sqlalchemy.orm import Session

    from riskhub.access import service, tokens
    from riskhub.db.engine import get_engine

    parts = tokens.parse_token(token)
    if parts is None:
        return None
    with tenancy.acting_for(parts.party), Session(get_engine()) as session:
        return service.authenticate(session=session, token=token, now=utcnow())


def require(permission: Permission) -> Callable[..., Awaitable[Principal]]:
    """A dependency: the caller, if their role holds ``permission``; else 403."""

    async def check(principal: Principal = Depends(current_principal)) -> Principal:
        if not allows(principal.role, permission):
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                f"the {principal.role.value} role may not do this ({permission.value})",
            )
        return principal

    return check


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
