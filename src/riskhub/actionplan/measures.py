"""The Action Plan KPIs riskhub can measure from its own data, each with the Strategy's target.

Only what the hub itself records is measured; the rest of the Action Plan
(a framework adopted, a training programme developed) is reported by people
(issue 9's tracker). Cross-Party counts are read acting for each Party in turn,
as every aggregate is, so row-level security holds on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TypeVar

from sqlalchemy import Engine, exists, func, select
from sqlalchemy.orm import Session

from riskhub.assessments.models import AssessmentResponse
from riskhub.db.tenancy import acting_for
from riskhub.declarations.models import Declaration
from riskhub.exchange.messages import MessageType
from riskhub.exchange.models import OutboxMessage, ReceivedDocument
from riskhub.governance.common_profiles.publication import adoption
from riskhub.kpis.aeo import priority_passage
from riskhub.reference.crossings import CROSSINGS
from riskhub.reference.parties import CEFTA_PARTIES, EU_MEMBER_STATES
from riskhub.selectivity.models import SelectivityDecision
from riskhub.targeting.models import RiskModelVersion
from riskhub.training.service import officials_trained

T = TypeVar("T")
WINDOW_DAYS = 90  # "active" means at work within the last 90 days


@dataclass(frozen=True)
class Measure:
    """One KPI as measured now: value, the Strategy's target, whether it is met, and how."""

    code: str
    value: float
    target: float
    unit: str  # "share" (0-1) or "count"
    how: str

    @property
    def met(self) -> bool:
        return self.value >= self.target


def measure_all(*, engine: Engine, today: date | None = None) -> dict[str, Measure]:
    """Every measurable KPI, by activity code."""
    today = today or date.today()
    since = datetime.combine(today - timedelta(days=WINDOW_DAYS), time())
    until = datetime.combine(today + timedelta(days=1), time())
    parties = sorted(CEFTA_PARTIES)
    offices = _per_party(engine, parties, lambda s, p: _selecting_offices(s, p, since, until))
    reporting = set().union(*_per_party(engine, parties, _inspection_reporters).values())
    with Session(engine) as session:
        s6 = adoption(session=session)
        assessed = {code: len(_assessed(session, code) & set(parties)) / len(parties)
                    for code in ("RM-GAP", "STAFFING")}  # fmt: skip
    out = [
        Measure("S3", round(assessed["RM-GAP"], 4), 1.0, "share",
                "CEFTA Parties that submitted the risk management gap assessment (RM-GAP)"),
        Measure("S4", round(assessed["STAFFING"], 4), 1.0, "share",
                "CEFTA customs administrations that submitted the staffing and training needs "
                "assessment (STAFFING)"),
        Measure("S6", s6["share_approving_all"], 0.5, "share",
                "CEFTA Parties that approved every common profile in force"),
        Measure("S9", len(set().union(*offices.values())), 2, "count",
                f"offices that decided declarations by risk in the last {WINDOW_DAYS} days"),
        Measure("M1", len(set().union(*offices.values())), 5, "count",
                f"offices that decided declarations by risk in the last {WINDOW_DAYS} days"),
        Measure("S10", sum(len(c) for c in _per_party(
            engine, parties, lambda s, p: _eu_prearrival_crossings(s, p, since, until)).values()),
                6, "count", "crossings with an EU Member State whose two administrations "
                f"exchanged pre-arrival data in the last {WINDOW_DAYS} days"),
        Measure("S11", len(reporting & CEFTA_PARTIES.keys()), 1, "count",
                "CEFTA administrations whose inspection results went out as reports"),
        Measure("L4", _share(_per_party(engine, parties, _declares)), 0.5, "share",
                "CEFTA Parties whose declarations are in the hub"),
        Measure("L7", priority_passage(engine=engine, parties=parties, on=today)["total"], 300,
                "count", "AEOs with priority passage at CEFTA borders (own or recognised)"),
        Measure("M6", sum(officials_trained(engine=engine).values()), 14, "count",
                "Customs and other agencies' officials who completed a course or passed a "
                "sandbox exercise (training records)"),
        Measure("M5", sum(_per_party(engine, parties, _models_tested).values()), 1, "count",
                "AI risk models trained and measured on a later, held-out period"),
    ]  # fmt: skip
    return {m.code: m for m in out}


def _per_party(
    engine: Engine, parties: list[str], read: Callable[[Session, str], T]
) -> dict[str, T]:
    found = {}
    for party in parties:
        with acting_for(party), Session(engine) as session:
            found[party] = read(session, party)
    return found


def _share(flags: dict[str, bool]) -> float:
    return round(sum(flags.values()) / len(flags), 4) if flags else 0.0


def _assessed(session: Session, code: str) -> set[str]:
    """The Parties that submitted questionnaire ``code`` at least once."""
    r = AssessmentResponse
    query = select(r.party).distinct().where(r.code == code, r.status == "submitted")
    return set(session.scalars(query))


def _selecting_offices(session: Session, party: str, since: datetime, until: datetime) -> set[str]:
    d = SelectivityDecision
    query = (
        select(d.office)
        .distinct()
        .where(d.party == party, d.lodged_at >= since, d.lodged_at < until)
    )
    return set(session.scalars(query))


def _eu_prearrival_crossings(
    session: Session, party: str, since: datetime, until: datetime
) -> set[str]:
    """``party``'s crossings facing an EU Member State it exchanged pre-arrival data with."""
    export = MessageType.EXPORT_DECLARATION.value
    o, r = OutboxMessage, ReceivedDocument
    to_eu = session.scalars(
        select(o.audience).distinct().where(o.party == party, o.type == export,
                                            o.created_at >= since, o.created_at < until)
    )  # fmt: skip
    from_eu = session.scalars(
        select(r.sender_party).distinct().where(r.party == party, r.type == export,
                                                r.received_at >= since, r.received_at < until)
    )  # fmt: skip
    exchanged = {a for row in to_eu for a in row.split(";")} | set(from_eu)
    partners = exchanged & EU_MEMBER_STATES.keys()
    return {
        c.name for c in CROSSINGS
        for ours, theirs in ((c.a, c.b), (c.b, c.a))
        if ours.party == party and theirs.party in partners
    }  # fmt: skip


def _inspection_reporters(session: Session, party: str) -> set[str]:
    """``party`` if it sent inspection reports, and whoever filed reports with it here."""
    report = MessageType.INSPECTION_REPORT.value
    o, r = OutboxMessage, ReceivedDocument
    sent = session.scalar(select(exists().where(o.party == party, o.type == report)))
    filed = session.scalars(
        select(r.sender_party).distinct().where(r.party == party, r.type == report)
    )
    return ({party} if sent else set()) | set(filed)


def _declares(session: Session, party: str) -> bool:
    return bool(session.scalar(select(exists().where(Declaration.party == party))))


def _models_tested(session: Session, party: str) -> int:
    m = RiskModelVersion
    return int(session.scalar(select(func.count(m.id)).where(m.party == party)) or 0)
