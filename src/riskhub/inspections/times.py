"""Release times after the WCO Time Release Study: record the border's timestamps, check them.

The headline is arrival at the border post to release. Lodgement comes from
the declaration, the channel time from the decision when the national system
sends none, and the control intervals from recorded inspections; the rest
(arrival, pre-arrival data, release, exit, other agencies) from the border.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from riskhub.db.base import naive_utc, utcnow
from riskhub.db.upsert import insert_for
from riskhub.declarations.models import Declaration
from riskhub.inspections.models import ReleaseTime
from riskhub.inspections.schemas import TIMESTAMPS, plausible
from riskhub.kpis import rollup

# (earlier, later): the later may not come before the earlier.
ORDER = (
    ("pre_arrival_at", "arrival_at", "pre-arrival data comes before arrival"),
    ("lodged_at", "channel_at", "the channel is given after lodgement"),
    ("document_start", "document_end", "the documentary check ends after it starts"),
    ("physical_start", "physical_end", "the physical check ends after it starts"),
    ("agency_start", "agency_end", "the other agency's control ends after it starts"),
    ("arrival_at", "physical_start", "goods are examined after they arrive"),
    ("arrival_at", "released_at", "goods are released after they arrive"),
    ("lodged_at", "released_at", "goods are released after lodgement"),
    ("document_end", "released_at", "release comes after the documentary check"),
    ("physical_end", "released_at", "release comes after the physical check"),
    ("agency_end", "released_at", "release comes after the other agency's control"),
    ("released_at", "exit_at", "goods leave the border post after release"),
)


@dataclass
class TimesOutcome:
    stored: int = 0
    rejected: list[tuple[int, str, str]] = field(default_factory=list)  # (line, field, reason)


def check_order(times: Mapping[str, datetime | None]) -> list[tuple[str, str]]:
    """Every pair of timestamps out of order, as (field, reason)."""
    problems = []
    for early, late, rule in ORDER:
        a, b = times.get(early), times.get(late)
        if a is not None and b is not None and b < a:
            problems.append((late, f"{late} {b:%Y-%m-%d %H:%M} is before {early} "
                                   f"{a:%Y-%m-%d %H:%M}: {rule}"))  # fmt: skip
    return problems


def merged(row: ReleaseTime | None, changes: Mapping[str, datetime | None]) -> dict[str, datetime]:
    """The stored timestamps with ``changes`` laid over them (None leaves a value as it was)."""
    out = {name: getattr(row, name) for name in TIMESTAMPS} if row is not None else {}
    out.update({k: naive_utc(v) for k, v in changes.items() if v is not None})
    return {k: v for k, v in out.items() if v is not None}


def release_row(session: Session, party: str, declaration_id: int) -> ReleaseTime:
    """The declaration's release-time row, created if missing.

    Created with INSERT ... ON CONFLICT DO NOTHING, so that two agencies
    recording at the same moment both find one row instead of one failing.
    """
    row = session.get(ReleaseTime, declaration_id)
    if row is not None:
        return row
    session.execute(
        insert_for(session, ReleaseTime)
        .values(declaration_id=declaration_id, party=party, updated_at=utcnow())
        .on_conflict_do_nothing(index_elements=["declaration_id"])
    )
    found = session.get(ReleaseTime, declaration_id, populate_existing=True)
    assert found is not None
    return found


def save(
    *, session: Session, party: str, declaration_id: int,
    changes: Mapping[str, datetime | None], offices: tuple[str, ...] = (),
) -> tuple[ReleaseTime | None, list[tuple[str, str]]]:  # fmt: skip
    """Lay ``changes`` over a declaration's release times; (None, []) when it is not found.

    With ``offices`` (an officer's), only declarations lodged at those offices are found.
    """
    row, problems = _save(session, party, declaration_id, changes, offices)
    if row is not None and not problems:
        rollup.refresh_declarations(
            connection=session.connection(), declaration_ids=[declaration_id]
        )
    return row, problems


def _save(
    session: Session, party: str, declaration_id: int,
    changes: Mapping[str, datetime | None], offices: tuple[str, ...] = (),
) -> tuple[ReleaseTime | None, list[tuple[str, str]]]:  # fmt: skip
    declaration = session.get(Declaration, declaration_id)
    if declaration is None or declaration.party != party:
        return None, []
    if offices and declaration.office not in offices:
        return None, []
    row = session.get(ReleaseTime, declaration_id)
    times = merged(row, changes)
    problems = check_order({**times, "lodged_at": declaration.lodged_at})
    if problems:
        return row, problems
    row = release_row(session, party, declaration_id)
    for name in TIMESTAMPS:
        setattr(row, name, times.get(name))
    row.updated_at = utcnow()
    session.flush()
    return row, []


def intervals(lodged_at: datetime, row: ReleaseTime | None) -> dict[str, float | None]:
    """The TRS intervals of one declaration, in hours (None where a timestamp is missing)."""
    t = {name: getattr(row, name) if row is not None else None for name in TIMESTAMPS}

    def hours(a: datetime | None, b: datetime | None) -> float | None:
        return None if a is None or b is None else round((b - a).total_seconds() / 3600, 3)

    ends: list[datetime] = [
        v for n in ("document_end", "physical_end", "agency_end") if (v := t[n]) is not None
    ]
    result = max(ends) if ends else t["released_at"]
    total = hours(t["arrival_at"], t["released_at"])
    agency = hours(t["agency_start"], t["agency_end"])
    return {
        "arrival_to_release": total,
        "lodgement_to_release": hours(lodged_at, t["released_at"]),
        "channel_to_result": hours(t["channel_at"], result),
        "other_agency_share": round(agency / total, 4) if agency is not None and total else None,
    }


def import_csv(*, session: Session, party: str, path: Path) -> TimesOutcome:
    """Load a CSV of ``reference`` plus timestamp columns; bad rows are reported, good ones land.

    Rows are read in one pass; each names its line and field when refused.
    """
    outcome = TimesOutcome()
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames or []
        unknown = [c for c in header if c not in ("reference", *TIMESTAMPS)]
        if "reference" not in header or unknown:
            reason = f"unknown column {unknown[0]!r}" if unknown else "no 'reference' column"
            outcome.rejected.append((1, unknown[0] if unknown else "reference", reason))
            return outcome
        rows = list(enumerate(reader, start=2))
    references = {r.get("reference", "") for _, r in rows}
    ids = dict(
        session.execute(
            select(Declaration.reference, Declaration.id).where(
                Declaration.party == party, Declaration.reference.in_(references)
            )
        ).all()
    )
    stored: list[int] = []
    for line, raw in rows:
        if None in raw:  # DictReader keeps cells beyond the header under None
            outcome.rejected.append((line, "", "more cells than the header has columns"))
            continue
        reference = (raw.get("reference") or "").strip()
        if reference not in ids:
            outcome.rejected.append((line, "reference", f"no declaration {reference!r} of {party}"))
            continue
        changes, bad = _parse(raw.items())
        if bad:
            outcome.rejected.extend((line, name, reason) for name, reason in bad)
            continue
        with session.begin_nested():
            found, problems = _save(session, party, ids[reference], changes)
            if problems:
                outcome.rejected.extend((line, name, reason) for name, reason in problems)
                continue
        if found is not None:
            stored.append(ids[reference])
    outcome.stored = len(stored)
    # Once for the whole file: the KPIs of the days these declarations were decided.
    rollup.refresh_declarations(connection=session.connection(), declaration_ids=stored)
    return outcome


def _parse(
    cells: Iterable[tuple[str, str | None]],
) -> tuple[dict[str, datetime | None], list[tuple[str, str]]]:
    changes: dict[str, datetime | None] = {}
    bad = []
    for name, value in cells:
        if name == "reference" or not value or not value.strip():
            continue
        try:
            changes[name] = naive_utc(plausible(datetime.fromisoformat(value.strip())))
        except (ValueError, OverflowError) as error:
            why = (
                str(error)
                if "between the years" in str(error)
                else (f"{value.strip()!r} is not a date and time (e.g. 2026-05-04T10:30)")
            )
            bad.append((name, why))
    return changes, bad
