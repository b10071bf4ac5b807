"""API shape of audit records."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class AuditRecordOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    party: str
    seq: int
    at: datetime
    actor: str
    action: str
    object: str | None
    outcome: str
    source: str | None
    hash: str
