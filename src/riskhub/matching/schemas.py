"""API shapes of matching findings."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from riskhub.api_types import UtcDateTime


class FindingOut(BaseModel):
    """A discrepancy between an exit and an entry declaration, as one side holds it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    party: str
    kind: str
    severity: str
    exit_party: str
    exit_reference: str
    entry_party: str
    entry_reference: str
    item_no: int
    paired_by: str
    exit_value: float | None
    entry_value: float | None
    difference_pct: float | None
    detail: str
    detected_at: UtcDateTime
    found_by: str
