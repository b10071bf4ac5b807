"""Retraining on the hub's own inspections, measured on a later period, then registered."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

import polars as pl
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from riskhub.db.tenancy import acting_for
from riskhub.declarations.models import Declaration
from riskhub.selectivity.rows import between, item_rows, read_rows
from riskhub.targeting import registry, sources
from riskhub.targeting.model import DEFAULT_REVENUE_WEIGHT, fit
from riskhub.targeting.models import RiskModelVersion
from riskhub.targeting.report import evaluation
from riskhub.targeting.training import inspected

HOLDOUT = 0.2  # the latest fifth of the days measures the model trained on the rest


def retrain(
    *, engine: Engine, party: str, since: datetime, until: datetime, trained_by: str,
    threads: int = 1, revenue_weight: float = DEFAULT_REVENUE_WEIGHT,
) -> tuple[RiskModelVersion, dict[str, Any]]:  # fmt: skip
    """Train on inspections of [since, until) but the latest days, measure on those, register.

    The model registered is the one measured: its metrics are on a period it never saw.
    """
    found = inspected(engine=engine, party=party, since=since, until=until)
    if found.rows.height < 100 or found.rows["fraud"].n_unique() < 2:
        raise ValueError(
            f"{party} has {found.declarations} inspected declarations in the period; "
            "training needs at least 100 rows with and without findings"
        )
    days = found.rows["date"].unique().sort()
    cut = days[int(len(days) * (1 - HOLDOUT))]
    earlier = (found.rows["date"] < cut).to_numpy()
    train, later = found.rows.filter(pl.Series(earlier)), found.rows.filter(~pl.Series(earlier))
    model = fit(train, threads=threads, weights=found.weights[earlier],
                revenue_weight=revenue_weight)  # fmt: skip
    metrics = evaluation(later, model.predict(later)) if later.height else {}
    # Drift is measured against all the traffic of the training days, not the inspected.
    with acting_for(party), Session(engine) as session:
        days = between(since, datetime.combine(cut, time.min))
        window = read_rows(session, item_rows(Declaration.party == party, days))
    if window.height:
        model.set_reference(sources.native(window))
    metrics.update(
        measured_from=str(cut), inspected_declarations=found.declarations,
        random_only_declarations=found.random_only,
    )  # fmt: skip
    writer = engine.execution_options(sqlite_immediate=True)
    with acting_for(party), Session(writer) as session, session.begin():
        row = registry.register(
            session=session, party=party, model=model, trained_by=trained_by, metrics=metrics,
            note=f"retrained on inspections {since.date()} to {cut}",
        )  # fmt: skip
        session.expunge(row)
    return row, metrics
