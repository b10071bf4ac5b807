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

from riskhub.kpis import rollup
from riskhub.kpis.intervals import Interval, Stratum, detection_rate, leakage, wilson
from riskhub.kpis.intervals import non_compliant_total as total_interval

GROUPS = ("party", "office", "channel", "profile")
CHANNELS = ("green", "blue", "yellow", "red")
DRIVERS = ("profile", "model", "random", "score_top_up", "other")
POPULATIONS = (None, "party", "office")  # groups that are whole populations


def kpis(frame: pl.DataFrame, *, by: str | None = None) -> list[dict[str, Any]]:
    """One row of KPIs per group (a single row for all of ``frame`` when ``by`` is None).

    ``frame`` holds declarations (``frame.SCHEMA``) or their daily rollup
    (``rollup.SCHEMA``); the rows are the same either way. Grouping by profile
    needs declarations, which name the profiles that selected them.
    """
    if by is not None and by not in GROUPS:
        raise ValueError(f"group by one of {', '.join(GROUPS)}")
    if by == "profile":
        frame = frame.explode("selected").filter(pl.col("selected").is_not_null())
        frame = frame.with_columns(pl.col("selected").alias("profile"))
    rows = frame if "declarations" in frame.columns else rollup.counted(frame)
    if not rows.height:
        return []
    if by is None:
        return [_row(rows.select(**_counts()).row(0, named=True), population=True)]
    table = rows.group_by(by).agg(**_counts()).sort(by)
    return [{by: k[by], **_row(k, population=by in POPULATIONS)}
            for k in table.iter_rows(named=True)]  # fmt: skip


def _counts() -> dict[str, pl.Expr]:
    """Every count a KPI row needs, as one aggregation (a page computes hundreds of rows)."""
    c = pl.col
    random, selected = c("random_control"), c("channel") != "green"

    def total(name: str, where: pl.Expr | None = None) -> pl.Expr:
        return (c(name) if where is None else c(name).filter(where)).sum()

    exprs = {
        "n": total("declarations"),
        "inspections": total("inspections"),
        "hits": total("hits"),
        "targeted": total("inspections", ~random),
        "targeted_hits": total("hits", ~random),
        "revenue": total("revenue_cents"),
        "seizures": total("seizures"),
        "selected": total("declarations", selected),
        **{f"channel_{x}": total("declarations", c("channel") == x) for x in CHANNELS},
        **{f"driver_{d}": total("declarations", selected & (c("driver") == d)) for d in DRIVERS},
        **_release(),
    }
    for aeo in (False, True):
        stratum = c("aeo") == aeo
        exprs[f"population_{aeo}"] = total("declarations", stratum)
        exprs[f"sampled_{aeo}"] = total("inspections", stratum & random)
        exprs[f"non_compliant_{aeo}"] = total("hits", stratum & random)
    return exprs


def _release() -> dict[str, pl.Expr]:
    arrival = pl.col("arrival_hours").explode().drop_nulls()
    lodged = pl.col("lodgement_hours").explode().drop_nulls()
    return {
        "release_n": arrival.len(),
        "release_median": arrival.quantile(0.5, interpolation="linear"),
        "release_p90": arrival.quantile(0.9, interpolation="linear"),
        "release_lodged_median": lodged.quantile(0.5, interpolation="linear"),
    }


def _row(k: dict[str, Any], *, population: bool) -> dict[str, Any]:
    n, inspections, hits = k["n"], k["inspections"], k["hits"]
    targeted, targeted_hits, revenue = k["targeted"], k["targeted_hits"], k["revenue"] / 100
    row: dict[str, Any] = {
        "declarations": n,
        "selectivity_rate": {x: round(k[f"channel_{x}"] / n, 4) if n else None for x in CHANNELS},
        "inspections": inspections,
        "hits": hits,
        "hit_rate": wilson(hits, inspections).as_dict(),
        "targeted_hit_rate": wilson(targeted_hits, targeted).as_dict(),
        "false_positive_rate": wilson(targeted - targeted_hits, targeted).as_dict(),
        "revenue_total_eur": round(revenue, 2),
        "revenue_per_inspection_eur": round(revenue / inspections, 2) if inspections else None,
        "seizure_rate": wilson(k["seizures"], inspections).as_dict(),
        "release_hours": _release_row(k),
        "drivers": {
            d: round(k[f"driver_{d}"] / k["selected"], 4) if k["selected"] else None
            for d in DRIVERS
        },
    }
    if population:
        layers = _pooled([Stratum(k[f"population_{a}"], k[f"sampled_{a}"],
                                  k[f"non_compliant_{a}"]) for a in (False, True)])  # fmt: skip
        row.update(_population(layers, hits))
    else:
        row.update(_NOT_A_POPULATION)
    return row


def _release_row(k: dict[str, Any]) -> dict[str, Any]:
    def hours(value: float | None) -> float | None:
        return None if value is None else round(float(value), 2)

    return {
        "n": k["release_n"],
        "median": hours(k["release_median"]),
        "p90": hours(k["release_p90"]),
        "lodgement_to_release_median": hours(k["release_lodged_median"]),
    }


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
    return _pooled(out)


def _pooled(out: list[Stratum]) -> list[Stratum]:
    """The AEO stratum pooled with the others when it had no random control (see ``strata``)."""
    others, aeo_stratum = out
    if aeo_stratum.population and not aeo_stratum.sampled:
        return [Stratum(others.population + aeo_stratum.population, others.sampled,
                        others.non_compliant)]  # fmt: skip
    return out


def _population(layers: list[Stratum], hits: int) -> dict[str, Any]:
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
    """Median and 90th percentile of arrival→release, and the median of lodgement→release,
    of declaration rows."""
    rows = g if "declarations" in g.columns else rollup.counted(g)
    return _release_row(rows.select(**_release()).row(0, named=True))
