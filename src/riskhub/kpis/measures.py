"""The KPIs of risk management, computed from the decision frame (``frame.py``).

Each KPI is defined in docs/kpis.md (formula, unit, data source) under the same
name as its key here. Groups are Parties, offices, channels or profiles; the
estimates that need a random sample of a whole population (baseline
compliance, detection, leakage) are given for Parties and offices only,
because a channel or a profile's selections are not a random sample of
anything.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from riskhub.kpis.intervals import Interval, Stratum, detection_rate, leakage, wilson
from riskhub.kpis.intervals import non_compliant_total as total_interval

GROUPS = ("party", "office", "channel", "profile")
CHANNELS = ("green", "blue", "yellow", "red")
DRIVERS = ("profile", "model", "random", "score_top_up", "other")
POPULATIONS = (None, "party", "office")  # groups that are whole populations


def kpis(frame: pl.DataFrame, *, by: str | None = None) -> list[dict[str, Any]]:
    """One row of KPIs per group (a single row for all of ``frame`` when ``by`` is None)."""
    if by is not None and by not in GROUPS:
        raise ValueError(f"group by one of {', '.join(GROUPS)}")
    if by == "profile":
        frame = frame.explode("selected").filter(pl.col("selected").is_not_null())
        frame = frame.with_columns(pl.col("selected").alias("profile"))
    if by is None:
        return [_row(frame, population=True)] if frame.height else []
    out = []
    for (key,), group in frame.sort(by).group_by(by, maintain_order=True):
        out.append({by: key, **_row(group, population=by in POPULATIONS)})
    return out


def _row(g: pl.DataFrame, *, population: bool) -> dict[str, Any]:
    n = g.height
    inspected = g.filter(pl.col("inspected"))
    hits = int(inspected["hit"].sum())
    targeted = inspected.filter(~pl.col("random_control"))
    targeted_hits = int(targeted["hit"].sum())
    revenue = float(inspected["revenue_eur"].sum())
    seizures = int(inspected["seizure"].sum())
    selected = g.filter(pl.col("channel") != "green")
    row: dict[str, Any] = {
        "declarations": n,
        "selectivity_rate": {
            c: round(g.filter(pl.col("channel") == c).height / n, 4) if n else None
            for c in CHANNELS
        },
        "inspections": inspected.height,
        "hits": hits,
        "hit_rate": wilson(hits, inspected.height).as_dict(),
        "targeted_hit_rate": wilson(targeted_hits, targeted.height).as_dict(),
        "false_positive_rate": wilson(targeted.height - targeted_hits, targeted.height).as_dict(),
        "revenue_total_eur": round(revenue, 2),
        "revenue_per_inspection_eur": round(revenue / inspected.height, 2)
        if inspected.height
        else None,
        "seizure_rate": wilson(seizures, inspected.height).as_dict(),
        "release_hours": release_hours(g),
        "drivers": {
            d: round(selected.filter(pl.col("driver") == d).height / selected.height, 4)
            if selected.height
            else None
            for d in DRIVERS
        },
    }
    row.update(_population(g, hits) if population else _NOT_A_POPULATION)
    return row


_UNKNOWN = Interval(None, None, None).as_dict()
_NOT_A_POPULATION: dict[str, Any] = {
    "random_sample": None,
    "non_compliant_estimate": _UNKNOWN,
    "detection_rate": _UNKNOWN,
    "leakage": _UNKNOWN,
}


def strata(g: pl.DataFrame) -> list[Stratum]:
    """The random control sample of ``g`` in its two strata, AEO and not.

    AEO declarations are sampled at a lower rate, so a small office may have no
    AEO random control in a period. Their stratum is then pooled with the
    others, which assumes AEOs comply no better than the rest: the estimate of
    non-compliance errs high and the detection rate errs low, never flattering.
    """
    out = []
    for aeo in (False, True):
        s = g.filter(pl.col("aeo") == aeo)
        sample = s.filter(pl.col("random_control") & pl.col("inspected"))
        out.append(Stratum(s.height, sample.height, int(sample["hit"].sum())))
    others, aeo_stratum = out
    if aeo_stratum.population and not aeo_stratum.sampled:
        return [Stratum(others.population + aeo_stratum.population, others.sampled,
                        others.non_compliant)]  # fmt: skip
    return out


def _population(g: pl.DataFrame, hits: int) -> dict[str, Any]:
    layers = strata(g)
    sampled = sum(s.sampled for s in layers)
    compliant = sampled - sum(s.non_compliant for s in layers)
    return {
        "random_sample": {
            "strata": len(layers),  # 1 when the AEO stratum had no random control
            "inspected": sampled,
            "compliant": compliant,
            "compliance_rate": wilson(compliant, sampled).as_dict(),
        },
        # Never fewer than the controls actually found.
        "non_compliant_estimate": _at_least(total_interval(layers), hits).as_dict(1),
        "detection_rate": detection_rate(hits, layers).as_dict(),
        "leakage": leakage(hits, layers).as_dict(1),
    }


def _at_least(interval: Interval, floor: int) -> Interval:
    if interval.estimate is None or interval.low is None or interval.high is None:
        return interval
    return Interval(max(interval.estimate, floor), max(interval.low, floor),
                    max(interval.high, floor))  # fmt: skip


def release_hours(g: pl.DataFrame) -> dict[str, Any]:
    """Median and 90th percentile of arrival→release, and the median of lodgement→release."""
    hours = g["arrival_to_release_h"].drop_nulls()
    lodged = g["lodgement_to_release_h"].drop_nulls()

    def q(series: pl.Series, p: float) -> float | None:
        value = series.quantile(p, interpolation="linear") if series.len() else None
        return None if value is None else round(float(value), 2)

    return {
        "n": hours.len(),
        "median": q(hours, 0.5),
        "p90": q(hours, 0.9),
        "lodgement_to_release_median": q(lodged, 0.5),
    }
