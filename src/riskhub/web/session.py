"""Who is signed in to the pages: the same users, tokens and roles as the API.

A user signs in with their API token. The hub checks it exactly as the API
does and begins a page session: a row in ``web_sessions`` and a random secret
in an HttpOnly, SameSite=Strict cookie (``ws.<PARTY>.<id>.<secret>``; the
Party lets the row be found under row-level security, as for tokens). The API
token never sits in the browser. Every page checks the session, its token and
its user again, so revoking a token or disabling a user signs them out at
once; signing out ends the row. Nothing is kept in a worker's memory.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import timedelta
from typing import Any

from fastapi import Request
from sqlalchemy import select, update
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from riskhub.access import service as access
from riskhub.access.models import ApiToken, User
from riskhub.access.principal import Principal, authenticate_token
from riskhub.access.tokens import parse_token
from riskhub.audit import service as audit
from riskhub.db import tenancy
from riskhub.db.base import utcnow
from riskhub.db.engine import get_engine
from riskhub.web.models import WebSession

COOKIE = "riskhub_session"
LIFETIME = timedelta(hours=12)  # one working shift, then sign in again
_COOKIE = re.compile(r"ws\.([A-Z]{2})\.([1-9][0-9]{0,17})\.([A-Za-z0-9_-]{43})")


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def begin(token: str, client: Any = None) -> str | None:
    """A new session's cookie value for a valid API token, or None; both outcomes are audited."""
    principal = authenticate_token(token)
    parts = parse_token(token)
    where = f" from {client.host}" if client is not None else ""
    if principal is None or parts is None:
        audit.append(engine=get_engine(), party=None, actor="anonymous", action="web.login",
                     object="session", outcome=f"refused{where}", source="web")  # fmt: skip
        return None
    secret = secrets.token_urlsafe(32)
    now = utcnow()
    with tenancy.acting_for(principal.party), Session(get_engine()) as session, session.begin():
        row = WebSession(party=principal.party, user_id=principal.user_id,
                         token_id=parts.token_id, secret_hash=_digest(secret), created_at=now,
                         expires_at=now + LIFETIME)  # fmt: skip
        session.add(row)
        session.flush()
        session_id = row.id
    audit.append(engine=get_engine(), party=principal.party, actor=principal.describe(),
                 action="web.login", object=f"web_session:{session_id}",
                 outcome=f"signed in{where}", source="web")  # fmt: skip
    return f"ws.{principal.party}.{session_id}.{secret}"


def check(value: str) -> Principal | None:
    """The user of a live session, or None (unknown, forged, ended, expired, token or user gone)."""
    found = _COOKIE.fullmatch(value)
    if found is None:
        return None
    party, session_id, secret = found.group(1), int(found.group(2)), found.group(3)
    now = utcnow()
    with tenancy.acting_for(party), Session(get_engine()) as session:
        row = session.execute(
            select(WebSession, User, ApiToken)
            .join(User, User.id == WebSession.user_id)
            .join(ApiToken, ApiToken.id == WebSession.token_id)
            .where(WebSession.id == session_id, WebSession.party == party)
        ).one_or_none()
        if row is None:
            return None
        web, user, token = row
        if not hmac.compare_digest(web.secret_hash, _digest(secret)):
            return None
        if web.ended_at is not None or web.expires_at <= now:
            return None
        if token.revoked_at is not None or token.expires_at <= now or user.disabled:
            return None
        return access.principal_of(user)


def end(value: str | None) -> None:
    """End the session behind a cookie value, if it is one (signing out twice is harmless)."""
    found = _COOKIE.fullmatch(value or "")
    if found is None:
        return
    party, session_id, secret = found.group(1), int(found.group(2)), found.group(3)
    # Whoever holds the secret ends the row, even when its token or user is no longer valid:
    # the row must not come back to life if the user is enabled again.
    with tenancy.acting_for(party), Session(get_engine()) as session, session.begin():
        ended = session.scalar(
            update(WebSession)
            .where(WebSession.id == session_id, WebSession.party == party,
                   WebSession.secret_hash == _digest(secret), WebSession.ended_at.is_(None))
            .values(ended_at=utcnow())
            .returning(WebSession.id)
        )  # fmt: skip
    if ended is None:
        return
    audit.append(engine=get_engine(), party=party, actor=f"web_session:{session_id}",
                 action="web.logout", object=f"web_session:{session_id}", outcome="signed out",
                 source="web")  # fmt: skip


async def signed_in(request: Request) -> Principal | None:
    """The user behind the page's session cookie, acting for their Party; None if none valid."""
    value = request.cookies.get(COOKIE)
    if not value or len(value) > 120:
        return None
    principal = await run_in_threadpool(check, value)
    if principal is not None:
        tenancy.set_party(principal.party)
    return principal
