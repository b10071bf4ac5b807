"""History fields: what earlier declarations say about this one.

Reference prices (the median and percentile of unit values of the same HS6 and
origin over the previous 365 days) and the trader's record (age, declarations
in 90 days, non-compliance found in 365 days, first time on a route) are
computed here in one vectorised pass over the earlier declarations and the new
ones, as of each declaration's lodgement time: a declaration never sees itself
or anything lodged after it. Every window is fixed (a trader unseen for 365 days
is new again, and its age counts within those 365 days), so the answer is the
same whether a caller loaded one year of history or five. Every backend then
reads them as given columns.

A known outcome is counted from the time its declaration was lodged; with
inspection results (a later issue) it will count from the inspection.
"""

from __future__ import annotations

import polars as pl

from riskhub.profiles.criteria.backends.derived import DERIVED
from riskhub.profiles.criteria.vocabulary import HISTORY_FIELDS

REFERENCE_WINDOW = "365d"
ACTIVITY_WINDOW = "90d"
HITS_WINDOW = "365d"
MEMORY_WINDOW = "365d"  # a trader unseen for a year is new again; ages count within it
_MICROS_PER_DAY = 86_400 * 1_000_000
MIN_REFERENCE_ITEMS = 5  # fewer earlier items than this give no reference price

_ROW = "_history_row"
_TARGET = "_history_target"
HISTORY_COLUMNS = tuple(f.name for f in HISTORY_FIELDS)
NEEDED = (
    "party", "reference", "direction", "office", "lodged_at", "importer", "exporter",
    "dispatch_country", "hs_code", "origin_country", "net_mass", "customs_value_eur",
    "known_outcome",
)  # fmt: skip


def with_history(frame: pl.DataFrame, history: pl.DataFrame | None = None) -> pl.DataFrame:
    """``frame`` with the history fields added, computed from ``history`` and ``frame`` itself.

    Both are item rows in the declaration layout; ``history`` holds declarations
    lodged before (or among) those of ``frame``, and none of ``frame``'s own.
    """
    target = _narrow(frame).with_columns(
        pl.int_range(pl.len(), dtype=pl.Int64).alias(_ROW), pl.lit(True).alias(_TARGET)
    )
    rows = target
    if history is not None and history.height:
        earlier = _narrow(history).with_columns(
            pl.lit(None, pl.Int64).alias(_ROW), pl.lit(False).alias(_TARGET)
        )
        rows = pl.concat([earlier, target], how="vertical_relaxed")
    rows = rows.sort("lodged_at")
    features = _prices(rows).join(_traders(rows), on=["party", "reference"], how="left")
    found = features.filter(pl.col(_TARGET)).sort(_ROW).select(HISTORY_COLUMNS)
    return frame.drop(HISTORY_COLUMNS, strict=False).hstack(found)


def _narrow(frame: pl.DataFrame) -> pl.DataFrame:
    missing = [pl.lit(None, pl.String).alias(c) for c in NEEDED if c not in frame.columns]
    return frame.with_columns(missing).select(NEEDED)


def _prices(rows: pl.DataFrame) -> pl.DataFrame:
    unit_value = DERIVED["unit_value_kg"][0]
    key = ["party", pl.col("hs_code").str.slice(0, 6), "origin_country"]
    known = unit_value.is_not_null().cast(pl.Int32)
    by, size = "lodged_at", REFERENCE_WINDOW
    out = rows.with_columns(unit_value.alias("_uv")).with_columns(
        reference_items=known.rolling_sum_by(by, size, closed="left").over(key),
        _median=pl.col("_uv").rolling_median_by(by, size, closed="left").over(key),
        # The rank among the window including itself; minus itself gives the share below it.
        _rank=pl.col("_uv").rolling_rank_by(by, size, closed="right", method="min").over(key),
        _seen=known.rolling_sum_by(by, size, closed="right").over(key),
    )
    enough = pl.col("reference_items") >= MIN_REFERENCE_ITEMS
    return out.with_columns(
        pl.col("reference_items").cast(pl.Float64),
        reference_unit_value_kg=pl.when(enough).then(pl.col("_median")),
        unit_value_deviation_pct=pl.when(enough & (pl.col("_median") > 0)).then(
            (pl.col("_uv") / pl.col("_median") - 1) * 100
        ),
        unit_value_percentile=pl.when(enough & (pl.col("_seen") > 1)).then(
            (pl.col("_rank").cast(pl.Float64) - 1) / (pl.col("_seen") - 1) * 100
        ),
    )


def _traders(rows: pl.DataFrame) -> pl.DataFrame:
    hit = pl.col("known_outcome").is_not_null() & (pl.col("known_outcome") != "compliant")
    declarations = (
        rows.group_by(["party", "reference"], maintain_order=True)
        .agg(
            pl.col("lodged_at").first(),
            pl.col("office").first(),
            pl.col("dispatch_country").first(),
            DERIVED["trader"][0].first().alias("_trader"),
            hit.any().cast(pl.Int32).alias("_hit"),
        )
        .sort("lodged_at")
    )
    trader = ["party", "_trader"]
    route = [*trader, "dispatch_country", "office"]
    has_trader = pl.col("_trader").is_not_null()
    one = pl.col("_one")
    features = (
        declarations.with_columns(pl.lit(1, pl.Int32).alias("_one"))
        .with_columns(
            trader_declarations_90d=one.rolling_sum_by(
                "lodged_at", ACTIVITY_WINDOW, closed="left"
            ).over(trader),
            trader_hits_365d=pl.col("_hit")
            .rolling_sum_by("lodged_at", HITS_WINDOW, closed="left")
            .over(trader),
            # Within a fixed window, so the answer does not depend on how much history a
            # caller happened to load (a batch loads more than a single API decision).
            _first=pl.col("lodged_at")
            .dt.epoch("us")
            .rolling_min_by("lodged_at", MEMORY_WINDOW, closed="left")
            .over(trader),
            _on_route=one.rolling_sum_by("lodged_at", MEMORY_WINDOW, closed="left").over(route),
        )
        .with_columns(
            trader_age_days=(
                (pl.col("lodged_at").dt.epoch("us") - pl.col("_first")) // _MICROS_PER_DAY
            ).fill_null(0),
            new_trader=pl.col("_first").is_null(),
            new_route=pl.col("_on_route").fill_null(0) == 0,
        )
    )
    names = ["trader_age_days", "trader_declarations_90d", "trader_hits_365d"]
    return features.select(
        "party",
        "reference",
        *[pl.when(has_trader).then(pl.col(n).cast(pl.Float64)).alias(n) for n in names],
        *[pl.when(has_trader).then(pl.col(n)).alias(n) for n in ("new_trader", "new_route")],
    )
