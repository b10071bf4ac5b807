"""One row per decided declaration, with what its controls found and how long it waited.

Every KPI is computed from this frame, so they all count the same things: the
decision on a declaration's current version lodged in [since, until), joined
with its inspections (summed per declaration) and its release times.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import polars as pl
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from riskhub.db.tenancy import acting_for
from riskhub.declarations.models import Declaration
from riskhub.inspections.models import ReleaseTime
from riskhub.inspections.service import found_by_declaration
from riskhub.selectivity.models import SelectivityDecision

SCHEMA: dict[str, Any] = {
    "party": pl.String,
    "declaration_id": pl.Int64,
    "office": pl.String,
    "lodged_at": pl.Datetime("us"),
    "channel": pl.String,
    "random_control": pl.Boolean,
    "aeo": pl.Boolean,
    "driver": pl.String,
    "matched": pl.List(pl.String),
    "selected": pl.List(pl.String),
    "inspected": pl.Boolean,
    "hit": pl.Boolean,
    "seizure": pl.Boolean,
    "revenue_eur": pl.Float64,
    "findings": pl.List(pl.String),
    "arrival_to_release_h": pl.Float64,
    "lodgement_to_release_h": pl.Float64,
}


def driver(channel: str, random_control: bool, selected: list[str], budget: str | None,
           model_version: str | None) -> str:  # fmt: skip
    """What sent a declaration to control: random, profile, model, score top-up, or none."""
    if channel == "green":
        return "none"
    if random_control:
        return "random"
    if selected:
        return "profile"
    if model_version:
        return "model"
    return "score_top_up" if budget else "other"


def read_frame(*, session: Session, party: str, since: datetime, until: datetime) -> pl.DataFrame:
    """The frame of ``party``'s declarations lodged in [since, until)."""
    d, s, t = Declaration, SelectivityDecision, ReleaseTime
    rows = session.execute(
        select(
            s.declaration_id, s.office, s.lodged_at, s.channel, s.random_control, s.aeo,
            s.reasons, s.budget, s.model_version, t.arrival_at, t.released_at,
        )
        .join(d, (d.id == s.declaration_id) & (d.version == s.declaration_version))
        .outerjoin(t, t.declaration_id == s.declaration_id)
        .where(s.party == party, d.party == party, s.lodged_at >= since, s.lodged_at < until)
        .order_by(s.lodged_at, s.declaration_id)
    ).all()  # fmt: skip
    controls = found_by_declaration(session=session, party=party, since=since, until=until)
    out = []
    for r in rows:
        reasons = json.loads(r.reasons)
        matched = [f"{x['owner']}/{x['profile']}" for x in reasons if x.get("profile")]
        selected = [f"{x['owner']}/{x['profile']}" for x in reasons if x.get("selected")]
        found = controls.get(r.declaration_id)
        out.append(
            (
                party, r.declaration_id, r.office, r.lodged_at, r.channel, r.random_control,
                r.aeo, driver(r.channel, r.random_control, selected, r.budget, r.model_version),
                matched, selected, found is not None,
                bool(found and found.hit), bool(found and found.seizure),
                found.revenue if found else 0.0, sorted(found.categories) if found else [],
                _hours(r.arrival_at, r.released_at), _hours(r.lodged_at, r.released_at),
            )
        )  # fmt: skip
    return pl.DataFrame(out, schema=SCHEMA, orient="row")


def _hours(start: datetime | None, end: datetime | None) -> float | None:
    return None if start is None or end is None else (end - start).total_seconds() / 3600


def read_parties(
    *, engine: Engine, parties: list[str], since: datetime, until: datetime
) -> pl.DataFrame:
    """The frames of several Parties, each read acting for that Party (for aggregates)."""
    frames = []
    for party in parties:
        with acting_for(party), Session(engine) as session:
            frames.append(read_frame(session=session, party=party, since=since, until=until))
    return pl.concat(frames) if frames else pl.DataFrame(schema=SCHEMA)
