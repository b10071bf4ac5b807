"""What hubs say to each other: one pydantic schema per message type (SEED+).

Each payload is checked against its type's schema after the signature verifies
and before anything is stored. Schemas are strict (unknown fields refused), so a
partner that sends something new gets a clear rejection instead of silent loss.
``riskhub exchange schemas`` writes them as JSON Schema for partners' developers.
No image bytes travel: a scanner result names where the image is kept.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from riskhub.db.base import naive_utc


def _moment(value: datetime) -> datetime:
    # Partners send RFC 3339 times with any offset; riskhub keeps naive UTC. A time
    # that cannot be one (year 9999 at -05:00 overflows) is refused with a reason.
    try:
        moment = naive_utc(value)
    except OverflowError as error:
        raise ValueError("is not a representable time") from error
    if not 2000 <= moment.year <= 2100:
        raise ValueError("must be between the years 2000 and 2100")
    return moment


Moment = Annotated[datetime, AfterValidator(_moment)]
Code2 = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
Office = Annotated[str, StringConstraints(pattern=r"^[A-Z0-9-]{2,17}$")]
Hs = Annotated[str, StringConstraints(pattern=r"^[0-9]{6,10}$")]
HsPrefix = Annotated[str, StringConstraints(pattern=r"^[0-9]{2,10}$")]  # a chapter, heading...
Ref = Annotated[str, StringConstraints(min_length=1, max_length=35)]
Kg = Annotated[float, Field(ge=0, le=1e7)]
Eur = Annotated[float, Field(ge=0, le=1e11)]


class MessageType(StrEnum):
    EXPORT_DECLARATION = "export_declaration"  # pre-arrival data, office of exit -> entry
    ARRIVAL_CONFIRMATION = "arrival_confirmation"
    INSPECTION_REPORT = "inspection_report"
    RIF = "rif"
    RIF_FEEDBACK = "rif_feedback"
    COMMON_PROFILE = "common_profile"
    MATCHING_FINDING = "matching_finding"
    WEIGHBRIDGE = "weighbridge_measurement"
    VAT_REFUND_CLAIM = "vat_refund_claim"
    SCANNER_RESULT = "scanner_result"
    RECEIPT = "receipt"


class _Payload(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ExportItem(_Payload):
    item_no: int = Field(ge=1, le=999)
    hs_code: Hs
    description: str | None = Field(default=None, max_length=512)
    origin_country: Code2
    net_mass: Kg
    gross_mass: Kg | None = None
    quantity: float | None = Field(default=None, ge=0)
    supplementary_unit: str | None = Field(default=None, max_length=10)
    customs_value_eur: Eur


class ExportDeclaration(_Payload):
    """An export declaration at the office of exit, sent to the Party of entry before arrival."""

    reference: Ref
    office: Office
    lodged_at: Moment
    exit_at: Moment | None = None
    destination_country: Code2
    vehicle_registration: str | None = Field(default=None, max_length=20)
    container_ids: list[str] = Field(default_factory=list, max_length=20)
    total_gross_mass: Kg | None = None
    weighbridge_mass: Kg | None = None
    exporter: str | None = Field(default=None, max_length=35)  # a pseudonym unless agreed
    items: list[ExportItem] = Field(min_length=1, max_length=999)


class ArrivalConfirmation(_Payload):
    """The goods of an export arrived at the office of entry (SEED closes the movement)."""

    export_party: Code2
    export_reference: Ref
    entry_reference: Ref
    entry_office: Office
    arrived_at: Moment


class InspectionReport(_Payload):
    """What a control of a consignment found, for the Party whose data selected it (S11)."""

    declaration_reference: Ref
    export_party: Code2 | None = None
    export_reference: Ref | None = None
    office: Office
    kind: Literal["documentary", "physical", "scan"]
    outcome: str = Field(max_length=40)
    findings: list[str] = Field(default_factory=list, max_length=20)
    inspected_at: Moment
    additional_revenue_eur: Eur | None = None


class Rif(_Payload):
    """A Risk Information Form, as shared (operators minimised)."""

    rif_id: str = Field(min_length=1, max_length=40)
    title: str = Field(min_length=1, max_length=200)
    risk_area: Literal["financial", "security", "safety_health", "environment", "ipr", "cash"]
    description: str = Field(max_length=5000)
    indicators: list[str] = Field(default_factory=list, max_length=50)
    hs_codes: list[HsPrefix] = Field(default_factory=list, max_length=100)
    urgency: Literal["routine", "urgent", "immediate"] = "routine"
    valid_until: Moment | None = None
    modus_operandi: str = Field(default="", max_length=5000)
    detection_technique: str = Field(default="", max_length=5000)
    recommended_control: str = Field(default="", max_length=5000)
    origin_country: Code2 | None = None
    dispatch_country: Code2 | None = None
    status: Literal["shared", "withdrawn"] = "shared"  # a withdrawal is a new version


class RifFeedback(_Payload):
    """A receiving Party's feedback on a RIF, back to the Party that raised it (mandatory)."""

    rif_id: str = Field(min_length=1, max_length=40)
    rif_party: Code2
    party: Code2
    control_done: bool
    outcome: Literal["no_controls", "no_irregularity", "irregularity", "seizure"]
    controls: int = Field(ge=0, le=10_000_000)
    detections: int = Field(ge=0, le=10_000_000)
    value_detected_eur: Eur | None = None
    comment: str = Field(default="", max_length=5000)
    given_at: Moment


