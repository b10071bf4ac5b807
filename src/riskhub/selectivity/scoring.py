"""The slot for a risk model's score: no model, or the approved one (``targeting/scorer.py``)."""

from __future__ import annotations

from typing import Any

import polars as pl


class Scorer:
    """Score declarations from their item rows: a probability of non-compliance in [0, 1].

    ``score`` returns one value per (party, reference) in a frame with columns
    ``party``, ``reference``, ``model_score``; ``version`` names the model and
    is stored with every decision it took part in.
    """

    version: str | None = None

    def score(self, items: pl.DataFrame) -> pl.DataFrame:
        """One row per declaration; may add ``model_reasons`` (a list of sentences)."""
        raise NotImplementedError

    def after_store(self, connection: Any) -> None:
        """Called in the decisions' transaction once they are stored (e.g. shadow scores)."""

    def take_shadow(self) -> list[dict[str, Any]]:
        """The challenger's scores queued by ``score``, as ShadowScore rows (the queue empties)."""
        return []


class NoModel(Scorer):
    """No active model: decisions rest on profiles, AEO status and random control."""

    def score(self, items: pl.DataFrame) -> pl.DataFrame:
        keys = items.select("party", "reference").unique(maintain_order=True)
        return keys.with_columns(pl.lit(None, pl.Float64).alias("model_score"))
