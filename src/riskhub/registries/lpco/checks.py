"""The LPCO checks of a decision, and the drawdown of allowances in the decision's transaction.

Every goods item citing LPCOs (``lpco_refs``) is checked against the registry
of the declaration's own Party on the lodgement date: unknown, not yet valid,
expired, suspended, revoked, held by another trader, goods outside its HS
scope, and, for an LPCO with an allowance, whether the item's amount still
fits. An item that passes draws its amount with a conditional update::

    UPDATE lpcos SET used = used + :delta WHERE id = :id AND used + :delta <= allowance

so that concurrent decisions can never use more than the allowance: the
update that would overdraw finds no row and the item is "allowance exceeded".
The draw is recorded once per (LPCO, declaration, item); a later version of the
same declaration replaces it (delta = new - old), and one whose item no longer
passes, or no longer cites the LPCO, gives its amount back.

A Party that has recorded no LPCO at all keeps no registry yet: its
declarations are not checked (no "unknown" for every reference).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any, cast

import polars as pl
from sqlalchemy import Connection, Table, delete, exists, select, update
from sqlalchemy.orm import Session

from riskhub.db.upsert import insert_for
from riskhub.registries.lpco.models import Lpco, LpcoDrawdown

# Floats sum kilograms and euros: a draw that fits to a millionth still fits.
TOLERANCE = 1e-6
# The declared amount each unit of allowance counts.
AMOUNT_FIELD = {"kg": "net_mass", "eur": "customs_value_eur", "units": "quantity"}
UNIT_WORDS = {"kg": "kg", "eur": "EUR", "units": "units"}
# Core statements: the ORM would try to keep session objects in step with each update.
LPCOS, DRAWDOWNS = cast(Table, Lpco.__table__), cast(Table, LpcoDrawdown.__table__)


class Problem(StrEnum):
    """A failed check, most severe first."""

    REVOKED = "revoked"
    SUSPENDED = "suspended"
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    HOLDER_MISMATCH = "holder_mismatch"
    OUTSIDE_HS_SCOPE = "outside_hs_scope"
    AMOUNT_NOT_DECLARED = "amount_not_declared"
    ALLOWANCE_EXCEEDED = "allowance_exceeded"


SEVERITY = {p: i for i, p in enumerate(Problem)}
ITEM_COLUMNS = (
    "declaration_id", "version", "party", "reference", "item_no", "lodged_at", "direction",
    "importer", "exporter", "hs_code", "net_mass", "customs_value_eur", "quantity", "lpco_refs",
)  # fmt: skip


@dataclass
class Checked:
    """What the checks found for a set of declarations: criteria fields and decision reasons."""

    # (declaration_id, item_no) -> problems of the item, most severe first
    problems: dict[tuple[int, int], list[Problem]] = field(default_factory=dict)
    # declaration_id -> reason entries for its decision
    reasons: dict[int, list[dict[str, Any]]] = field(default_factory=dict)

    def with_fields(self, frame: pl.DataFrame) -> pl.DataFrame:
        """``frame`` (item rows) with ``lpco_problem`` and ``lpco_problems`` filled in."""
        keys = zip(frame["declaration_id"].to_list(), frame["item_no"].to_list(), strict=True)
        found = [self.problems.get(k) for k in keys]
        return frame.with_columns(
            pl.Series("lpco_problem", [p[0].value if p else None for p in found], pl.String),
            pl.Series(
                "lpco_problems",
                [";".join(x.value for x in p) if p else None for p in found],
                pl.String,
            ),
        )


def refs_of(value: str | None) -> list[str]:
    """The distinct LPCO references of an item, as cited."""
    return list(dict.fromkeys(r.strip() for r in (value or "").split(";") if r.strip()))


def registry_in_use(conn: Connection | Session, party: str) -> bool:
    """Whether ``party`` has recorded any LPCO (a Party without a registry is not checked)."""
    return bool(conn.execute(select(exists().where(Lpco.party == party))).scalar())


def check_and_draw(
    conn: Connection | Session, *, party: str, targets: pl.DataFrame, now: datetime
) -> Checked:
    """Check every item of ``targets`` citing an LPCO, and draw the allowances of those that pass.

    Runs inside the caller's transaction (the decision's): the LPCO rows are
    locked in id order first, so concurrent decisions queue on each LPCO and
    never deadlock on two.
    """
    out = Checked()
    if "lpco_refs" not in targets.columns or not targets.height:
        return out
    if not registry_in_use(conn, party):
        return out
    items = (
        targets.filter(pl.col("lpco_refs").is_not_null() & (pl.col("lpco_refs") != ""))
        .select(ITEM_COLUMNS)
        .sort("lodged_at", "declaration_id", "item_no")
    )
    numbers = sorted({r for v in items["lpco_refs"] for r in refs_of(v)})
    # Every declaration decided here, citing or not: an amendment may have dropped a citation.
    references = sorted(set(targets["reference"]))
    held = _drawn(conn, party, references)
    if not items.height and not held:
        return out
    cited = set(
        conn.execute(select(Lpco.id).where(Lpco.party == party, Lpco.number.in_(numbers)))
        .scalars()
        .all()
    )
    lock = sorted(cited | {lpco_id for lpco_id, _, _ in held})
    lpcos: dict[str, Any] = {}
    if lock:
        rows = conn.execute(
            select(LPCOS).where(LPCOS.c.id.in_(lock)).order_by(LPCOS.c.id).with_for_update()
        )
        lpcos = {row.number: row for row in rows if row.party == party}
    # Read after the locks: a draw committed meanwhile is seen, never drawn twice.
    earlier = _drawn(conn, party, references)
    kept: set[tuple[int, str, int]] = set()
    for item in items.iter_rows(named=True):
        for number in refs_of(item["lpco_refs"]):
            lpco = lpcos.get(number)
            problem, sentence, drawn = _check(conn, party, item, number, lpco, earlier, now)
            key = (item["declaration_id"], item["item_no"])
            reason: dict[str, Any] = {"lpco": number, "item_no": item["item_no"],
                                      "sentence": sentence}  # fmt: skip
            if problem is not None:
                reason["problem"] = problem.value
                found = out.problems.setdefault(key, [])
                if problem not in found:
                    found.append(problem)
                    found.sort(key=SEVERITY.__getitem__)
            if drawn is not None:
                reason["drawn"] = drawn
                assert lpco is not None
                kept.add((lpco.id, item["reference"], item["item_no"]))
            if problem is not None or drawn is not None:
                out.reasons.setdefault(item["declaration_id"], []).append(reason)
    # What these declarations drew before and no longer draw goes back to the allowance.
    for (lpco_id, reference, item_no), amount in earlier.items():
        if (lpco_id, reference, item_no) in kept:
            continue
        lt, dt = LPCOS.c, DRAWDOWNS.c
        conn.execute(update(LPCOS).where(lt.id == lpco_id).values(used=lt.used - amount))
        conn.execute(
            delete(DRAWDOWNS).where(
                dt.lpco_id == lpco_id, dt.party == party, dt.reference == reference,
                dt.item_no == item_no,
            )
        )  # fmt: skip
    return out


def _drawn(
    conn: Connection | Session, party: str, references: list[str]
) -> dict[tuple[int, str, int], float]:
    """What these declarations of ``party`` drew so far, by (LPCO id, reference, item)."""
    d = LpcoDrawdown
    out = {}
    for start in range(0, len(references), 5000):
        part = references[start : start + 5000]
        query = select(d.lpco_id, d.reference, d.item_no, d.amount).where(
            d.party == party, d.reference.in_(part)
        )
        out.update({(r.lpco_id, r.reference, r.item_no): r.amount for r in conn.execute(query)})
    return out


def _check(
    conn: Connection | Session,
    party: str,
    item: dict[str, Any],
    number: str,
    lpco: Any,
    earlier: dict[tuple[int, str, int], float],
    now: datetime,
) -> tuple[Problem | None, str, float | None]:
    """(the first problem, its sentence, the amount drawn if it passed and has an allowance)."""
    no = item["item_no"]
    if lpco is None:
        return Problem.UNKNOWN, f"LPCO {number} (item {no}) is not in {party}'s LPCO registry", None
    day: date = item["lodged_at"].date()
    by = f"the {lpco.agency.replace('_', ' ')} agency"
    if lpco.status == "revoked":
        return Problem.REVOKED, f"LPCO {number} (item {no}) was revoked by {by}", None
    if lpco.status == "suspended":
        return Problem.SUSPENDED, f"LPCO {number} (item {no}) is suspended by {by}", None
    if day > lpco.valid_to:
        return Problem.EXPIRED, f"LPCO {number} (item {no}) expired on {lpco.valid_to}", None
    if day < lpco.valid_from:
        return (Problem.NOT_YET_VALID,
                f"LPCO {number} (item {no}) is valid only from {lpco.valid_from}, "
                f"after lodgement on {day}", None)  # fmt: skip
    role = "exporter" if item["direction"] == "EXPORT" else "importer"
    trader = item[role]
    if lpco.holder != trader:
        return (Problem.HOLDER_MISMATCH,
                f"LPCO {number} (item {no}) is held by {lpco.holder}, not by the {role} "
                f"{trader or '(none declared)'}", None)  # fmt: skip
    scope = [p for p in lpco.hs_scope.split(";") if p]
    hs = item["hs_code"] or ""
    if scope and not any(hs.startswith(p) for p in scope):
        return (
            Problem.OUTSIDE_HS_SCOPE,
            f"LPCO {number} (item {no}) covers HS {', '.join(scope)}, not {hs}",
            None,
        )
    if lpco.allowance is None:
        return None, "", None
    return _draw(conn, party, item, number, lpco, earlier, now)


def _draw(
    conn: Connection | Session,
    party: str,
    item: dict[str, Any],
    number: str,
    lpco: Any,
    earlier: dict[tuple[int, str, int], float],
    now: datetime,
) -> tuple[Problem | None, str, float | None]:
    no, unit = item["item_no"], lpco.unit
    words = UNIT_WORDS.get(unit, unit)
    amount = item[AMOUNT_FIELD[unit]]
    if amount is None:
        return (Problem.AMOUNT_NOT_DECLARED,
                f"LPCO {number} counts {words} but item {no} declares no "
                f"{AMOUNT_FIELD[unit].replace('_', ' ')}", None)  # fmt: skip
    amount = float(amount)
    key = (lpco.id, item["reference"], no)
    delta = amount - earlier.get(key, 0.0)
    t = LPCOS.c
    fits = conn.execute(
        update(LPCOS)
        .where(t.id == lpco.id, t.used + delta <= t.allowance + TOLERANCE)
        .values(used=t.used + delta)
    )
    if fits.rowcount == 0:  # type: ignore[attr-defined]
        left = _left(conn, lpco.id) + earlier.get(key, 0.0)
        return (Problem.ALLOWANCE_EXCEEDED,
                f"LPCO {number}: item {no} declares {amount:,.6g} {words}, more than the "
                f"{max(left, 0):,.6g} {words} left of its allowance of "
                f"{lpco.allowance:,.6g} {words}", None)  # fmt: skip
    values = {"party": party, "lpco_id": lpco.id, "reference": item["reference"], "item_no": no,
              "declaration_id": item["declaration_id"], "declaration_version": item["version"],
              "amount": amount, "drawn_at": now}  # fmt: skip
    statement = insert_for(conn, DRAWDOWNS).values(**values)
    replace = {"amount": amount, "declaration_id": item["declaration_id"],
               "declaration_version": item["version"], "drawn_at": now}  # fmt: skip
    conn.execute(
        statement.on_conflict_do_update(
            index_elements=["lpco_id", "party", "reference", "item_no"], set_=replace
        )
    )
    earlier[key] = amount
    left = _left(conn, lpco.id)
    return (None,
            f"LPCO {number}: {amount:,.6g} {words} drawn for item {no}; "
            f"{max(left, 0):,.6g} of {lpco.allowance:,.6g} {words} left", amount)  # fmt: skip


def _left(conn: Connection | Session, lpco_id: int) -> float:
    row = conn.execute(select(Lpco.allowance - Lpco.used).where(Lpco.id == lpco_id)).scalar()
    return float(row or 0.0)


def most_severe(problems: Iterable[Problem]) -> Problem | None:
    """The most severe of ``problems``, if any."""
    return min(problems, key=SEVERITY.__getitem__, default=None)
