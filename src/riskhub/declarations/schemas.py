"""API shapes of declarations: what a caller sends and what riskhub answers."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from riskhub.api_types import UtcDateTime
from riskhub.selectivity.schemas import DecisionOut


class ItemIn(BaseModel):
    """A goods item as submitted. Values are checked by riskhub's validator, not here."""

    item_no: int = Field(ge=1, description="goods item sequence number, from 1")
    hs_code: str = Field(description="commodity code, 6 to 10 digits", examples=["847130"])
    description: str | None = None
    origin_country: str = Field(description="ISO 3166 alpha-2 country of origin")
    preferential_origin: bool | None = None
    net_mass: float = Field(description="kg")
    gross_mass: float | None = Field(default=None, description="kg")
    quantity: float | None = None
    supplementary_unit: str | None = None
    customs_value_eur: float
    duty_rate: float | None = Field(default=None, description="percent")
    lpco_refs: list[str] | None = Field(default=None, description="licences and certificates")
    known_outcome: str | None = Field(
        default=None, description="already-known control result: 'compliant' or the kind"
    )
    known_critical: bool | None = None
    known_revenue_eur: float | None = Field(
        default=None, description="duty and taxes recovered by the control, EUR (0 or more)"
    )


class DeclarationIn(BaseModel):
    """A declaration with its goods items (WCO Data Model / EU H1 subset)."""

    party: str | None = Field(default=None, description="defaults to the caller's Party")
    reference: str = Field(max_length=35, description="LRN/MRN, unique per Party")
    direction: Literal["IMPORT", "EXPORT", "TRANSIT"]
    procedure_code: str | None = Field(default=None, examples=["4000"])
    office: str = Field(examples=["RS-PRE"])
    lodged_at: datetime
    arrival_at: datetime | None = None
    declarant: str
    importer: str | None = None
    exporter: str | None = None
    seller: str | None = None
    carrier: str | None = None
    dispatch_country: str | None = None
    destination_country: str
    transport_mode: int | None = Field(default=None, ge=1, le=9)
    vehicle_registration: str | None = None
    container_ids: list[str] | None = None
    incoterm: str | None = None
    invoice_currency: str | None = None
    total_gross_mass: float | None = None
    weighbridge_mass: float | None = None
    export_reference: str | None = None
    extra: dict[str, object] | None = None
    items: list[ItemIn] = Field(min_length=1)


class DeclarationBatchIn(BaseModel):
    declarations: list[DeclarationIn]


class ProblemOut(BaseModel):
    location: str = Field(examples=["declarations[3] item 2"])
    field: str = Field(examples=["net_mass"])
    reason: str = Field(examples=["negative mass: -5.0 kg"])


class DeclarationStatus(BaseModel):
    reference: str
    id: int
    version: int
    status: Literal["stored", "amended", "unchanged"]
    decision: DecisionOut | None = Field(
        None, description="the channel given to this version (none if it could not be decided)"
    )


class IngestResult(BaseModel):
    """What a submission did: counts, each accepted declaration, and every problem."""

    stored: int
    amended: int
    unchanged: int
    items: int
    rejected_rows: int
    declarations: list[DeclarationStatus]
    problems: list[ProblemOut]


class ItemOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    item_no: int
    hs_code: str
    description: str | None
    origin_country: str
    preferential_origin: bool | None
    net_mass: float
    gross_mass: float | None
    quantity: float | None
    supplementary_unit: str | None
    customs_value_eur: float
    duty_rate: float | None
    lpco_refs: str | None


class KnownOutcomeOut(BaseModel):
    """A control result that came with the declaration (labelled data sets)."""

    model_config = ConfigDict(from_attributes=True)

    item_no: int
    outcome: str | None
    critical: bool | None
    revenue_eur: float | None


class VersionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    version: int
    superseded_at: UtcDateTime


class DeclarationSummaryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    party: str
    reference: str
    version: int
    direction: str
    office: str
    lodged_at: UtcDateTime
    declarant: str
    importer: str | None
    exporter: str | None


class DeclarationOut(DeclarationSummaryOut):
    procedure_code: str | None
    arrival_at: UtcDateTime | None
    seller: str | None
    carrier: str | None
    dispatch_country: str | None
    destination_country: str
    transport_mode: int | None
    vehicle_registration: str | None
    container_ids: str | None
    incoterm: str | None
    invoice_currency: str | None
    total_gross_mass: float | None
    weighbridge_mass: float | None
    export_reference: str | None
    extra: str | None
    created_at: UtcDateTime
    updated_at: UtcDateTime
    items: list[ItemOut]
    outcomes: list[KnownOutcomeOut] = Field(description="known control results, by item")
    versions: list[VersionOut] = Field(description="earlier versions, kept on amendment")


class PartyCountsOut(BaseModel):
    party: str
    declarations: int
    items: int
