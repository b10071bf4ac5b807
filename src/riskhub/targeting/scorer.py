"""The approved model in the selectivity engine: scores, reasons, and the challenger's shadow.

``ModelScorer`` fills the engine's ``Scorer`` slot. A declaration is as risky
as its riskiest item; the reasons are the top contributions of that item. A
challenger, when there is one, scores the same declarations in shadow: its
scores are stored beside the decisions and never change a channel.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from riskhub.db.base import utcnow
from riskhub.db.upsert import insert_for
from riskhub.selectivity.pipeline import OfficeRates
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
        rates: dict[str, OfficeRates] | None = None,
    ) -> None:
        row, self.model = champion
        self.version = f"{row.party}-model-v{row.version}"
        self.challenger = challenger
        self.rates = rates or {}
        self._shadow: list[dict[str, Any]] = []

    def _selection(self, items: pl.DataFrame, predicted: pl.DataFrame, seen: Any) -> Any:
        """The office's ranking: probability lifted by revenue, plus an exploration bonus.

        The bonus is an upper-confidence term, as in bandit selection: large when
        the model is unsure (p near 1/2) about goods and origins it has seen
        little of (``seen`` training rows of the same HS code and origin), so a
        share of the budget goes where the model can learn, not only where the
        profiles already look.
        """
        offices = items["office"].to_list()
        default = OfficeRates()
        weight = np.array([self.rates.get(o, default).revenue_weight for o in offices])
        explore = np.array([self.rates.get(o, default).exploration for o in offices])
        p = predicted["probability"].to_numpy()
        expected = predicted["expected_revenue"].to_numpy()
        bonus = explore * np.sqrt(p * (1 - p) / (1.0 + np.nan_to_num(seen)))
        return np.clip(p * np.power(1.0 + expected, weight) + bonus, 0.0, 1.0)

    def score(self, items: pl.DataFrame) -> pl.DataFrame:
        if items.is_empty():
            return NoModel().score(items)
        rows = sources.native(items.with_columns(pl.col("lodged_at")))
        values = self.model.encode(rows)  # once: for the scores, the bonus and the reasons
        predicted = self.model.predict(rows, x=values)
        seen = values[:, features.names().index("seen_hs_origin")] * self.model.history.seen_all
        frame = items.select("party", "reference", "declaration_id", "version").with_columns(
            pl.Series("p", self._selection(items, predicted, seen)),
            pl.int_range(pl.len()).alias("_row"),
        )
        # The riskiest item speaks for the declaration.
        best = frame.sort("p", descending=True).unique(["party", "reference"], keep="first")
        picked = best["_row"].to_list()
        # Contributions cost many predictions: only for the items that speak.
        contributions, names = self.model.contributions(values[picked])
        said = [
            [f"{p:.0%} likely non-compliant", *why]
            for p, why in zip(
                predicted["probability"].to_numpy()[picked],
                explain.reasons(contributions, values[picked], names, rows[picked].to_dicts()),
                strict=True,
            )
        ]  # fmt: skip
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
        store_shadow(connection, self.take_shadow())

    def take_shadow(self) -> list[dict[str, Any]]:
        taken, self._shadow = self._shadow, []
        return taken


def store_shadow(connection: Any, rows: list[dict[str, Any]]) -> None:
    """Keep the challenger's shadow scores, once per declaration version."""
    if rows:
        connection.execute(insert_for(connection, ShadowScore).on_conflict_do_nothing(), rows)


def scorer_for(*, session: Any, party: str) -> Scorer:
    """The approved champion's scorer for ``party``, or no model."""
    found = registry.serving(session=session, party=party)
    if found.champion is None:
        return NoModel()
    # Imported here: the selectivity service imports this module to find its scorer.
    from riskhub.selectivity.service import office_rates

    rates = office_rates(session=session, party=party)
    return ModelScorer(found.champion, found.challenger, rates)
