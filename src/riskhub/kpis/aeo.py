"""AEO KPIs (L7): how many AEOs have priority passage, and their release times against others.

An AEO has priority passage in a Party when it holds, on the day, that Party's
authorisation or one of a Party it recognises (docs/registries.md). Release
times are the arrival-to-release hours of the KPI frame, split by whether the
decision counted the trader as an AEO.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import polars as pl
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from riskhub.db.tenancy import acting_for
from riskhub.kpis.frame import read_parties
from riskhub.kpis.measures import release_hours
from riskhub.reference.parties import CEFTA_PARTIES
from riskhub.registries.service import aeo_register

L7_TARGET = 300  # AEOs with priority passage the Strategy aims at (action L7)


def priority_passage(*, engine: Engine, parties: Sequence[str], on: date) -> dict[str, Any]:
    """AEOs with priority passage on ``on``: per Party (own, recognised) and distinct in total.

    Priority passage is what CEFTA Parties' borders give (L7): an EU Member
    State's or the sandbox's register kept here counts only where a CEFTA Party
    recognises it.
    """
    rows, everyone = [], set()
    for party in [p for p in parties if p in CEFTA_PARTIES]:
        with acting_for(party), Session(engine) as session:
            held = aeo_register(connection_or_session=session, party=party).on(on)
        own = sum(1 for h in held.values() if h.agreement is None)
        rows.append({"party": party, "own": own, "recognised": len(held) - own, "total": len(held)})
        everyone |= set(held)
    total = len(everyone)
    return {
        "on": on.isoformat(),
        "target": L7_TARGET,
        "total": total,
        "share_of_target": round(total / L7_TARGET, 4),
        "parties": rows,
    }


def release_times(
    *, engine: Engine, parties: Sequence[str], since: datetime, until: datetime,
    min_group: int = 0,
) -> list[dict[str, Any]]:  # fmt: skip
    """Per Party and for all together: arrival-to-release hours of AEOs and of the others.

    A group of fewer than ``min_group`` timed declarations is left out (``None``).
    """
    frame = read_parties(engine=engine, parties=list(parties), since=since, until=until)
    out = []
    groups = [("all", frame), *((p, frame.filter(pl.col("party") == p)) for p in parties)]
    for name, group in groups:
        row: dict[str, Any] = {"party": name}
        for label, aeo in (("aeo", True), ("non_aeo", False)):
            hours = release_hours(group.filter(pl.col("aeo") == aeo))
            row[label] = hours if hours["n"] >= max(min_group, 1) else None
        out.append(row)
    return out


def aeo_kpis(
    *, engine: Engine, parties: Sequence[str], since: datetime, until: datetime, on: date,
    min_group: int = 0,
) -> dict[str, Any]:  # fmt: skip
    """Both AEO KPIs in one answer, for the CLI, the API and the dashboard."""
    return {
        "priority_passage": priority_passage(engine=engine, parties=parties, on=on),
        "release_hours": release_times(
            engine=engine, parties=parties, since=since, until=until, min_group=min_group
        ),
    }


def lines(found: dict[str, Any]) -> list[str]:
    """The AEO KPIs in plain sentences, for the terminal and the demo."""
    passage = found["priority_passage"]
    out = [
        f"AEOs with priority passage on {passage['on']}: {passage['total']:,} "
        f"(L7 target {passage['target']}: {passage['share_of_target']:.0%})"
    ]
    out += [
        f"  {r['party']}: {r['total']:,} ({r['own']:,} own, {r['recognised']:,} recognised)"
        for r in passage["parties"]
        if r["total"]
    ]
    for row in found["release_hours"]:
        parts = []
        for label, name in (("aeo", "AEO"), ("non_aeo", "others")):
            hours = row[label]
            if hours and hours["median"] is not None:
                parts.append(f"{name} median {hours['median']:.2f} h (n={hours['n']:,})")
        if parts:
            out.append(f"Release time, {row['party']}: " + "; ".join(parts))
    return out
