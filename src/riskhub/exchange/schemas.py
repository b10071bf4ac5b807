"""API shapes of the exchange: pushes and their receipts, the pull inbox, the monitor."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from riskhub.api_types import UtcDateTime

Token = Annotated[str, StringConstraints(min_length=1, max_length=4 * 1024 * 1024)]


class MessagesIn(BaseModel):
    """Signed messages pushed by a partner node (the signatures authenticate it)."""

    model_config = ConfigDict(extra="forbid")
    messages: list[Token] = Field(min_length=1, max_length=500)


class ReceiptsOut(BaseModel):
    """One signed receipt per message, in the order sent."""

    receipts: list[str]
    applied: int
    duplicate: int
    rejected: int


class PulledMessage(BaseModel):
    cursor: int
    token: str


class InboxOut(BaseModel):
    """Messages waiting for the caller's node; ask again with ``since=next_cursor``."""

    messages: list[PulledMessage]
    next_cursor: int


class ReceiptsIn(BaseModel):
    """The puller's signed receipts for the messages it took."""

    model_config = ConfigDict(extra="forbid")
    receipts: list[Token] = Field(min_length=1, max_length=500)


class ReceiptsAck(BaseModel):
    settled: int
    problems: list[str]


class Failing(BaseModel):
    receiver_node: str
    type: str
    attempts: int
    last_error: str | None
    next_attempt_at: UtcDateTime


class StatusOut(BaseModel):
    """The caller's Party's exchange at a glance: what waits, what failed, what came in."""

    node: str
    kid: str
    outbox: dict[str, int]
    inbox: dict[str, int]
    documents: dict[str, int]
    failing: list[Failing]


class DocumentOut(BaseModel):
    """Something a partner shared with the caller's Party: its latest version."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    type: str
    sender_party: str
    origin_node: str
    key: str
    distribution: str
    tlp: str
    payload: dict[str, Any]
    sent_at: UtcDateTime
    received_at: UtcDateTime
    withdrawn_at: UtcDateTime | None
