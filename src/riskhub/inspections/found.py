"""What the inspections of each declaration found: the one definition of a hit.

The KPIs and the targeting model's labels both read it, so a "hit" means the
same in every number riskhub gives.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from riskhub.declarations.models import Declaration
from riskhub.inspections.models import Inspection, InspectionFinding
from riskhub.inspections.schemas import HIT_OUTCOMES, Outcome


@dataclass
class Found:
    """What the inspections of one declaration found, together."""

    hit: bool = False  # any outcome but "no discrepancy"
    seizure: bool = False
    revenue: float = 0.0  # additional duties and taxes assessed
    categories: set[str] = field(default_factory=set)
    items: set[int] = field(default_factory=set)  # items named by the findings of hits


def found_by_declaration(
    *, session: Session, party: str, since: datetime, until: datetime
) -> dict[int, Found]:
    """Per inspected current declaration version lodged in [since, until): what was found.

    The one place that says what a hit is, for the KPIs and for the model's labels.
    """
    d, i, f = Declaration, Inspection, InspectionFinding
    # Plain rows, not ORM objects: a KPI page reads tens of thousands.
    current = (d.id == i.declaration_id) & (d.version == i.declaration_version)
    chosen = (i.party == party, d.party == party, d.lodged_at >= since, d.lodged_at < until)
    findings: dict[int, list[tuple[str, int | None]]] = {}
    for inspection_id, category, item_no in session.connection().execute(
        select(f.inspection_id, f.category, f.item_no)
        .join(i, i.id == f.inspection_id)
        .join(d, current)
        .where(*chosen)
        .order_by(f.id)
    ):
        findings.setdefault(inspection_id, []).append((category, item_no))
    out: dict[int, Found] = {}
    for inspection_id, declaration_id, outcome, revenue in session.connection().execute(
        select(i.id, i.declaration_id, i.outcome, i.additional_revenue_eur)
        .join(d, current)
        .where(*chosen)
        .order_by(i.id)
    ):
        found = out.setdefault(declaration_id, Found())
        hit = outcome in HIT_OUTCOMES
        its = findings.get(inspection_id, [])
        found.hit |= hit
        found.seizure |= outcome == Outcome.SEIZURE
        found.revenue += revenue
        found.categories.update(category for category, _ in its)
        if hit:
            found.items.update(item for _, item in its if item)
    return out
