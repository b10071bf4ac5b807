"""The approved model in the selectivity engine: scores, reasons, and the challenger's shadow.

``ModelScorer`` fills the engine's ``Scorer`` slot. A declaration is as risky
as its riskiest item; the reasons are the top contributions of that item. A
challenger, when there is one, scores the same declarations in shadow: its
scores are stored beside the decisions and never change a channel.
"""

from __future__ import annotations

from typing import Any

import polars as pl
from sqlalchemy import insert

from riskhub.db.base import utcnow
from riskhub.selectivity.scoring import NoModel, Scorer
from riskhub.targeting import explain, features, registry, sources
from riskhub.targeting.model import RiskModel
from riskhub.targeting.models import RiskModelVersion, ShadowScore


class ModelScorer(Scorer):
    """Scores from a Party's champion model, with reasons; a challenger scores in shadow."""

    def __init__(
        self,
        champion: tuple[RiskModelVersion, RiskModel],
        challenger: tuple[RiskModelVersion, RiskModel] | None = None,
    ) -> None:
        row, self.model = champion
        self.version = f"{row.party}-model-v{row.version}"
        self.challenger = challenger
        self._shadow: list[dict[str, Any]] = []

    def score(self, items: pl.DataFrame) -> pl.DataFrame:
        if items.is_empty():
            return NoModel().score(items)
        rows = sources.native(items.with_columns(pl.col("lodged_at")))
        predicted = self.model.predict(rows)
        contributions, names = self.model.contributions(rows)
        values = features.matrix(features.encode(rows, self.model.history))
        frame = items.select("party", "reference", "declaration_id", "version").with_columns(
            predicted["probability"].alias("p"), pl.int_range(pl.len()).alias("_row")
        )
        # The riskiest item speaks for the declaration.
        best = frame.sort("p", descending=True).unique(["party", "reference"], keep="first")
        picked = best["_row"].to_list()
        said = explain.reasons(
            contributions[picked], values[picked], names, rows[picked].to_dicts()
        )
        out = best.select(
            "party", "reference", pl.col("p").alias("model_score"),
            pl.Series("model_reasons", said, dtype=pl.List(pl.String)),
        )  # fmt: skip
        if self.challenger is not None:
            self._queue_shadow(items, rows)
        return out

    def _queue_shadow(self, items: pl.DataFrame, rows: pl.DataFrame) -> None:
        assert self.challenger is not None
        row, model = self.challenger
        shadow = (
            items.select("party", "declaration_id", "version")
            .with_columns(model.predict(rows)["probability"].alias("score"))
            .group_by("party", "declaration_id", "version")
            .agg(pl.col("score").max())
        )
        now = utcnow()
        self._shadow += [
            {"party": r["party"], "model_id": row.id, "declaration_id": r["declaration_id"],
             "declaration_version": r["version"], "score": r["score"], "scored_at": now}
            for r in shadow.iter_rows(named=True)
        ]  # fmt: skip

    def after_store(self, connection: Any) -> None:
        if self._shadow:
            connection.execute(insert(ShadowScore), self._shadow)
            self._shadow = []


def scorer_for(*, session: Any, party: str) -> Scorer:
    """The approved champion's scorer for ``party``, or no model."""
    found = registry.serving(session=session, party=party)
    if found.champion is None:
        return NoModel()
    return ModelScorer(found.champion, found.challenger)
