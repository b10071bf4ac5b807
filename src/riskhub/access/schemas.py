"""API shapes of users, tokens and reference data."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from riskhub.access.roles import Role
from riskhub.api_types import PlainText, UtcDateTime


class MeOut(BaseModel):
    user_id: int
    party: str
    role: Role
    name: str
    offices: list[str]
    agency: str | None
    permissions: list[str]


class PartyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    name: str
    kind: str


class UserIn(BaseModel):
    """A new user of the caller's own Party; the Party is never taken from the body."""

    model_config = ConfigDict(extra="forbid")

    name: PlainText = Field(min_length=1, max_length=80)
    role: Role
    offices: list[PlainText] = Field(default_factory=list, description="officers: their offices")
    agency: PlainText | None = Field(default=None, description="agency officers: their agency")


class RoleChangeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Role
    offices: list[PlainText] = Field(default_factory=list, description="officers: their offices")
    agency: PlainText | None = Field(default=None, description="agency officers: their agency")


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    party: str
    name: str
    role: str
    offices: str | None
    agency: str | None
    disabled: bool
    created_at: UtcDateTime


class TokenOut(BaseModel):
    token: str = Field(description="shown once; only a hash is kept")
    expires_at: UtcDateTime
