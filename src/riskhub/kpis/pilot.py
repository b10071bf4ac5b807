"""Pre/post pilot analysis (Phase 2 M&E): did selectivity change things where it was piloted?

The pilot offices before and after the start date are compared with control
offices over the same two periods (difference-in-differences), which removes
what changed everywhere (season, trade). Without control offices only the
plain before/after difference is given, and it says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import polars as pl

from riskhub.kpis.intervals import (
    difference,
    difference_in_differences,
    difference_in_differences_means,
    wilson,
)


def compare(
    frame: pl.DataFrame,
    *,
    pilot: Sequence[str],
    control: Sequence[str],
    start: datetime,
) -> dict[str, Any]:
    """Hit rate, inspection rate and release time in the four groups, with differences."""
    if not pilot:
        raise ValueError("name at least one pilot office")
    overlap = sorted(set(pilot) & set(control))
    if overlap:
        raise ValueError(f"office {overlap[0]} is both a pilot and a control office")
    before = pl.col("lodged_at") < start
    groups = {
        "pilot_before": frame.filter(pl.col("office").is_in(list(pilot)) & before),
        "pilot_after": frame.filter(pl.col("office").is_in(list(pilot)) & ~before),
        "control_before": frame.filter(pl.col("office").is_in(list(control)) & before),
        "control_after": frame.filter(pl.col("office").is_in(list(control)) & ~before),
    }
    hits = {k: _hits(g) for k, g in groups.items()}
    # (inspected, declarations): the inspection rate as a proportion.
    ins = {k: (int(g["inspected"].sum()), g.height) for k, g in groups.items()}
    hours = {k: g["arrival_to_release_h"].drop_nulls().to_list() for k, g in groups.items()}
    out: dict[str, Any] = {
        "pilot_offices": list(pilot),
        "control_offices": list(control),
        "start": start.isoformat(),
        "groups": {
            k: {
                "declarations": g.height,
                "inspections": ins[k][0],
                "hit_rate": wilson(*hits[k]).as_dict(),
                "inspection_rate": wilson(*ins[k]).as_dict(),
                "release_hours_mean": round(sum(hours[k]) / len(hours[k]), 2) if hours[k] else None,
            }
            for k, g in groups.items()
        },
    }
    keys = ("pilot_before", "pilot_after", "control_before", "control_after")
    out["pilot_change"] = {
        "hit_rate": difference(hits["pilot_before"], hits["pilot_after"]).as_dict(),
        "inspection_rate": difference(ins["pilot_before"], ins["pilot_after"]).as_dict(),
    }
    if control:
        out["difference_in_differences"] = {
            "hit_rate": difference_in_differences(*[hits[k] for k in keys]).as_dict(),
            "inspection_rate": difference_in_differences(*[ins[k] for k in keys]).as_dict(),
            "release_hours": difference_in_differences_means(*[hours[k] for k in keys]).as_dict(2),
        }
    else:
        out["difference_in_differences"] = None
        out["caveat"] = "no control offices: the change may not be due to the pilot"
    return out


def _hits(g: pl.DataFrame) -> tuple[int, int]:
    inspected = g.filter(pl.col("inspected"))
    return int(inspected["hit"].sum()), inspected.height
