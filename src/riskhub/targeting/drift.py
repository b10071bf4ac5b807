"""Is the serving model still looking at the traffic it learned from, and still finding fraud?

Three signals, each with an alert when it crosses its line:

* PSI of every feature between training and the recent declarations
  (above 0.25: the traffic has moved; retrain);
* PSI of the model's score (the same line);
* the hit rate of the declarations the model sent to control, against the
  rate the model expected for them: a Wilson upper bound below half of the
  expected rate means the model no longer finds what it thinks it finds.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np
import polars as pl
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from riskhub.db.tenancy import acting_for
from riskhub.declarations.models import Declaration
from riskhub.kpis.frame import read_frame
from riskhub.kpis.intervals import wilson
from riskhub.selectivity.rows import between, item_rows, read_rows
from riskhub.targeting import features, registry, sources
from riskhub.targeting.metrics import psi

SHIFT = 0.25  # PSI above this: a shift worth retraining for
WATCH = 0.10


def drift(*, engine: Engine, party: str, since: datetime, until: datetime) -> dict[str, Any]:
    """The drift report of ``party``'s champion over declarations lodged in [since, until)."""
    with acting_for(party), Session(engine) as session:
        serving = registry.serving(session=session, party=party)
        if serving.champion is None:
            return {"party": party, "model": None, "alerts": ["no approved model serves"]}
        row, model = serving.champion
        items = read_rows(session, item_rows(Declaration.party == party, between(since, until)))
        decided = read_frame(session=session, party=party, since=since, until=until)
    out: dict[str, Any] = {
        "party": party,
        "model": f"v{row.version}",
        "rows": items.height,
        "since": since.date().isoformat(),
        "until": until.date().isoformat(),
    }
    alerts: list[str] = []
    if items.is_empty():
        out.update(features={}, score_psi=None, model_picks=None, alerts=["no declarations"])
        return out
    rows = sources.native(items)
    x = model.encode(rows)  # once: for the feature PSIs and the score
    shifts = {}
    for index, name in enumerate(features.names()):
        reference = model.meta["reference_bins"].get(name)
        if reference:
            value = psi(reference["edges"], reference["shares"], x[:, index])
            shifts[name] = None if np.isnan(value) else round(value, 4)
    moved = sorted((n for n, v in shifts.items() if v is not None and v > SHIFT),
                   key=lambda n: -(shifts[n] or 0))  # fmt: skip
    if moved:
        alerts.append(f"{len(moved)} features shifted (PSI > {SHIFT}): {', '.join(moved[:5])}")
    probability = model.predict(rows, x=x)["probability"].to_numpy()
    bins = model.meta["score_bins"]
    score_psi = round(psi(bins["edges"], bins["shares"], probability), 4)
    if score_psi > SHIFT:
        alerts.append(f"the score's distribution shifted (PSI {score_psi})")
    out.update(features=shifts, score_psi=score_psi, model_picks=_picks(decided, model, items))
    picks = out["model_picks"]
    high = picks["hit_rate"]["high"] if picks else None
    if picks and high is not None and picks["expected"] and high < 0.5 * picks["expected"]:
        alerts.append(
            f"the model's picks hit {picks['hit_rate']['estimate']:.0%}, far below the "
            f"{picks['expected']:.0%} it expected"
        )
    out["alerts"] = alerts
    watch = any(v is not None and v > WATCH for v in [score_psi, *shifts.values()])
    out["status"] = "retrain" if alerts else ("watch" if watch else "stable")
    return out


def _picks(decided: pl.DataFrame, model: Any, items: pl.DataFrame) -> dict[str, Any] | None:
    """Hit rate of the declarations the model sent to control (driver 'model'), inspected."""
    picked = decided.filter((pl.col("driver") == "model") & pl.col("inspected"))
    if picked.is_empty():
        return None
    chosen = items.filter(pl.col("declaration_id").is_in(picked["declaration_id"].to_list()))
    expected = float(
        model.predict(sources.native(chosen))
        .with_columns(chosen["declaration_id"])
        .group_by("declaration_id")
        .agg(pl.col("probability").max())["probability"]
        .mean()
    )
    hits = int(picked["hit"].sum())
    return {
        "inspected": picked.height,
        "hits": hits,
        "hit_rate": wilson(hits, picked.height).as_dict(),
        "expected": round(expected, 4),
    }
