"""The caller of an API request, and the one dependency every route uses to get it.

For now a caller presents a bearer token that the operator configured in
``RISKHUB_API_TOKENS`` as ``{"token": "PARTY"}``; users, roles and hashed,
revocable tokens stored in the database replace this source without changing
the routes, which only ever see a ``Principal``.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from fastapi import Depends, HTTPException, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from riskhub.settings import Settings, get_settings

_bearer = HTTPBearer(auto_error=False, description="API token of your administration")


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller acting for one Party."""

    party: str


def current_principal(
    credentials: HTTPAuthorizationCredentials | None = Depends(_bearer),
    settings: Settings = Depends(get_settings),
) -> Principal:
    """The caller, or 401 when the request carries no valid token."""
    if credentials is not None and credentials.scheme.lower() == "bearer":
        presented = credentials.credentials.encode()
        for token, party in settings.api_tokens.items():
            if hmac.compare_digest(presented, token.encode()):
                return Principal(party=party.upper())
    raise HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED,
        detail="a valid API token is required: send 'Authorization: Bearer <token>'",
        headers={"WWW-Authenticate": "Bearer"},
    )