class CommonProfile(_Payload):
    """A common risk profile published, updated or withdrawn by its owner."""

    code: str = Field(pattern=r"^[A-Z0-9][A-Z0-9._-]{2,39}$")
    action: Literal["publish", "update", "withdraw"]
    version: int = Field(ge=1)
    document: dict[str, Any] | None = None  # the profile as its YAML source parses
    reason: str | None = Field(default=None, max_length=2000)


class MatchingFinding(_Payload):
    """A discrepancy between an exit and an entry declaration, shared with both sides."""

    kind: str = Field(max_length=30)
    severity: Literal["warning", "high"]
    exit_party: Code2
    exit_reference: Ref
    entry_party: Code2 | None = None
    entry_reference: Ref | None = None
    item_no: int | None = None
    paired_by: str | None = Field(default=None, max_length=20)
    exit_value: float | None = None
    entry_value: float | None = None
    difference_pct: float | None = None
    detail: str = Field(max_length=500)
    detected_at: Moment


class WeighbridgeMeasurement(_Payload):
    office: Office
    vehicle_registration: str = Field(min_length=1, max_length=20)
    declaration_reference: Ref | None = None
    measured_at: Moment
    mass_kg: Kg


class VatRefundClaim(_Payload):
    """A VAT refund claimed on an export, from the tax administration to customs."""

    claim_id: str = Field(min_length=1, max_length=40)
    export_reference: Ref
    exporter: str = Field(min_length=1, max_length=35)
    amount_eur: Eur
    claimed_at: Moment


class ScannerResult(_Payload):
    office: Office
    declaration_reference: Ref
    scanned_at: Moment
    image_reference: str = Field(min_length=1, max_length=200)  # where the image is kept
    conclusion: Literal["clear", "suspicious", "anomaly"]
    analyst_comment: str | None = Field(default=None, max_length=1000)


class Receipt(_Payload):
    """The receiver's signed answer to one message; a message is delivered when this verifies."""

    message_id: str | None = Field(default=None, max_length=36)
    token_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    status: Literal["applied", "duplicate", "rejected"]
    code: str | None = Field(default=None, max_length=20)  # why it was rejected, for machines
    reason: str | None = Field(default=None, max_length=300)
    received_at: Moment


PAYLOADS: dict[MessageType, type[_Payload]] = {
    MessageType.EXPORT_DECLARATION: ExportDeclaration,
    MessageType.ARRIVAL_CONFIRMATION: ArrivalConfirmation,
    MessageType.INSPECTION_REPORT: InspectionReport,
    MessageType.RIF: Rif,
    MessageType.RIF_FEEDBACK: RifFeedback,
    MessageType.COMMON_PROFILE: CommonProfile,
    MessageType.MATCHING_FINDING: MatchingFinding,
    MessageType.WEIGHBRIDGE: WeighbridgeMeasurement,
    MessageType.VAT_REFUND_CLAIM: VatRefundClaim,
    MessageType.SCANNER_RESULT: ScannerResult,
    MessageType.RECEIPT: Receipt,
}


def key_of(kind: MessageType, payload: BaseModel) -> str:
    """What identifies the business object a message is about, for replacing older versions."""
    match payload:
        case ExportDeclaration(reference=ref) | ArrivalConfirmation(export_reference=ref):
            return ref
        case InspectionReport(declaration_reference=ref) | ScannerResult(declaration_reference=ref):
            return ref
        case Rif(rif_id=key) | CommonProfile(code=key) | VatRefundClaim(claim_id=key):
            return key
        case RifFeedback() as f:
            return f"{f.rif_id}:{f.party}"
        case MatchingFinding() as f:
            entry = f"{f.entry_reference or ''}:{f.item_no or 0}"
            return f"{f.kind}:{f.exit_party}/{f.exit_reference}:{entry}"
        case WeighbridgeMeasurement() as w:
            return f"{w.office}:{w.vehicle_registration}:{w.measured_at.isoformat()}"
    raise ValueError(f"no key for {kind}")


def json_schemas() -> dict[str, Any]:
    """Every message type's payload schema, keyed by type (for the docs and partners)."""
    return {kind.value: model.model_json_schema() for kind, model in PAYLOADS.items()}
