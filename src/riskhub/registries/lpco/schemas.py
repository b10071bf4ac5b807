"""What the API takes and gives about LPCOs: issue, change of status, history, drawdowns."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from riskhub.api_types import PlainText, UtcDateTime

LpcoKind = Literal["licence", "permit", "certificate", "other"]
Unit = Literal["kg", "eur", "units"]
Number = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9][A-Za-z0-9./_-]{0,34}$")
]
Trader = Annotated[PlainText, StringConstraints(strip_whitespace=True, min_length=1, max_length=35)]
HsPrefix = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9]{2,10}$")]


class LpcoIn(BaseModel):
    """An LPCO as the issuing agency records it."""

    model_config = ConfigDict(extra="forbid")

    number: Number = Field(description="as declarants cite it in lpco_refs, unique per Party",
                           examples=["RS-LIC-2026-0001"])  # fmt: skip
    kind: LpcoKind
    agency: str | None = Field(
        None, max_length=24, description="the issuing agency; an agency officer's own by default"
    )
    holder: Trader = Field(description="the trader id as declared (importer, or exporter)")
    hs_scope: list[HsPrefix] = Field(
        default_factory=list, max_length=200, description="HS prefixes covered; empty: any goods"
    )
    allowance: float | None = Field(
        None, gt=0, le=1e15, description="quantity or value the LPCO allows; none: no limit"
    )
    unit: Unit | None = Field(None, description="kg (net mass), eur (customs value), units")
    valid_from: date
    valid_to: date

    @model_validator(mode="after")
    def _consistent(self) -> LpcoIn:
        if (self.allowance is None) != (self.unit is None):
            raise ValueError("allowance and unit go together: give both, or neither")
        if self.valid_to < self.valid_from:
            raise ValueError(f"valid_to {self.valid_to} is before valid_from {self.valid_from}")
        if self.valid_from.year < 2000 or self.valid_to.year > 2100:
            raise ValueError("the validity lies between the years 2000 and 2100")
        return self


class StatusChangeIn(BaseModel):
    """Why an LPCO is suspended, reinstated or revoked (kept in its history)."""

    model_config = ConfigDict(extra="forbid")

    reason: PlainText = Field(min_length=3, max_length=500,
                              examples=["holder under investigation for misuse"])  # fmt: skip


class LpcoEventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    action: str = Field(description="issue, suspend, reinstate or revoke")
    status: str = Field(description="the status after the change")
    reason: str
    actor: str
    at: UtcDateTime


class LpcoOut(BaseModel):
    """An LPCO, what is left of its allowance, and its history."""

    id: int
    party: str
    number: str
    kind: str
    agency: str
    holder: str
    hs_scope: list[str]
    allowance: float | None
    unit: str | None
    used: float
    left: float | None = Field(description="allowance minus used; none without an allowance")
    valid_from: date
    valid_to: date
    status: str = Field(description="active, suspended or revoked")
    issued_by: str
    history: list[LpcoEventOut] = Field(default_factory=list)


class DrawdownOut(BaseModel):
    """What one goods item of a declaration drew from the allowance."""

    model_config = ConfigDict(from_attributes=True)

    reference: str
    item_no: int
    declaration_id: int
    declaration_version: int
    amount: float
    drawn_at: UtcDateTime
