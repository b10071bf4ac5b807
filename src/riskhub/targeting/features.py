"""Features computed the same way for training and scoring, and never from the future.

Target and frequency encodings are the heart: for each key (HS code, HS and
origin, declarant, route, …) the share of inspected rows that were
non-compliant and how many there were. In training, a row sees only rows of
*earlier days* (not its own day: a day's results arrive together), so its
features are what the hub could have known when the declaration arrived.
Scoring uses the totals of the whole training window (``History``), which is
the same rule applied at a later date. Rare keys are shrunk towards the
overall rate (``PRIOR_WEIGHT`` pseudo-rows), so one lucky hit does not make a
trader look guilty.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

PRIOR_WEIGHT = 20.0
KEYS: dict[str, pl.Expr] = {
    "hs6": pl.col("hs6"),
    "hs4": pl.col("hs6").str.slice(0, 4),
    "hs2": pl.col("hs6").str.slice(0, 2),
    "hs_origin": pl.concat_str(["hs6", "origin"], separator="|", ignore_nulls=True),
    "hs_importer": pl.concat_str(["hs6", "importer"], separator="|", ignore_nulls=True),
    "route": pl.concat_str(["departure", "origin"], separator="|", ignore_nulls=True),
    "origin": pl.col("origin"),
    "declarant": pl.col("declarant"),
    "importer": pl.col("importer"),
    "declarant_importer": pl.concat_str(
        ["declarant", "importer"], separator="|", ignore_nulls=True
    ),
    "seller": pl.col("seller"),
    "office": pl.col("office"),
    "tax_type": pl.col("tax_type"),
}
# Low-cardinality codes the trees split on directly (LightGBM categorical features).
CATEGORIES = (
    "office",
    "procedure",
    "transport",
    "tax_type",
    "origin_claim",
    "departure",
    "origin",
    "hs2",
)
NUMERIC = ("tax_rate", "log_value", "log_mass", "log_unit_value", "unit_value_gap")


@dataclass
class History:
    """What training saw: per key value its rows and non-compliant rows; code vocabularies."""

    stats: pl.DataFrame  # key, value, n, f
    unit_values: pl.DataFrame  # hs6, n, total of log unit values
    vocabularies: dict[str, list[str]]
    prior: float
    seen_all: float = 0.0  # the (weighted) rows of the whole window

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.stats.write_parquet(folder / "history_stats.parquet")
        self.unit_values.write_parquet(folder / "history_unit_values.parquet")

    @classmethod
    def load(
        cls, folder: Path, vocabularies: dict[str, list[str]], prior: float, seen_all: float
    ) -> History:
        return cls(
            pl.read_parquet(folder / "history_stats.parquet"),
            pl.read_parquet(folder / "history_unit_values.parquet"),
            vocabularies,
            prior,
            seen_all,
        )


def names() -> list[str]:
    """The feature columns, in the order of the matrix."""
    encoded = [f"{p}_{k}" for k in KEYS for p in ("rate", "seen")]
    return [*NUMERIC, *[f"code_{c}" for c in CATEGORIES], *encoded]


def categorical_indexes() -> list[int]:
    return [len(NUMERIC) + i for i in range(len(CATEGORIES))]


def _base(frame: pl.DataFrame) -> pl.DataFrame:
    unit = (pl.col("value") / pl.col("net_mass").clip(0.001)).clip(0.0)
    return frame.with_row_index("_row").with_columns(
        *[expr.alias(f"key_{name}") for name, expr in KEYS.items()],
        pl.col("value").clip(0.0).log1p().alias("log_value"),
        pl.col("net_mass").clip(0.0).log1p().alias("log_mass"),
        unit.log1p().alias("log_unit_value"),
    )


def _share(n: pl.Expr, total: pl.Expr) -> pl.Expr:
    # How common the key is, as a share of what was seen so far: a count would grow with
    # the training window, and scoring (after the whole window) would sit beyond it.
    return pl.when(total > 0).then(n / total).otherwise(None)


def _shrunk(n: pl.Expr, f: pl.Expr, prior: pl.Expr) -> pl.Expr:
    return (f + prior * PRIOR_WEIGHT) / (n + PRIOR_WEIGHT)


def fit_encode(
    frame: pl.DataFrame, weights: np.ndarray[Any, Any] | None = None
) -> tuple[pl.DataFrame, History]:
    """Features of labelled training rows (each from earlier days only), and the history.

    With ``weights`` (inverse-propensity, see ``weights.py``) the rates are
    weighted too, so they estimate the whole traffic's rates, not the inspected.
    """
    w = np.ones(frame.height) if weights is None else np.asarray(weights, dtype=float)
    base = _base(frame).with_columns(
        pl.Series("_w", w), (pl.col("fraud").cast(pl.Float64) * pl.Series(w)).alias("_wf")
    )
    # The overall rate each row shrinks towards is also from earlier days only.
    days = (
        base.group_by("date")
        .agg(pl.col("_w").sum().alias("n"), pl.col("_wf").sum().alias("f"))
        .sort("date")
        .with_columns(
            (pl.col("n").cum_sum() - pl.col("n")).alias("gn"),
            (pl.col("f").cum_sum() - pl.col("f")).alias("gf"),
        )
        .select(
            "date",
            pl.when(pl.col("gn") > 0).then(pl.col("gf") / pl.col("gn")).alias("_prior"),
            pl.col("gn").alias("_seen_all"),
        )
    )
    out = base.join(days, on="date", how="left")
    totals = []
    for name in KEYS:
        key = f"key_{name}"
        daily = (
            base.group_by(key, "date")
            .agg(pl.col("_w").sum().alias("n"), pl.col("_wf").sum().alias("f"))
            .sort(key, "date")
            .with_columns(
                (pl.col("n").cum_sum().over(key) - pl.col("n")).alias("pn"),
                (pl.col("f").cum_sum().over(key) - pl.col("f")).alias("pf"),
            )
        )
        out = out.join(daily.select(key, "date", "pn", "pf"), on=[key, "date"], how="left")
        # A row without the key (no seller, say) is scored at the prior, as in ``encode``.
        out = out.with_columns(pl.col("pn").fill_null(0.0), pl.col("pf").fill_null(0.0))
        out = out.with_columns(
            _shrunk(pl.col("pn"), pl.col("pf"), pl.col("_prior")).alias(f"rate_{name}"),
            _share(pl.col("pn"), pl.col("_seen_all")).alias(f"seen_{name}"),
        ).drop("pn", "pf")
        totals.append(
            base.group_by(key)
            .agg(pl.col("_w").sum().alias("n"), pl.col("_wf").sum().alias("f"))
            .rename({key: "value"})
            .with_columns(pl.lit(name).alias("key"))
            .select("key", "value", "n", "f")
        )
    units = (
        base.group_by("hs6", "date")
        .agg(pl.len().alias("n"), pl.col("log_unit_value").sum().alias("u"))
        .sort("hs6", "date")
        .with_columns(
            (pl.col("n").cum_sum().over("hs6") - pl.col("n")).alias("un"),
            (pl.col("u").cum_sum().over("hs6") - pl.col("u")).alias("uu"),
        )
    )
    out = out.join(units.select("hs6", "date", "un", "uu"), on=["hs6", "date"], how="left")
    out = _gap(out, pl.col("un"), pl.col("uu"))
    vocabularies = {
        c: sorted(v for v in base[c].unique().to_list() if v is not None)
        for c in CATEGORIES
        if c != "hs2"
    }
    vocabularies["hs2"] = sorted(v for v in base["key_hs2"].unique().to_list() if v is not None)
    history = History(
        stats=pl.concat(totals).with_columns(
            pl.col("n").cast(pl.Float64), pl.col("f").cast(pl.Float64)
        ),
        unit_values=base.group_by("hs6").agg(
            pl.len().alias("n"), pl.col("log_unit_value").sum().alias("u")
        ),
        vocabularies=vocabularies,
        prior=float(base["_wf"].sum()) / float(base["_w"].sum()),
        seen_all=float(base["_w"].sum()),
    )
    return _finish(out, history), history


def encode(frame: pl.DataFrame, history: History) -> pl.DataFrame:
    """Features of new rows, from what training saw."""
    out = _base(frame)
    for name in KEYS:
        key = f"key_{name}"
        stats = history.stats.filter(pl.col("key") == name).select(
            pl.col("value").alias(key), "n", "f"
        )
        out = out.join(stats, on=key, how="left").with_columns(
            pl.col("n").fill_null(0), pl.col("f").fill_null(0.0)
        )
        out = out.with_columns(
            _shrunk(pl.col("n"), pl.col("f"), pl.lit(history.prior)).alias(f"rate_{name}"),
            _share(pl.col("n"), pl.lit(history.seen_all)).alias(f"seen_{name}"),
        ).drop("n", "f")
    units = history.unit_values.select("hs6", pl.col("n").alias("un"), pl.col("u").alias("uu"))
    out = out.join(units, on="hs6", how="left")
    return _finish(_gap(out, pl.col("un"), pl.col("uu")), history)


def _gap(out: pl.DataFrame, n: pl.Expr, total: pl.Expr) -> pl.DataFrame:
    # How far the unit value sits from what the same goods usually declare (log scale).
    mean = pl.when(n > 0).then(total / n).otherwise(None)
    return out.with_columns((pl.col("log_unit_value") - mean).alias("unit_value_gap")).drop(
        "un", "uu"
    )


def _finish(out: pl.DataFrame, history: History) -> pl.DataFrame:
    codes = []
    for c in CATEGORIES:
        source = "key_hs2" if c == "hs2" else c
        vocabulary = {v: i for i, v in enumerate(history.vocabularies[c])}
        codes.append(
            pl.col(source)
            .replace_strict(vocabulary, default=None, return_dtype=pl.Float64)
            .alias(f"code_{c}")
        )
    return out.with_columns(codes).sort("_row").select(names())


def matrix(features: pl.DataFrame) -> np.ndarray[Any, Any]:
    """The features as a float matrix (missing values as NaN, which LightGBM handles)."""
    return features.select(pl.all().cast(pl.Float64)).to_numpy()
