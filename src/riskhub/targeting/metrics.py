"""How good a ranking is for customs: precision and recall at a budget, revenue, AUC, PSI."""

from __future__ import annotations

from typing import Any

import numpy as np

Array = np.ndarray[Any, Any]


def top(scores: Array, share: float) -> Array:
    """A mask of the ``share`` highest-scored rows (ties broken by position, stably)."""
    n = int(len(scores) * share)
    order = np.argsort(-scores, kind="stable")[:n]
    mask = np.zeros(len(scores), dtype=bool)
    mask[order] = True
    return mask


def precision_at(labels: Array, scores: Array, share: float) -> float:
    """Share of non-compliant rows among the top ``share`` (the hit rate of that budget)."""
    chosen = top(scores, share)
    return float(labels[chosen].mean()) if chosen.any() else float("nan")


def recall_at(labels: Array, scores: Array, share: float) -> float:
    """Share of all non-compliant rows that the top ``share`` catches."""
    positives = labels.sum()
    return float(labels[top(scores, share)].sum() / positives) if positives else float("nan")


def revenue_at(revenue: Array, scores: Array, share: float) -> float:
    """Share of all revenue at stake that the top ``share`` catches."""
    total = revenue.sum()
    return float(revenue[top(scores, share)].sum() / total) if total else float("nan")


def auc(labels: Array, scores: Array) -> float:
    """Area under the ROC curve (Mann-Whitney, ties counted half)."""
    positives, negatives = labels == 1, labels == 0
    if not positives.any() or not negatives.any():
        return float("nan")
    order = np.argsort(scores, kind="stable")
    ranks = np.empty(len(scores))
    sorted_scores = scores[order]
    # Average ranks over ties.
    _, first, counts = np.unique(sorted_scores, return_index=True, return_counts=True)
    average = first + (counts + 1) / 2.0
    ranks[order] = np.repeat(average, counts)
    n_pos, n_neg = positives.sum(), negatives.sum()
    return float((ranks[positives].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def psi(reference_edges: list[float], reference_share: list[float] | None, values: Array) -> float:
    """Population stability index of ``values`` against training's deciles.

    With the decile edges of training, each bin held about a tenth of the
    training rows (``reference_share`` overrides that). Bins get a small floor
    so an empty bin does not make the index infinite. Usual reading: below 0.1
    stable, 0.1-0.25 moderate shift, above 0.25 a shift worth retraining for.
    """
    values = values[~np.isnan(values)]
    if not values.size:
        return float("nan")
    bins = len(reference_edges) + 1
    expected = np.array(reference_share or [1.0 / bins] * bins)
    actual = (
        np.bincount(np.searchsorted(reference_edges, values, side="right"), minlength=bins)
        / values.size
    )
    expected, actual = np.clip(expected, 1e-4, None), np.clip(actual, 1e-4, None)
    return float(np.sum((actual - expected) * np.log(actual / expected)))
