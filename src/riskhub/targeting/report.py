"""The benchmark measures of a scored period, in one dictionary."""

from __future__ import annotations

from typing import Any

import polars as pl

from riskhub.targeting import metrics


def evaluation(labelled: pl.DataFrame, scored: pl.DataFrame) -> dict[str, Any]:
    """Precision@1/2/5/10%, recall@10%, critical recall@10%, revenue@10% and AUC, per declaration.

    Rows are joined to their scores by id; a declaration of several items is
    non-compliant if any item is, and as risky as its riskiest item.
    """
    per = (
        labelled.with_columns(scored["score"])
        .group_by("id")
        .agg(
            pl.col("fraud").max(),
            pl.col("critical").max(),
            pl.col("revenue").sum(),
            pl.col("score").max(),
        )
        .sort("id")
    )
    y = per["fraud"].fill_null(0).to_numpy()
    s = per["score"].to_numpy()
    out: dict[str, Any] = {
        f"precision_at_{k}": round(metrics.precision_at(y, s, k / 100), 4) for k in (1, 2, 5, 10)
    }
    out["recall_at_10"] = round(metrics.recall_at(y, s, 0.10), 4)
    critical = per["critical"].fill_null(0).to_numpy()
    out["critical_recall_at_10"] = (
        round(metrics.recall_at(critical, s, 0.10), 4) if critical.any() else None
    )
    out["revenue_at_10"] = round(
        metrics.revenue_at(per["revenue"].fill_null(0.0).to_numpy(), s, 0.10), 4
    )
    out["auc"] = round(metrics.auc(y, s), 4)
    out["declarations"] = per.height
    return out
