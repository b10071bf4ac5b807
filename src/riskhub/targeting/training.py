"""Training data from the hub itself: inspected declarations, labelled by what officers found.

Every inspected declaration of the period becomes labelled item rows: an item
named in a finding is non-compliant; when a hit names no item, all its items
are. The revenue assessed goes to the first item. Each row carries its
inverse-propensity weight (``weights.py``): 1 if the risk rules selected it,
1 / the office's random rate if only the random draw did.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import polars as pl
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from riskhub.db.tenancy import acting_for
from riskhub.declarations.models import Declaration
from riskhub.inspections.found import found_by_declaration
from riskhub.selectivity.models import SelectivityDecision
from riskhub.selectivity.pipeline import OfficeRates
from riskhub.selectivity.rows import item_rows, read_rows
from riskhub.selectivity.service import office_rates
from riskhub.targeting import sources
from riskhub.targeting.weights import inverse_propensity


@dataclass
class TrainingSet:
    rows: pl.DataFrame  # canonical, labelled
    weights: np.ndarray[Any, Any]
    declarations: int
    random_only: int  # declarations inspected only because of the random draw


def inspected(*, engine: Engine, party: str, since: datetime, until: datetime) -> TrainingSet:
    """The Party's inspected declarations lodged in [since, until), labelled and weighted."""
    d, s = Declaration, SelectivityDecision
    with acting_for(party), Session(engine) as session:
        found = found_by_declaration(session=session, party=party, since=since, until=until)
        ids = sorted(found)
        decisions = {
            r.declaration_id: r
            for k in range(0, len(ids), 5000)
            for r in session.scalars(
                select(s)
                .join(d, (d.id == s.declaration_id) & (d.version == s.declaration_version))
                .where(s.party == party, s.declaration_id.in_(ids[k : k + 5000]))
            )
        }
        rates = office_rates(session=session, party=party)
        items = (
            pl.concat([read_rows(session, item_rows(d.party == party, d.id.in_(ids[k : k + 5000])))
                       for k in range(0, len(ids), 5000)])
            if ids else pl.DataFrame()
        )  # fmt: skip
    if not ids:
        return TrainingSet(pl.DataFrame(schema=sources.CANONICAL), np.ones(0), 0, 0)
    fraud, revenue, targeted, random_control, rate = [], [], [], [], []
    first_item: set[int] = set()
    for declaration_id, item_no, office in items.select(
        "declaration_id", "item_no", "office"
    ).iter_rows():
        label = found[declaration_id]
        named = label.items
        fraud.append(int(label.hit and (not named or item_no in named)))
        # The revenue goes to the first item a finding names (the first item if none).
        carrier = item_no in named if named else declaration_id not in first_item
        revenue.append(label.revenue if carrier and declaration_id not in first_item else 0.0)
        if carrier:
            first_item.add(declaration_id)
        decision = decisions.get(declaration_id)
        reasons = json.loads(decision.reasons) if decision else []
        by_rules = any(r.get("selected") for r in reasons) or bool(decision and decision.budget)
        chance = decision is not None and decision.random_control
        targeted.append(not chance or by_rules)
        random_control.append(chance)
        # The rate at the draw, kept in the decision; today's setting for older decisions.
        drawn = next((r.get("rate") for r in reasons if r.get("random")), None)
        office_rate = rates.get(office, OfficeRates())
        aeo = bool(decision and decision.aeo)
        today = office_rate.random_rate_aeo if aeo else office_rate.random_rate
        rate.append(float(drawn) if drawn is not None else today)
    rows = sources.native(items).with_columns(
        pl.Series("fraud", fraud, dtype=pl.Int8), pl.Series("revenue", revenue, dtype=pl.Float64)
    )
    weights = inverse_propensity(
        targeted=np.array(targeted), random_control=np.array(random_control),
        random_rate=np.array(rate),
    )  # fmt: skip
    random_only = len({d for d, t in zip(items["declaration_id"], targeted, strict=True) if not t})
    return TrainingSet(rows, weights, len(ids), random_only)
