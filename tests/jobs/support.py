"""Small data for the job tests: decided declarations of Serbia, and inspections of them."""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from riskhub.db.tenancy import acting_for
from riskhub.declarations import service as declarations
from riskhub.inspections.schemas import InspectionIn
from riskhub.inspections.service import Recorder, record_many
from riskhub.selectivity import service as selectivity
from riskhub.selectivity.pipeline import OfficeRates
from tests.helpers import nested

DAYS = 10  # lodged over 1-10 June 2026: the retraining holds the last days out


def decided(engine: Engine, n: int, *, random_rate: float = 0.02) -> list[int]:
    """``n`` declarations of RS at RS-PRE over ``DAYS`` days, each with its decision."""
    with acting_for("RS"), Session(engine) as session, session.begin():
        selectivity.set_office_rates(session=session, party="RS", office="RS-PRE",
                                     rates=OfficeRates(random_rate=random_rate))  # fmt: skip
    bodies: list[dict[str, Any]] = []
    for i in range(n):
        day = 1 + i % DAYS
        body = nested(f"JOB-{i:05d}", lodged_at=f"2026-06-{day:02d}T{8 + i % 9:02d}:00:00Z")
        mass = 50 + 13 * i % 400
        body["items"][0].update(customs_value_eur=str(1000 + 37 * i % 9000), net_mass=str(mass),
                                gross_mass=str(mass + 10))  # fmt: skip
        bodies.append(body)
    summary = declarations.ingest_records(
        engine=engine, records=bodies, submitted_by_party="RS",
        body_sha256=hashlib.sha256(f"jobs-{n}".encode()).hexdigest(),
    )  # fmt: skip
    assert summary.stored == n, summary.problems[:3]
    selectivity.decide_pending(engine_=engine, party="RS")
    return [d["id"] for d in summary.declarations]


def inspect_all(engine: Engine, ids: list[int], *, hit_every: int = 4) -> None:
    """A physical inspection of each declaration; every ``hit_every``-th finds too little mass."""
    records = []
    for k, declaration_id in enumerate(ids):
        hit = k % hit_every == 0
        body = {
            "reference": f"JOB-CR-{k}", "kind": "physical", "inspector": "officer 7",
            "started_at": "2026-06-11T10:00:00Z", "finished_at": "2026-06-11T11:00:00Z",
            "outcome": "discrepancy" if hit else "no_discrepancy",
            "findings": [{"category": "quantity_mass", "item_no": 1, "detail": "light"}]
            if hit else [],
            "answers": [], "additional_revenue_eur": 120.0 if hit else 0,
        }  # fmt: skip
        records.append((declaration_id, InspectionIn.model_validate(body)))
    with acting_for("RS"), Session(engine) as session, session.begin():
        done = record_many(session=session, party="RS", records=records, recorder=Recorder(None))
    assert all(d.status == "created" for d in done), [d.problems for d in done][:3]
