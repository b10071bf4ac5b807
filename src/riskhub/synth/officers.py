"""Simulated border work for the demo: release times for every declaration, and inspections.

Officers control the red and yellow channels (and the random sample, which is
red); what they find comes from the generator's planted labels, with a chance
of missing each kind that depends on how it is hidden: a physical examination
finds under-declared mass almost always, a documentary check almost never.
Durations are log-normal around what time-release studies in the region
report (tens of minutes for green, hours for a physical control).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import Engine, insert, select
from sqlalchemy.orm import Session

from riskhub.db.base import utcnow
from riskhub.db.tenancy import acting_for
from riskhub.declarations.models import Declaration, KnownOutcome
from riskhub.inspections import checklists
from riskhub.inspections.models import ReleaseTime
from riskhub.inspections.schemas import ChecklistIn, FeedbackIn, InspectionIn
from riskhub.inspections.service import Recorder, record_many
from riskhub.kpis import rollup
from riskhub.selectivity.models import SelectivityDecision

# Chance that a control finds a planted kind: (physical, documentary).
DETECTION = {
    "undervaluation": (0.75, 0.55),
    "misclassification": (0.85, 0.45),
    "false_origin": (0.55, 0.60),
    "under_declared_mass": (0.92, 0.10),
    "restricted_without_licence": (0.95, 0.85),
    "sps_risk": (0.90, 0.50),
    "ghost_export": (0.70, 0.35),
}
CATEGORY = {
    "undervaluation": "undervaluation",
    "misclassification": "misclassification",
    "false_origin": "origin",
    "under_declared_mass": "quantity_mass",
    "restricted_without_licence": "prohibited_restricted",
    "sps_risk": "health_phyto_vet",
    "ghost_export": "documents",
}
RECORDED_SHARE = 0.97  # some controls never get their result entered
CHUNK = 2000

DEMO_CHECKLISTS = {
    "PHYSICAL-BASIC": ChecklistIn(
        title="Physical examination: the basic points",
        channels=["red"],
        items=[
            {"key": "seal_intact", "text": "Seal numbers match the documents and are intact",
             "evidence": "photo of each seal"},
            {"key": "count_packages", "text": "Packages counted against the declaration"},
            {"key": "weigh", "text": "Gross mass weighed against the declared mass",
             "evidence": "weighbridge ticket"},
            {"key": "sample", "text": "Goods sampled for classification if in doubt",
             "required": False},
        ],
        distribution="cefta_eu",
    ),
    "DOCUMENTARY-BASIC": ChecklistIn(
        title="Documentary check: invoice, origin, licences",
        channels=["yellow"],
        items=[
            {"key": "invoice_matches", "text": "Invoice value and currency match the declaration"},
            {"key": "origin_proof", "text": "Proof of preferential origin is valid",
             "evidence": "EUR.1 / invoice declaration number"},
            {"key": "licences", "text": "Licences and certificates (LPCO) present and valid"},
        ],
        distribution="cefta_eu",
    ),
}  # fmt: skip


@dataclass
class Simulated:
    release_times: int = 0
    inspections: int = 0
    rejected: int = 0


def save_demo_checklists(*, engine: Engine, owner: str) -> int:
    """The two channel checklists the demo officers answer (shared with CEFTA and EU partners)."""
    with acting_for(owner), Session(engine) as session, session.begin():
        for code, body in DEMO_CHECKLISTS.items():
            checklists.save_checklist(
                session=session, party=owner, code=code, body=body, user_id=None
            )
    return len(DEMO_CHECKLISTS)


def simulate(
    *, engine: Engine, party: str, owner: str, seed: int = 1,
    progress: Callable[[int], None] | None = None,
) -> Simulated:  # fmt: skip
    """Release times and inspection results for every decided declaration of ``party``."""
    rng = np.random.default_rng([seed, sum(map(ord, party))])
    out = Simulated()
    with acting_for(party), Session(engine) as session:
        rows = _decided(session, party)
        planted = _planted(session, party)
    now = utcnow()
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        times, records = [], []
        for row in chunk:
            t, record = _one(rng, row, planted.get(row.id, []), owner, now, party)
            times.append(t)
            if record is not None:
                records.append((row.id, record))
        with acting_for(party), Session(engine) as session, session.begin():
            session.execute(insert(ReleaseTime), times)
            # Every day of the chunk first, then record_many those of the inspected again:
            # the days are locked in one ascending order, as every other write locks them.
            rollup.refresh_declarations(connection=session.connection(),
                                        declaration_ids=[row.id for row in chunk])  # fmt: skip
            done = record_many(
                session=session, party=party, records=records, recorder=Recorder(None)
            )
        out.release_times += len(times)
        out.inspections += sum(d.status == "created" for d in done)
        out.rejected += sum(d.status == "rejected" for d in done)
        if progress:
            progress(len(chunk))
    return out


def _decided(session: Session, party: str) -> list[Any]:
    d, s = Declaration, SelectivityDecision
    return list(
        session.execute(
            select(
                d.id, d.reference, d.office, d.lodged_at, d.arrival_at, s.channel,
                s.random_control, s.aeo, s.agencies, s.reasons, s.decided_at,
            )
            .join(s, (s.declaration_id == d.id) & (s.declaration_version == d.version))
            # Those done in an earlier run are left alone: the demo can run again.
            .outerjoin(ReleaseTime, ReleaseTime.declaration_id == d.id)
            .where(d.party == party, ReleaseTime.declaration_id.is_(None))
            .order_by(d.id)
        ).all()
    )  # fmt: skip


def _planted(session: Session, party: str) -> dict[int, list[tuple[int, str, float]]]:
    out: dict[int, list[tuple[int, str, float]]] = defaultdict(list)
    k = KnownOutcome
    for declaration_id, item_no, outcome, revenue in session.execute(
        select(k.declaration_id, k.item_no, k.outcome, k.revenue_eur).where(
            k.party == party, k.outcome.is_not(None), k.outcome != "compliant"
        )
    ):
        out[declaration_id].append((item_no, str(outcome), revenue or 0.0))
    return out


def _minutes(rng: np.random.Generator, median: float, spread: float = 0.5) -> timedelta:
    return timedelta(minutes=float(median * rng.lognormal(0.0, spread)))


def _one(
    rng: np.random.Generator, row: Any, planted: list[tuple[int, str, float]], owner: str,
    now: datetime, party: str,
) -> tuple[dict[str, Any], InspectionIn | None]:  # fmt: skip
    arrival = row.arrival_at or row.lodged_at + _minutes(rng, 30)
    lodged = row.lodged_at
    channel_at = lodged + _minutes(rng, 2, 0.3)
    ready = max(arrival, channel_at)
    t: dict[str, Any] = {
        "declaration_id": row.id, "party": party,
        "arrival_at": arrival, "pre_arrival_at": lodged if lodged < arrival else None,
        "channel_at": channel_at, "updated_at": now,
    }  # fmt: skip
    agencies = json.loads(row.agencies)
    end = ready + _minutes(rng, 15)
    record = None
    if row.channel in ("red", "yellow"):
        physical = row.channel == "red"
        wait = _minutes(rng, 30 if row.aeo else 90, 0.6) if physical else _minutes(rng, 25)
        start = ready + wait
        finish = start + (_minutes(rng, 90, 0.5) if physical else _minutes(rng, 40, 0.4))
        fields = ("physical_start", "physical_end") if physical else ("document_start",
                                                                      "document_end")  # fmt: skip
        t[fields[0]], t[fields[1]] = start, finish
        end = finish + _minutes(rng, 10)
        if rng.random() < RECORDED_SHARE:
            record = _inspection(rng, row, planted, physical, start, finish, owner)
    if any(a != "customs" for a in agencies):
        a_start = ready + _minutes(rng, 45)
        a_end = a_start + _minutes(rng, 60)
        t["agency_start"], t["agency_end"] = a_start, a_end
        end = max(end, a_end + _minutes(rng, 5))
    t["released_at"] = end
    t["exit_at"] = end + _minutes(rng, 10)
    return t, record


def _inspection(
    rng: np.random.Generator, row: Any, planted: list[tuple[int, str, float]], physical: bool,
    start: datetime, finish: datetime, owner: str,
) -> InspectionIn:  # fmt: skip
    side = 0 if physical else 1
    found = [(i, kind, revenue) for i, kind, revenue in planted
             if kind in DETECTION and rng.random() < DETECTION[kind][side]]  # fmt: skip
    kinds = {kind for _, kind, _ in found}
    outcome, seized = "no_discrepancy", None
    if kinds:
        outcome = "discrepancy"
        if physical and "restricted_without_licence" in kinds:
            outcome, seized = "seizure", float(round(rng.uniform(50, 2000)))
        elif physical and "sps_risk" in kinds:
            outcome = "refusal_of_entry"
    code = "PHYSICAL-BASIC" if physical else "DOCUMENTARY-BASIC"
    items = [i.key for i in DEMO_CHECKLISTS[code].items if i.required]
    answers = [{"checklist": f"{owner}/{code}", "item": key,
                "answer": "no" if kinds and key in ("weigh", "invoice_matches") else "yes"}
               for key in items]  # fmt: skip
    selected_by_common = any(
        r.get("selected") and r.get("owner") == owner for r in json.loads(row.reasons)
    )
    return InspectionIn.model_validate(
        {
            "reference": f"CR-{row.reference}"[:35],
            "kind": "physical" if physical else "documentary",
            "inspector": f"officer-{row.office}-{int(rng.integers(1, 9))}",
            "started_at": start,
            "finished_at": finish,
            "outcome": outcome,
            "findings": [{"category": CATEGORY[kind], "item_no": i} for i, kind, _ in found],
            "answers": answers,
            "additional_revenue_eur": round(sum(r for _, _, r in found if r == r), 2),
            "seized_quantity": seized,
            "seized_unit": "kg" if seized else None,
            "share_feedback": FeedbackIn() if selected_by_common else None,
        }
    )
