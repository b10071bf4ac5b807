"""Inspection reports back to the Party of exit (S11): what the control of its export found.

When the Party of entry controls a consignment that came with another Party's
export data (the entry quotes the export), the result is sent to that Party in
the same transaction as the result itself, so neither is kept without the
other. The report carries what was found, never who the inspector was or the
traders' identities.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from riskhub.db.base import utcnow
from riskhub.declarations.models import Declaration
from riskhub.exchange.bilateral import send_to_party
from riskhub.exchange.keys import identity
from riskhub.exchange.messages import InspectionReport, MessageType
from riskhub.inspections.models import Inspection


def report_to_exit_party(
    *, session: Session, party: str, declaration: Declaration, inspection: Inspection
) -> int:
    """Send ``inspection``'s result to the Party whose export this entry quotes; 1 if sent."""
    exit_party = declaration.dispatch_country
    if not declaration.export_reference or not exit_party or exit_party == party:
        return 0
    payload = InspectionReport(
        declaration_reference=declaration.reference,
        export_party=exit_party,
        export_reference=declaration.export_reference,
        office=inspection.office,
        kind=inspection.kind,
        outcome=inspection.outcome,
        findings=sorted({f.category for f in inspection.findings}),
        inspected_at=inspection.finished_at,
        additional_revenue_eur=inspection.additional_revenue_eur or None,
    )
    return send_to_party(
        session=session,
        identity=identity(),
        party=party,
        other=exit_party,
        type=MessageType.INSPECTION_REPORT,
        payload=payload,
        now=utcnow(),
        version=inspection.content_hash[:16],
    )
