"""What the registries add to a decision: AEO status (own or recognised) and the LPCO checks.

A trader counts as an AEO for a declaration of Party P when it holds P's
authorisation, or one of a Party P recognises, on the day of lodgement: the
importer (the exporter on an export), or on an import the foreign exporter
under a recognition agreement. An AEO gets the lower selection share and
random rate, and priority passage: its decision goes first in the queue.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import polars as pl
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from riskhub.registries.lpco.checks import Checked, check_and_draw
from riskhub.registries.recognition import partner_name
from riskhub.registries.service import AeoRegister, Holding
from riskhub.selectivity.pipeline import Candidate, Decision


def aeo_status(holders: AeoRegister, candidate: Candidate) -> tuple[bool, str | None]:
    """Whether the declaration's trader (or its recognised foreign exporter) is an AEO, and who."""
    on = candidate.lodged_at.date()
    role = "exporter" if candidate.direction == "EXPORT" else "importer"
    found = holders.holding(candidate.trader, on)
    who = candidate.trader
    if found is None and candidate.direction == "IMPORT":
        role, who = "exporter", candidate.exporter
        found = holders.holding(candidate.exporter, on, foreign_only=True)
    if found is None:
        return False, None
    return True, _sentence(found, role, who or "", candidate.party)


def _sentence(holding: Holding, role: str, trader: str, party: str) -> str:
    if holding.agreement is None:
        return f"Authorised Economic Operator: the {role} {trader} holds {party}'s authorisation"
    return (
        f"Authorised Economic Operator: the {role} {trader} holds an authorisation of "
        f"{partner_name(holding.granted_by)}, which {party} recognises ({holding.agreement})"
    )


def check_lpcos(
    conn: Connection | Session, *, party: str, targets: pl.DataFrame, now: datetime
) -> Checked:
    """The LPCO checks of ``targets``' items, drawing allowances in the caller's transaction."""
    return check_and_draw(conn, party=party, targets=targets, now=now)


def add_lpco_reasons(decisions: Sequence[Decision], checked: Checked) -> None:
    """Each decision says what its LPCOs' checks found and drew."""
    for decision in decisions:
        decision.reasons.extend(checked.reasons.get(decision.declaration_id, ()))
