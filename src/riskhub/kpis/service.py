"""KPIs, profile reviews and pilot comparisons for a caller, over the Parties they may see.

A Party's analysts see their own Party. The Secretariat and the RMWG see every
Party, as aggregates: each Party's frame is read acting for that Party, the
numbers are computed here, and no declaration or trader leaves this module.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

import polars as pl
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from riskhub.access.roles import Role
from riskhub.db.tenancy import acting_for
from riskhub.kpis import effectiveness, measures, pilot, rollup
from riskhub.kpis.frame import read_parties
from riskhub.profiles.models import RiskProfile
from riskhub.profiles.service import active_common_codes, shared_with
from riskhub.reference.parties import LIVE_OWNERS, SECRETARIAT_PARTY
from riskhub.selectivity.models import SelectivityDecision

CROSS_PARTY_ROLES = frozenset({Role.SECRETARIAT, Role.RMWG})
MIN_GROUP = 10  # declarations: smaller groups are left out of cross-Party answers


def parties_for(*, party: str, role: Role) -> list[str]:
    """The Parties whose numbers a caller may see: all for the Secretariat and RMWG (but the
    sandbox, whose training traffic is no administration's)."""
    return sorted(LIVE_OWNERS) if role in CROSS_PARTY_ROLES else [party]


def period(since: date | None, until: date | None, *, days: int = 90) -> tuple[datetime, datetime]:
    """[since, until) as datetimes; ``until`` is inclusive as a day, default the last 90 days."""
    for day in (since, until):
        # Checked before any date arithmetic, which overflows near the year 1 or 9999.
        if day is not None and not 2000 <= day.year <= 2100:
            raise ValueError("the period lies between the years 2000 and 2100")
    last = until or date.today()
    first = since or last - timedelta(days=days - 1)
    if first > last:
        raise ValueError("since is after until")
    return datetime.combine(first, time.min), datetime.combine(last + timedelta(days=1), time.min)


def last_lodged(*, engine: Engine, parties: Sequence[str]) -> date | None:
    """The lodgement day of the latest decided declaration of ``parties`` (None before any)."""
    s, latest = SelectivityDecision, []
    for party in parties:
        with acting_for(party), Session(engine) as session:
            found = session.scalar(select(func.max(s.lodged_at)).where(s.party == party))
        if found is not None:
            latest.append(found.date())
    return max(latest, default=None)


def span(since: datetime, until: datetime) -> dict[str, str]:
    """[since, until) as the first and last day, inclusive, for answers and titles."""
    return {
        "since": since.date().isoformat(),
        "until": (until - timedelta(days=1)).date().isoformat(),
    }


def kpi_table(
    *, engine: Engine, parties: Sequence[str], since: datetime, until: datetime, by: str | None,
    aggregates_only: bool = False,
) -> list[dict[str, Any]]:  # fmt: skip
    """The KPI rows of ``parties`` in [since, until), grouped ``by``.

    ``aggregates_only`` is for readers outside the Parties (Secretariat, RMWG).
    """
    # Profiles are named by declarations; every other group is counted by the rollup.
    read = read_parties if by == "profile" else rollup.read
    frame = read(engine=engine, parties=list(parties), since=since, until=until)
    return _shown(measures.kpis(frame, by=by), by, aggregates_only)


def _shown(
    rows: list[dict[str, Any]], by: str | None, aggregates_only: bool
) -> list[dict[str, Any]]:
    if aggregates_only:
        # Across Parties: the common profiles only (a Party's own are its business), and
        # no group so small that its numbers describe a handful of consignments.
        rows = [
            r for r in rows if by != "profile" or r["profile"].startswith(f"{SECRETARIAT_PARTY}/")
        ]
        rows = [r for r in rows if r["declarations"] >= MIN_GROUP]
    return rows


STEPS = {"week": "1w", "month": "1mo"}  # weeks start on Monday
SPREAD = (0.1, 0.25, 0.5, 0.75, 0.9)


def dashboard(
    *, engine: Engine, parties: Sequence[str], since: datetime, until: datetime,
    scope: tuple[str, str] | None, step: str, aggregates_only: bool,
) -> dict[str, Any]:  # fmt: skip
    """The KPI page from one read: the scope's total and series, breakdowns, release times."""
    # Every row is one the KPI API gives the same reader: the scope is one group of
    # by=party|office|channel, and a point of the series is that group over one week or
    # month (the API asked for that period), so the minimum group size applies to each.
    frame = rollup.read(engine=engine, parties=list(parties), since=since, until=until)
    by, key = scope or (None, None)
    focus = frame.filter(pl.col(by) == key) if by else frame

    def rows(f: pl.DataFrame, group: str | None) -> list[dict[str, Any]]:
        return _shown(measures.kpis(f, by=group), group, aggregates_only)

    series = []
    stamped = focus.with_columns(pl.col("day").dt.truncate(STEPS[step]).alias("period"))
    for (start,), part in stamped.sort("period").group_by("period", maintain_order=True):
        series += [{"period": start, **r} for r in rows(part.drop("period"), by)]
    return {
        "total": next(iter(rows(focus, by)), None),
        "series": series,
        "groups": {g: rows(frame, g) for g in ("channel", "office", "party")},
        "release": _release_spread(frame, aggregates_only),
    }


def _release_spread(frame: pl.DataFrame, aggregates_only: bool) -> list[dict[str, Any]]:
    """Arrival-to-release quantiles per channel, for the groups the KPI rows show."""
    out = []
    for channel in measures.CHANNELS:
        group = frame.filter(pl.col("channel") == channel)
        hours = group["arrival_hours"].explode().drop_nulls()
        declarations = int(group["declarations"].sum())
        if not hours.len() or (aggregates_only and min(declarations, hours.len()) < MIN_GROUP):
            continue
        cut = {f"p{round(q * 100)}": round(float(hours.quantile(q, interpolation="linear") or 0), 2)
               for q in SPREAD}  # fmt: skip
        out.append({"channel": channel, "n": hours.len(), **cut})
    return out


def profile_review(
    *,
    engine: Engine,
    parties: Sequence[str],
    since: datetime,
    until: datetime,
    quiet_days: int = 30,
) -> list[dict[str, Any]]:
    """The effectiveness review of the active profiles judging ``parties``' declarations.

    Across several Parties only the common profiles are reviewed: a Party's own
    profiles are its business.
    """
    frame = read_parties(engine=engine, parties=list(parties), since=since, until=until)
    refs: dict[str, effectiveness.ProfileRef] = {}
    for party in parties:
        for row in _active(engine, party):
            if len(parties) > 1 and row.party != SECRETARIAT_PARTY:
                continue
            name = f"{row.party}/{row.code}"
            refs[name] = effectiveness.ProfileRef(name, row.title, row.valid_to)
    # "Silent for 30 days" counts back from the last lodgement in the data, not from the
    # end of a period the traffic has not reached yet.
    today = (until - timedelta(days=1)).date()
    if frame.height:
        today = min(today, frame["lodged_at"].max().date())  # type: ignore[union-attr]
    return effectiveness.review(
        frame, sorted(refs.values(), key=lambda r: r.name), today=today, quiet_days=quiet_days
    )


def profile_at(
    *, engine: Engine, party: str, name: str, since: datetime, until: datetime
) -> dict[str, Any]:
    """One profile's effectiveness row (OWNER/CODE) at one Party over [since, until)."""
    frame = read_parties(engine=engine, parties=[party], since=since, until=until)
    (row,) = effectiveness.review(frame, [effectiveness.ProfileRef(name, name)], today=until.date())
    return row


def _active(engine: Engine, party: str) -> list[RiskProfile]:
    with acting_for(party), Session(engine) as session:
        rows = session.scalars(
            select(RiskProfile)
            .where(
                RiskProfile.status == "active",
                RiskProfile.party.in_([party, SECRETARIAT_PARTY]),
            )
            .order_by(RiskProfile.party, RiskProfile.code)
        )
        switched_on = active_common_codes(session=session, party=party)
        # A common profile is reviewed for a Party only while that Party uses it.
        return [
            r
            for r in rows
            if r.party == party or (r.code in switched_on and shared_with(session, party, r))
        ]


def pilot_comparison(
    *,
    engine: Engine,
    parties: Sequence[str],
    since: datetime,
    until: datetime,
    offices: Sequence[str],
    control: Sequence[str],
    start: datetime,
) -> dict[str, Any]:
    """Pilot offices against control offices, before and after ``start``."""
    if not since < start < until:
        raise ValueError("the pilot start must fall inside the period")
    frame = read_parties(engine=engine, parties=list(parties), since=since, until=until)
    known = set(frame["office"].unique().to_list())
    unknown = [o for o in (*offices, *control) if o not in known]
    if unknown:
        raise ValueError(f"no decided declarations at office {unknown[0]} in the period")
    return pilot.compare(frame, pilot=offices, control=control, start=start)
