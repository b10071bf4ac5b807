"""The KPI rollup: each Party's decided declarations counted per day, office, channel and cause.

The KPIs of a period are sums over declarations, and quantiles of release
times. Reading every declaration of every Party with its inspections and
release times made the cross-Party KPI page read ~24,000 rows for 90 days of
demo traffic; the same numbers come from ~3,500 rows of ``kpi_days``.

The rows are derived, never edited. ``refresh`` rebuilds whole days from
``frame.read_frame`` inside the transaction that changed them (a decision
stored, a declaration amended, an inspection or a release time recorded), so
a day's rows say exactly what the frame says once that transaction commits.
``rebuild`` recomputes a Party's whole history (``riskhub kpis rebuild``), and
``fill_missing`` builds it for a database migrated from before the rollup.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import date, datetime, time, timedelta
from typing import Any

import polars as pl
from sqlalchemy import Connection, Engine, delete, func, insert, select
from sqlalchemy.orm import Session

from riskhub.db import locks
from riskhub.db.tenancy import acting_for
from riskhub.declarations.models import Declaration
from riskhub.kpis.frame import read_frame
from riskhub.kpis.models import KpiDay
from riskhub.selectivity.models import SelectivityDecision

KEYS = ("party", "day", "office", "channel", "random_control", "aeo", "driver")
COUNTS = ("declarations", "inspections", "hits", "seizures", "revenue_cents")
HOURS = ("arrival_hours", "lodgement_hours")
SCHEMA: dict[str, Any] = {
    "party": pl.String, "day": pl.Date, "office": pl.String, "channel": pl.String,
    "random_control": pl.Boolean, "aeo": pl.Boolean, "driver": pl.String,
    "declarations": pl.Int64, "inspections": pl.Int64, "hits": pl.Int64, "seizures": pl.Int64,
    "revenue_cents": pl.Int64,
    "arrival_hours": pl.List(pl.Float64), "lodgement_hours": pl.List(pl.Float64),
}  # fmt: skip


def counted(frame: pl.DataFrame) -> pl.DataFrame:
    """Declaration rows (``frame.SCHEMA``) as rollup rows of one declaration each.

    Other columns (e.g. a profile a row was exploded by) are kept.
    """
    c = pl.col
    inspected = c("inspected")
    return frame.with_columns(
        day=c("lodged_at").dt.date(),
        declarations=pl.lit(1, pl.Int64),
        inspections=inspected.cast(pl.Int64),
        hits=(inspected & c("hit")).cast(pl.Int64),
        seizures=(inspected & c("seizure")).cast(pl.Int64),
        # Whole cents, so that totals do not depend on the order they are added in.
        revenue_cents=pl.when(inspected)
        .then((c("revenue_eur") * 100).round())
        .otherwise(0)
        .cast(pl.Int64),
        # A declaration not released yet has no hours: an empty list, not a null in one.
        arrival_hours=_listed("arrival_to_release_h"),
        lodgement_hours=_listed("lodgement_to_release_h"),
    )


def _listed(name: str) -> pl.Expr:
    value = pl.col(name)
    return (
        pl.when(value.is_null())
        .then(pl.lit([], pl.List(pl.Float64)))
        .otherwise(pl.concat_list(value))
    )


def rolled(frame: pl.DataFrame) -> pl.DataFrame:
    """Declaration rows summed into rollup rows, one per group of ``KEYS``."""
    if not frame.height:
        return pl.DataFrame(schema=SCHEMA)
    return (
        counted(frame)
        .group_by(KEYS)
        .agg(*(pl.col(n).sum() for n in COUNTS), *(pl.col(n).explode().drop_nulls() for n in HOURS))
        .sort(KEYS)
        .select(list(SCHEMA))
    )


def refresh(*, connection: Connection, party: str, days: Iterable[date]) -> None:
    """Rebuild ``party``'s rows for ``days`` from what this transaction sees now.

    Call it in the transaction that changed those days, after the change. The
    transaction must be allowed ``party``'s rows (acting for it, or an
    operator's role exempt from row-level security).
    """
    wanted = sorted(set(days))
    if not wanted:
        return
    # Two transactions changing the same day rebuild it one after the other; the second,
    # under READ COMMITTED, then reads what the first committed.
    for day in wanted:
        locks.hold(connection, f"riskhub.kpi_days.{party}.{day}")
    k = KpiDay
    for first, last in _runs(wanted):
        since, until = _midnight(first), _midnight(last + timedelta(days=1))
        with Session(bind=connection) as session:
            frame = read_frame(session=session, party=party, since=since, until=until)
        connection.execute(delete(k).where(k.party == party, k.day >= first, k.day <= last))
        rows = rolled(frame)
        if rows.height:
            connection.execute(insert(k), [_stored(row) for row in rows.iter_rows(named=True)])


def _runs(days: list[date]) -> Iterator[tuple[date, date]]:
    """Consecutive days as (first, last) runs: one read per run, not per day or per span."""
    first = last = days[0]
    for day in days[1:]:
        if day != last + timedelta(days=1):
            yield first, last
            first = day
        last = day
    yield first, last


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min)


def _stored(row: dict[str, Any]) -> dict[str, Any]:
    # repr() of a float reads back as the same float, in Python and in polars alike.
    return {**row, **{name: json.dumps(row[name]) for name in HOURS}}


def hold_declarations(*, connection: Connection, declaration_ids: Iterable[int]) -> None:
    """Lock these declarations' rows to the end of the transaction (PostgreSQL), in id order.

    A decision, an amendment, an inspection and a release time of one declaration
    each rebuild the day of its decision. Whoever comes second must see what the
    first wrote, or a day is rebuilt without it; holding the declaration first
    makes the second wait for the first to commit. Always declarations, then days.
    """
    if connection.dialect.name != "postgresql":
        return  # SQLite has one writer at a time
    ids, d = sorted(set(declaration_ids)), Declaration
    for start in range(0, len(ids), 1000):
        connection.execute(
            select(d.id).where(d.id.in_(ids[start : start + 1000])).order_by(d.id).with_for_update()
        ).all()


def refresh_declarations(*, connection: Connection, declaration_ids: Iterable[int]) -> None:
    """Rebuild the days of these declarations' decisions, after their inspections, release
    times or versions changed in this transaction."""
    ids, days = sorted(set(declaration_ids)), dict[str, set[date]]()
    hold_declarations(connection=connection, declaration_ids=ids)
    s = SelectivityDecision
    for start in range(0, len(ids), 1000):
        for party, lodged_at in connection.execute(
            select(s.party, s.lodged_at).where(s.declaration_id.in_(ids[start : start + 1000]))
        ):
            days.setdefault(party, set()).add(lodged_at.date())
    for party, lodged in sorted(days.items()):
        refresh(connection=connection, party=party, days=lodged)


def read(*, engine: Engine, parties: list[str], since: datetime, until: datetime) -> pl.DataFrame:
    """The rollup rows of ``parties`` for the days in [since, until), each read acting for its
    Party (the callers show aggregates across Parties)."""
    k = KpiDay
    first, last = since.date(), until.date() - timedelta(days=1)
    if until.time() != time.min or since.time() != time.min:
        raise ValueError("the rollup counts whole days")
    columns = [getattr(k, name) for name in SCHEMA]
    rows: list[Any] = []
    for party in parties:
        with acting_for(party), Session(engine) as session:
            rows += (
                session.connection()
                .execute(select(*columns).where(k.party == party, k.day >= first, k.day <= last))
                .all()
            )
    if not rows:
        return pl.DataFrame(schema=SCHEMA)
    raw = {**SCHEMA, **{name: pl.String for name in HOURS}}
    frame = pl.DataFrame(list(zip(*rows, strict=True)), schema=raw, orient="col")
    return frame.with_columns(pl.col(n).str.json_decode(SCHEMA[n]) for n in HOURS)


def rebuild(*, engine: Engine, party: str) -> int:
    """Recompute every day of ``party``'s rollup; the number of rows it has then.

    A month per transaction, each day locked as a live write locks it, so the
    API keeps working meanwhile and a rebuild never deadlocks with it.
    """
    s, k = SelectivityDecision, KpiDay
    writer = engine.execution_options(sqlite_immediate=True)
    with acting_for(party), Session(engine) as session:
        first, last = session.execute(
            select(func.min(s.lodged_at), func.max(s.lodged_at)).where(s.party == party)
        ).one()
        # Days with rows but no decision any more are emptied too.
        days = set(session.scalars(select(k.day).distinct().where(k.party == party)))
    if first is not None:
        days |= set(_every_day(first.date(), last.date()))
    ordered = sorted(days)
    for start in range(0, len(ordered), 31):
        with acting_for(party), Session(writer) as session, session.begin():
            refresh(connection=session.connection(), party=party, days=ordered[start : start + 31])
    with acting_for(party), Session(engine) as session:
        return int(session.scalar(select(func.count()).select_from(k).where(k.party == party)) or 0)


def _every_day(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def fill_missing(*, engine: Engine, parties: list[str]) -> list[str]:
    """Build the rollup of each Party that has decisions but no rollup yet; the Parties built."""
    s, k, built = SelectivityDecision, KpiDay, []
    for party in parties:
        with acting_for(party), Session(engine) as session:
            decided = session.scalar(select(s.id).where(s.party == party).limit(1))
            rolled_up = session.scalar(select(k.day).where(k.party == party).limit(1))
        if decided is not None and rolled_up is None:
            rebuild(engine=engine, party=party)
            built.append(party)
    return built
