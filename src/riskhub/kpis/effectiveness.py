"""Profile effectiveness review: what each profile caught, at what cost, and what to do next.

A profile earns its place when its selections find more than the random
sample does. The review compares each profile's hit rate (with its Wilson
interval) against the random-sample non-compliance rate, and flags profiles
that match nothing, cannot yet be judged, are not better than random, or
are about to expire, each with the action an analyst would take.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import polars as pl

from riskhub.kpis.intervals import wilson
from riskhub.kpis.measures import strata

MIN_INSPECTED = 10  # fewer inspected selections than this cannot show a difference
EXPIRY_WARNING = timedelta(days=30)

ACTIONS = {
    "no_matches": "No declaration matched in {days} days: check the criteria still fit "
    "current traffic (codes, thresholds), or suspend the profile.",
    "too_few_inspections": "Fewer than {min} of its selections were inspected: keep it, "
    "and make sure the officers record their results.",
    "not_better_than_random": "Its hit rate is not above the random sample's at 95%: "
    "tighten the criteria or lower its selection share, and backtest before activating.",
    "expiring": "Valid until {valid_to}: renew it with a new version, or let it expire.",
}


@dataclass(frozen=True)
class ProfileRef:
    """A profile under review: OWNER/CODE, its title and validity."""

    name: str
    title: str
    valid_to: date | None = None


def review(
    frame: pl.DataFrame,
    profiles: Sequence[ProfileRef],
    *,
    today: date,
    quiet_days: int = 30,
) -> list[dict[str, Any]]:
    """One row per profile: matches, selections, inspections, hits, revenue, cost and flags."""
    layers = strata(frame)
    sampled = sum(s.sampled for s in layers)
    baseline = sum(s.non_compliant for s in layers) / sampled if sampled else None
    green = frame.filter(pl.col("channel") == "green")["arrival_to_release_h"].drop_nulls()
    green_median = float(green.median()) if green.len() else None  # type: ignore[arg-type]
    quiet_since = datetime.combine(today - timedelta(days=quiet_days), datetime.min.time())
    matched = frame.explode("matched").filter(pl.col("matched").is_not_null())
    selected = frame.explode("selected").filter(pl.col("selected").is_not_null())
    out = []
    for ref in profiles:
        m = matched.filter(pl.col("matched") == ref.name)
        s = selected.filter(pl.col("selected") == ref.name)
        inspected = s.filter(pl.col("inspected"))
        hits = int(inspected["hit"].sum())
        rate = wilson(hits, inspected.height)
        waits = s["arrival_to_release_h"].drop_nulls()
        cost = (
            round(float(waits.median()) - green_median, 2)  # type: ignore[arg-type]
            if waits.len() and green_median is not None
            else None
        )
        last = m["lodged_at"].max() if m.height else None
        flags = _flags(ref, m.height, last, inspected.height, rate.low, baseline,
                       today=today, quiet_since=quiet_since)  # fmt: skip
        out.append(
            {
                "profile": ref.name,
                "title": ref.title,
                "matches": m.height,
                "selected": s.height,
                "inspected": inspected.height,
                "hits": hits,
                "hit_rate": rate.as_dict(),
                "random_baseline": None if baseline is None else round(baseline, 4),
                "revenue_eur": round(float(inspected["revenue_eur"].sum()), 2),
                "release_cost_hours": cost,
                "last_match": last.isoformat() if isinstance(last, datetime) else None,
                "valid_to": ref.valid_to.isoformat() if ref.valid_to else None,
                "flags": flags,
                "actions": [_action(f, ref, quiet_days) for f in flags],
            }
        )
    return out


def _flags(
    ref: ProfileRef, matches: int, last: Any, inspected: int, low: float | None,
    baseline: float | None, *, today: date, quiet_since: datetime,
) -> list[str]:  # fmt: skip
    flags = []
    if matches == 0 or (isinstance(last, datetime) and last < quiet_since):
        flags.append("no_matches")
    if matches and inspected < MIN_INSPECTED:
        flags.append("too_few_inspections")
    elif matches and baseline is not None and low is not None and low <= baseline:
        flags.append("not_better_than_random")
    if ref.valid_to is not None and ref.valid_to - today <= EXPIRY_WARNING:
        flags.append("expiring")
    return flags


def _action(flag: str, ref: ProfileRef, quiet_days: int) -> str:
    return ACTIONS[flag].format(days=quiet_days, min=MIN_INSPECTED, valid_to=ref.valid_to)
