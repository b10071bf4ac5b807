"""Registry services: load AEO authorisations from CSV, and say who holds one on a day."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, func, select
from sqlalchemy.orm import Session

from riskhub.db import tenancy
from riskhub.db.base import utcnow
from riskhub.db.upsert import insert_for
from riskhub.logs import log
from riskhub.reference.parties import DECLARATION_OWNERS, PARTY_CODES
from riskhub.registries.models import AeoAuthorisation
from riskhub.registries.recognition import recognitions_in_force
from riskhub.registries.schemas import ImportResult, RowProblem

AEO_KINDS = ("AEOC", "AEOS", "AEOF")  # customs simplifications, security and safety, both
REQUIRED_COLUMNS = ("party", "trader", "kind", "valid_from")
COLUMNS = (*REQUIRED_COLUMNS, "valid_to")  # no valid_to column: every authorisation is open
TRADER_MAX_LEN = 35  # as importer, exporter and declarant in declarations
_UNREADABLE = "\ufffd"


@dataclass(frozen=True, slots=True)
class _Row:
    line: int
    party: str
    trader: str
    kind: str
    valid_from: date
    valid_to: date | None

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.party, self.trader, self.kind)

    @property
    def dates(self) -> tuple[date, date | None]:
        return (self.valid_from, self.valid_to)


def import_aeo(*, engine: Engine, path: Path) -> ImportResult:
    """Upsert AEO authorisations from a CSV file; bad rows are listed, good ones still land."""
    result = ImportResult(source=str(path))
    rows = _read(path, result)
    by_party: dict[str, list[_Row]] = {}
    for row in rows:
        by_party.setdefault(row.party, []).append(row)
    now = utcnow()
    for party, group in sorted(by_party.items()):
        # One Party's authorisations per transaction, acting for that Party, so the
        # same load works for the operators and under row-level security.
        with tenancy.acting_for(party), engine.begin() as conn:
            _upsert(conn, party, group, result, now=now)
    result.problems.sort(key=lambda p: (p.line is not None, p.line or 0))
    log.info(
        "registries.aeo_import", source=str(path), inserted=result.inserted,
        updated=result.updated, unchanged=result.unchanged, rejected_rows=result.rejected_rows,
    )  # fmt: skip
    return result


def aeo_holders(
    *, connection_or_session: Connection | Session, party: str, on: date
) -> frozenset[str]:
    """Traders holding an authorisation of ``party`` valid on ``on`` (any kind).

    On PostgreSQL the caller's transaction must act for ``party`` (or bypass
    row-level security), as for any other tenant table.
    """
    a = AeoAuthorisation
    query = (
        select(a.trader)
        .distinct()
        .where(
            a.party == party,
            a.valid_from <= on,
            (a.valid_to.is_(None)) | (a.valid_to >= on),
        )
    )
    return frozenset(connection_or_session.execute(query).scalars())


def _upsert(
    conn: Connection, party: str, rows: list[_Row], result: ImportResult, *, now: datetime
) -> None:
    a = AeoAuthorisation
    stored = {
        (party, trader, kind): (valid_from, valid_to)
        for trader, kind, valid_from, valid_to in conn.execute(
            select(a.trader, a.kind, a.valid_from, a.valid_to).where(a.party == party)
        )
    }
    changes: list[dict[str, Any]] = []
    for row in rows:
        before = stored.get(row.key)
        if before == row.dates:
            result.unchanged += 1
            continue
        if before is None:
            result.inserted += 1
        else:
            result.updated += 1
        changes.append(
            {"party": row.party, "trader": row.trader, "kind": row.kind,
             "valid_from": row.valid_from, "valid_to": row.valid_to, "created_at": now}
        )  # fmt: skip
    if not changes:
        return
    stmt = insert_for(conn, a)
    # The key decides: a concurrent load of the same file updates rather than fails.
    stmt = stmt.on_conflict_do_update(
        index_elements=["party", "trader", "kind"],
        set_={"valid_from": stmt.excluded.valid_from, "valid_to": stmt.excluded.valid_to},
    )
    conn.execute(stmt, changes)


def _read(path: Path, result: ImportResult) -> list[_Row]:
    """The good rows of the file; problems, repeats and ignored columns go into ``result``."""
    # Undecodable bytes become a mark the row checks reject, so one bad line
    # does not stop the rest of the file.
    text = path.read_bytes().decode("utf-8-sig", errors="replace").replace("\x00", _UNREADABLE)
    records = _records(text)
    header_line, header = next(records, (1, []))
    names = [h.strip().lower() for h in header] if isinstance(header, list) else []
    missing = [c for c in REQUIRED_COLUMNS if c not in names]
    if missing:
        result.problems.append(
            RowProblem(
                line=header_line,
                field="",
                reason=f"the header lacks the column(s) {', '.join(missing)}; "
                f"expected {','.join(COLUMNS)}",
            )
        )
        result.rejected_rows = sum(1 for _ in records)
        return []
    result.ignored_columns = [
        h.strip() for h, n in zip(header, names, strict=True) if n not in COLUMNS
    ]
    position = {n: names.index(n) for n in COLUMNS if n in names}
    good: dict[tuple[str, str, str], _Row] = {}
    for line, values in records:
        if isinstance(values, str):
            result.problems.append(RowProblem(line=line, field="", reason=values))
            result.rejected_rows += 1
            break
        if len(values) != len(names):
            result.problems.append(
                RowProblem(
                    line=line,
                    field="",
                    reason=f"has {len(values)} fields; the header has {len(names)}",
                )
            )
            result.rejected_rows += 1
            continue
        raw = {n: (values[i].strip() or None) for n, i in position.items()}
        row, problems = _check(line, raw)
        if row is not None and row.key in good:
            first = good[row.key]
            if first.dates == row.dates:
                result.duplicate_rows += 1
                continue
            # Two different versions of one authorisation: which is right is not ours to guess.
            problems = [
                RowProblem(
                    line=line,
                    field="kind",
                    reason=f"{row.trader} already has a {row.kind} of {row.party} on line "
                    f"{first.line} with other dates; give each authorisation once",
                )
            ]
            row = None
        if row is None:
            result.problems.extend(problems)
            result.rejected_rows += 1
            continue
        good[row.key] = row
    return list(good.values())


def _records(text: str) -> Iterator[tuple[int, list[str] | str]]:
    """CSV records with the line each starts on; blank lines are skipped.

    A record the csv module cannot parse ends the file: its line comes with the
    reason as text instead of values.
    """
    reader = csv.reader(io.StringIO(text, newline=""))
    end = 0
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield end + 1, f"cannot be read as CSV from here on ({exc})"
            return
        start, end = end + 1, reader.line_num
        if values and any(v.strip() for v in values):
            yield start, values


def _check(line: int, raw: dict[str, str | None]) -> tuple[_Row | None, list[RowProblem]]:
    """The typed row, or every problem with it in plain words."""
    problems: list[RowProblem] = []

    def problem(field: str, reason: str) -> None:
        problems.append(RowProblem(line=line, field=field, reason=reason))

    for name, value in raw.items():
        if value is not None and _UNREADABLE in value:
            problem(name, "contains characters that are not text (NUL or invalid bytes)")
    if any(p.field for p in problems):
        return None, problems
    for name in REQUIRED_COLUMNS:
        if raw.get(name) is None:
            problem(name, "missing required field")
    party = (raw.get("party") or "").upper()
    if party and party not in DECLARATION_OWNERS:
        problem(
            "party",
            f"'{party}' is the Secretariat, which grants no authorisations"
            if party in PARTY_CODES
            else f"unknown Party code '{party}'",
        )
    trader = raw.get("trader") or ""
    if len(trader) > TRADER_MAX_LEN:
        problem("trader", f"is {len(trader)} characters long; at most {TRADER_MAX_LEN} are allowed")
    kind = (raw.get("kind") or "").upper().replace(" ", "")
    if kind and kind not in AEO_KINDS:
        problem("kind", f"kind '{raw['kind']}' must be AEOC, AEOS or AEOF")
    valid_from = _date(raw.get("valid_from"), "valid_from", problem)
    valid_to = _date(raw.get("valid_to"), "valid_to", problem)
    if valid_from and valid_to and valid_to < valid_from:
        problem("valid_to", f"valid to {valid_to} is before valid from {valid_from}")
    if problems or valid_from is None:
        return None, problems
    return _Row(line, party, trader, kind, valid_from, valid_to), []


def _date(value: str | None, field: str, problem: Callable[[str, str], None]) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        problem(field, f"'{value}' is not a date (use YYYY-MM-DD, e.g. 2026-06-01)")
        return None


@dataclass(frozen=True, slots=True)
class Holding:
    """A period in which a trader counts as an AEO for a Party, and on whose authority."""

    start: date
    end: date | None
    granted_by: str  # the Party whose authorisation it is
    agreement: str | None = None  # the recognition agreement, for another Party's AEO

    def covers(self, on: date) -> bool:
        return self.start <= on and (self.end is None or on <= self.end)


class AeoRegister:
    """A Party's AEOs in memory (its own and those it recognises), asked per day, fast."""

    def __init__(self, periods: dict[str, list[Holding]]) -> None:
        self._periods = periods

    def holds(self, trader: str | None, on: date) -> bool:
        """Whether ``trader`` counted as an AEO (own or recognised, any kind) on ``on``."""
        return self.holding(trader, on) is not None

    def holding(
        self, trader: str | None, on: date, *, foreign_only: bool = False
    ) -> Holding | None:
        """The authorisation that made ``trader`` an AEO on ``on`` (the Party's own first)."""
        if trader is None:
            return None
        found = [h for h in self._periods.get(trader, ()) if h.covers(on)]
        if foreign_only:
            found = [h for h in found if h.agreement is not None]
        found.sort(key=lambda h: h.agreement is not None)
        return found[0] if found else None

    def on(self, day: date) -> dict[str, Holding]:
        """Every trader counting as an AEO on ``day``, with the authorisation that makes it so."""
        out = {}
        for trader in self._periods:
            found = self.holding(trader, day)
            if found is not None:
                out[trader] = found
        return out


