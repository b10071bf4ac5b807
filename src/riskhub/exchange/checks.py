"""Who may say what: each message type's content must fit the Party that sent it.

A valid signature proves which node sent a message; it does not make the node
an authority on everything. Serbia's hub may send Serbia's exports, not
Albania's; only the Party of entry confirms an arrival or reports a control of
someone else's export; a finding is about a declaration of the Party it is sent
to. Office codes begin with their Party's code (``RS-PRE``), which is what ties
an office to a sender. Anything else is refused as ``wrong_sender``.
"""

from __future__ import annotations

from collections.abc import Collection

from pydantic import BaseModel

from riskhub.exchange.messages import (
    ArrivalConfirmation,
    CommonProfile,
    ExportDeclaration,
    InspectionReport,
    MatchingFinding,
    RifFeedback,
    ScannerResult,
    VatRefundClaim,
    WeighbridgeMeasurement,
)
from riskhub.reference.parties import SECRETARIAT_PARTY


def sender_may_say(payload: BaseModel, party: str, receivers: Collection[str]) -> str | None:
    """Why ``party`` may not send ``payload`` to ``receivers``; None when it may."""
    match payload:
        case ExportDeclaration():
            if not _own_office(payload.office, party):
                return f"{party} sent an export lodged at {payload.office}, another Party's office"
            if payload.destination_country not in receivers:
                return f"an export to {payload.destination_country} sent to other Parties"
        case ArrivalConfirmation():
            if payload.export_party == party or payload.export_party not in receivers:
                return "an arrival is confirmed by the Party of entry to the Party of exit"
            if not _own_office(payload.entry_office, party):
                return f"{party} confirmed an arrival at {payload.entry_office}, not its office"
        case InspectionReport():
            if payload.export_party == party or payload.export_party not in receivers:
                return "a control report goes from the Party of entry to the Party of exit"
            if not _own_office(payload.office, party):
                return f"{party} reported a control at {payload.office}, not its office"
        case MatchingFinding():
            if payload.exit_party not in receivers and payload.entry_party not in receivers:
                return "a finding goes to a Party whose declaration it is about"
            # A missing entry names the Party it was due at (the sender); the receiver
            # checks that its export really went there before keeping it.
            if party not in (payload.exit_party, payload.entry_party):
                return f"{party} is neither side of the declarations the finding is about"
        case RifFeedback():
            if payload.party != party:
                return f"{party} sent feedback in the name of {payload.party}"
            if payload.rif_party == party or set(receivers) != {payload.rif_party}:
                return "feedback on a RIF goes back to the Party that raised it, and only there"
        case CommonProfile():
            if party != SECRETARIAT_PARTY:
                return f"{party} sent a common profile; only the RMWG ({SECRETARIAT_PARTY}) does"
        case VatRefundClaim():
            if set(receivers) != {party}:
                return "a VAT refund claim goes to the customs of the same Party only"
        case WeighbridgeMeasurement() | ScannerResult():
            if not _own_office(payload.office, party):
                return f"{party} reported a measurement at {payload.office}, not its office"
    return None


def _own_office(office: str, party: str) -> bool:
    return office[:2] == party
