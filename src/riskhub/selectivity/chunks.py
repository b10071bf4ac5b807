"""The batch's unit of work: a month of declarations, read with what their criteria need.

The batch (``riskhub select``, in this process or on Spark) decides pending
declarations a month at a time. Months start at midnight, so an office's day
is never split between two of them and the office budget sees each day whole.
Each month's item rows carry the history fields (from the year before) and the
SEED fields (from the exports their entries quote); the LPCO registry fields
are added by the decision itself, because checking them draws allowances.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator, Sequence
from datetime import datetime, time, timedelta
from typing import Any

import polars as pl
from sqlalchemy import Select, select

from riskhub.declarations.models import Declaration
from riskhub.matching.fields import exits_for, with_seed
from riskhub.profiles.history import with_history
from riskhub.selectivity.models import SelectivityDecision
from riskhub.selectivity.rows import between, item_rows, read_rows

HISTORY_DAYS = 365
MONTH = timedelta(days=31)
READ_PART = 5000  # declaration ids per IN (...) list


def declarations(
    party: str, *, since: datetime | None = None, until: datetime | None = None,
    pending: bool = False,
) -> Select[int, datetime]:  # fmt: skip
    """``party``'s declarations (id, lodged at) in lodgement order; ``pending``: undecided only.

    Undecided means no decision for the current version: an amendment is pending again.
    """
    d, s = Declaration, SelectivityDecision
    query = select(d.id, d.lodged_at).where(d.party == party).order_by(d.lodged_at, d.id)
    if pending:
        query = query.outerjoin(
            s, (s.declaration_id == d.id) & (s.declaration_version == d.version)
        ).where(s.id.is_(None))
    if since is not None:
        query = query.where(d.lodged_at >= since)
    if until is not None:
        query = query.where(d.lodged_at < until)
    return query


def parts(ids: Sequence[int]) -> Iterator[Sequence[int]]:
    """``ids`` in slices short enough for one ``IN (...)`` list."""
    for i in range(0, len(ids), READ_PART):
        yield ids[i : i + READ_PART]


def months(
    ids: Sequence[int], times: Sequence[datetime]
) -> Iterator[tuple[datetime, datetime, list[int]]]:
    """``(start, end, ids)`` per month, for declarations given in lodgement order."""
    if not ids:
        return
    start = datetime.combine(times[0].date(), time())
    last = times[-1]
    while start <= last:
        end = start + MONTH
        # In lodgement order: each month is one slice, found by bisection.
        chunk = list(ids[bisect_left(times, start) : bisect_left(times, end)])
        if chunk:
            yield start, end, chunk
        start = end


def month_rows(
    conn: Any, *, party: str, ids: Sequence[int], start: datetime, end: datetime
) -> pl.DataFrame:
    """The item rows of declarations ``ids`` (lodged in [start, end)) with history and SEED."""
    d = Declaration
    targets = pl.concat(
        [read_rows(conn, item_rows(d.party == party, d.id.in_(part))) for part in parts(ids)]
    )
    window = between(start - timedelta(days=HISTORY_DAYS), end)
    earlier = read_rows(conn, item_rows(d.party == party, window))
    earlier = earlier.join(
        targets.select("declaration_id").unique(), on="declaration_id", how="anti"
    )
    exits = exits_for(session=conn, party=party, frame=targets)
    return with_seed(with_history(targets, earlier), exits)