def aeo_register(
    *, connection_or_session: Connection | Session, party: str,
    traders: Collection[str] | None = None,
) -> AeoRegister:  # fmt: skip
    """``party``'s AEOs (of ``traders`` only, if given): its own, and those of the Parties
    it recognises for as long as the recognition runs, for decisions on any day."""
    a = AeoAuthorisation
    agreements = recognitions_in_force(connection_or_session=connection_or_session, party=party)
    granters = {party} | {code for r in agreements for code in r.parties}
    query = select(a.party, a.trader, a.valid_from, a.valid_to).where(a.party.in_(granters))
    if traders is not None:
        query = query.where(a.trader.in_(sorted(traders)))
    periods: dict[str, list[Holding]] = {}
    for granter, trader, start, end in connection_or_session.execute(query):
        if granter == party:
            periods.setdefault(trader, []).append(Holding(start, end, granter))
            continue
        for r in agreements:
            if granter not in r.parties:
                continue
            # Recognised only while both the authorisation and the agreement run.
            first = max(start, r.valid_from)
            last = min((d for d in (end, r.valid_to) if d is not None), default=None)
            if last is None or first <= last:
                periods.setdefault(trader, []).append(Holding(first, last, granter, r.reference))
    return AeoRegister(periods)


def own_authorisations(
    *, session: Session, party: str, limit: int = 100
) -> tuple[list[AeoAuthorisation], int]:
    """``party``'s own authorisations by trader and kind (the first ``limit``), and how many."""
    a = AeoAuthorisation
    rows = session.scalars(
        select(a).where(a.party == party).order_by(a.trader, a.kind).limit(limit)
    )
    total = session.scalar(select(func.count()).select_from(a).where(a.party == party))
    return list(rows), int(total or 0)
