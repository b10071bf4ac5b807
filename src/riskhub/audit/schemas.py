"""API shape of audit records."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from riskhub.api_types import UtcDateTime


class AuditRecordOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    party: str
    seq: int
    at: UtcDateTime
    actor: str
    action: str
    object: str | None
    outcome: str
    source: str | None
    hash: str
