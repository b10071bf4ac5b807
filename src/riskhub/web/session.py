"""Who is signed in to the pages: the same users, tokens and roles as the API.

A user signs in with their API token; the page session is that token in an
HttpOnly, SameSite=Strict cookie, checked on every page exactly as the API
checks it (expired, revoked or disabled: signed out). Nothing else is kept, so
any API worker serves any page.
"""

from __future__ import annotations

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from riskhub.access.principal import Principal, authenticate_token
from riskhub.db import tenancy

COOKIE = "riskhub_session"


async def signed_in(request: Request) -> Principal | None:
    """The user behind the page's session cookie, acting for their Party; None if none valid."""
    token = request.cookies.get(COOKIE)
    if not token or len(token) > 200:
        return None
    principal = await run_in_threadpool(authenticate_token, token)
    if principal is not None:
        tenancy.set_party(principal.party)
    return principal
