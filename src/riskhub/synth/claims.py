"""Synthetic VAT refund claims on the exports of generated traffic.

An exporter reclaims the VAT it paid on goods it sells abroad, on the strength of
the export declaration. That is what makes a ghost export pay: goods sold at home,
declared as exported, the VAT refunded. So a missing entry with a refund claim on
it is worth an officer's time before one without, and matching needs claims to
rank them. Ghost exports claim far more often than honest ones; everything is
drawn from one seed, so a given traffic and seed always give the same claims.
"""

from __future__ import annotations

import numpy as np
import polars as pl

P_CLAIM = {"ghost": 0.8, "honest": 0.1}
REFUND_SHARE = 0.20  # of the declaration's customs value
CLAIM_DAYS = (1, 10)  # the claim follows the export by this many whole days, inclusive

CLAIM_SCHEMA: dict[str, pl.DataType] = {
    "party": pl.String(),  # the exporting Party, whose tax office pays the refund
    "export_reference": pl.String(),
    "exporter": pl.String(),
    "amount_eur": pl.Float64(),
    "claimed_at": pl.Datetime("us"),
}


def vat_claims(rows: pl.DataFrame, *, seed: int) -> pl.DataFrame:
    """VAT refund claims by exporters on the export declarations among ``rows``."""
    exports = (
        rows.lazy()
        .filter(pl.col("direction") == "EXPORT")
        .group_by("party", "reference")
        .agg(
            pl.col("exporter").first(),
            pl.col("customs_value_eur").sum().alias("value"),
            pl.coalesce("arrival_at", "lodged_at").first().alias("time"),
            (pl.col("known_outcome") == "ghost_export").any().alias("ghost"),
        )
        # A fixed order, so the random draws fall on the same declarations every run.
        .sort("party", "reference")
        .collect()
    )
    rng = np.random.default_rng(seed)
    ghost = exports.get_column("ghost").fill_null(False).to_numpy()
    claims = rng.random(exports.height) < np.where(ghost, P_CLAIM["ghost"], P_CLAIM["honest"])
    days = rng.integers(CLAIM_DAYS[0], CLAIM_DAYS[1] + 1, exports.height)
    return (
        exports.with_columns(days=pl.Series(days, dtype=pl.Int64))
        .filter(pl.Series(claims))
        .select(
            "party",
            pl.col("reference").alias("export_reference"),
            "exporter",
            (pl.col("value") * REFUND_SHARE).round(2).alias("amount_eur"),
            (pl.col("time") + pl.duration(days=pl.col("days"))).alias("claimed_at"),
        )
        .cast(pl.Schema(CLAIM_SCHEMA))
    )


__all__ = ["CLAIM_DAYS", "CLAIM_SCHEMA", "P_CLAIM", "REFUND_SHARE", "vat_claims"]
