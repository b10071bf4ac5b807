"""Matching as a job on a hub: read both sides from the store, pair, keep findings, share them.

For a Party ``P`` the run has two halves:

* as the Party of entry: exports other Parties sent to ``P`` (pre-arrival
  documents) against ``P``'s own import and transit declarations. Every pair is
  confirmed to the exit Party (``arrival_confirmation``) and every finding goes
  to it too (``matching_finding``): SEED findings are shared with both sides.
* as the Party of exit: ``P``'s own exports to Parties it exchanges with, against
  the arrival confirmations received; an export nobody confirmed after
  ``missing_after_hours`` is a possible ghost export, and a VAT refund claimed
  on it (from the tax administration) makes it high severity.

Findings are stored once per side (unique per kind, exit, entry and item), so
running again finds nothing new and sends nothing twice.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import polars as pl
from sqlalchemy import Engine, and_, delete, func, select, tuple_
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from riskhub.db.base import naive_utc, utcnow
from riskhub.db.tenancy import acting_for
from riskhub.db.upsert import insert_for
from riskhub.declarations.models import Declaration
from riskhub.exchange.bilateral import send_to_party
from riskhub.exchange.documents import documents
from riskhub.exchange.keys import Identity, partners
from riskhub.exchange.messages import (
    ArrivalConfirmation,
    MatchingFinding,
    MessageType,
)
from riskhub.matching.engine import FINDING_SCHEMA, Tolerances, match
from riskhub.matching.models import MatchingFinding as FindingRow
from riskhub.matching.prearrival import exports_to_partners
from riskhub.selectivity.rows import between, item_rows, read_rows

_EXIT_ITEM = ("item_no", "hs_code", "origin_country", "net_mass", "gross_mass", "customs_value_eur")


def exit_rows(found: list[dict[str, Any]]) -> pl.DataFrame:
    """Pre-arrival export documents as item rows in the declaration layout."""
    rows = [
        {
            "party": doc["sender_party"],
            "reference": doc["reference"],
            "direction": "EXPORT",
            "office": doc["office"],
            "lodged_at": moment(doc["lodged_at"]),
            "arrival_at": moment(doc.get("exit_at")),
            "vehicle_registration": doc.get("vehicle_registration"),
            "container_ids": ";".join(doc.get("container_ids") or []) or None,
            "destination_country": doc["destination_country"],
            "total_gross_mass": doc.get("total_gross_mass"),
            "weighbridge_mass": doc.get("weighbridge_mass"),
            **{k: item.get(k) for k in _EXIT_ITEM},
        }
        for doc in found
        for item in doc["items"]
    ]
    frame = pl.DataFrame(rows, infer_schema_length=None)
    if not frame.height:
        return frame
    return frame.with_columns(pl.col("lodged_at", "arrival_at").cast(pl.Datetime("us")))


def moment(text: str | None) -> datetime | None:
    """A time as partners send it (RFC 3339, any offset) as riskhub keeps it: naive UTC."""
    return naive_utc(datetime.fromisoformat(text)) if text else None


SIDES = ("entry", "exit")


def run(
    *,
    engine: Engine,
    identity: Identity,
    party: str,
    since: datetime,
    until: datetime,
    now: datetime,
    tolerances: Tolerances = Tolerances(),
    sides: tuple[str, ...] = SIDES,
) -> Counter[str]:
    """Match ``party``'s traffic lodged in [since, until) as entry and as exit side.

    ``now`` is the moment missing entries are judged as of: exports lodged from
    ``missing_after_hours`` before the period on, whose time to arrive is up, so
    that a run each day judges the exports that fell due since the last one.
    What is stored and sent is stamped with the real clock, so messages never
    leave already expired. Run the entry side on every hub before the exit side,
    so that arrival confirmations are in before exports are judged missing; a
    later run clears a ``missing_entry`` whose arrival has since been confirmed.
    """
    done: Counter[str] = Counter()
    clock = utcnow()
    window = timedelta(hours=tolerances.window_hours)
    judged = since - timedelta(hours=tolerances.missing_after_hours)
    # Exports before the judged ones can arrive in the period; entries after it can be
    # the arrival of its last exports (else those would look missing).
    early, late = judged - window, until + window
    with acting_for(party), Session(engine) as session, session.begin():
        nodes = partners(session=session)
        if "entry" in sides:
            exits = exit_rows(
                documents(session=session, party=party, type=MessageType.EXPORT_DECLARATION)
            )
            d = Declaration
            entries = read_rows(
                session,
                item_rows(
                    d.party == party, d.direction.in_(("IMPORT", "TRANSIT")), between(early, late)
                ),
            )
            entries = _with_weighings(session, party, entries)
            if exits.height:
                exits = exits.filter(pl.col("lodged_at") >= early, pl.col("lodged_at") < until)
                entry_side = match(exits, entries, now=now, tolerances=tolerances)
                done["pairs"] += entry_side.pairs.height
                found = _in_period(entry_side.findings, exits, judged)
                done.update(_keep(session, identity, party, found, nodes, clock))
                done["confirmed"] += _confirm(
                    session, identity, party, entry_side.pairs, entries, nodes, clock
                )
                arrived = entry_side.pairs.select("exit_party", "exit_reference").rows()
                done["resolved"] += _resolve(session, party, arrived)
        own = exports_to_partners(session, identity, party, nodes, early, until)
        if "exit" in sides and own.height:
            confirmed = _confirmed_entries(session, party, own)
            claims = _claims(session, party)
            exit_side = match(own, confirmed, now=now, vat_claims=claims, tolerances=tolerances)
            missing = _in_period(exit_side.findings, own, judged).filter(
                pl.col("kind") == "missing_entry"
            )
            # Not sent: the Party of entry holds the same export and judges it itself.
            done.update(_keep(session, identity, party, missing, nodes, clock, share=False))
        if "exit" in sides:
            done["resolved"] += _resolve(session, party, _confirmed(session, party))
    return +done  # the counts that are not zero


def _resolve(session: Session, party: str, arrived: list[tuple[str, str]]) -> int:
    """Drop ``party``'s missing-entry findings on exports (exit Party, reference) now arrived."""
    f, gone = FindingRow, 0
    for start in range(0, len(arrived), _CHUNK):
        result = session.execute(
            delete(f).where(
                f.party == party,
                f.kind == "missing_entry",
                tuple_(f.exit_party, f.exit_reference).in_(arrived[start : start + _CHUNK]),
            )
        )
        gone += int(result.rowcount or 0)  # type: ignore[attr-defined]
    return gone


def _confirmed(session: Session, party: str) -> list[tuple[str, str]]:
    """``party``'s exports whose arrival the Party they went to confirmed, at any time."""
    confirmations = {
        (c["export_reference"], c["sender_party"])
        for c in documents(session=session, party=party, type=MessageType.ARRIVAL_CONFIRMATION)
    }
    if not confirmations:
        return []
    f, d = FindingRow, Declaration
    missing = session.execute(
        select(f.exit_reference, d.destination_country)
        .join(d, and_(d.party == f.exit_party, d.reference == f.exit_reference))
        .where(f.party == party, f.exit_party == party, f.kind == "missing_entry")
    ).all()
    return [(party, ref) for ref, destination in missing if (ref, destination) in confirmations]


def _in_period(findings: pl.DataFrame, exits: pl.DataFrame, since: datetime) -> pl.DataFrame:
    """Missing entries only for exports lodged from ``since``; those before were read so
    that their entries pair, and were judged by the runs that covered them."""
    # Judged by when it left, as the engine reckons when it is due.
    judged = exits.filter(pl.coalesce("arrival_at", "lodged_at") >= since).select(
        pl.col("party").alias("exit_party"), pl.col("reference").alias("exit_reference")
    )
    missing = pl.col("kind") == "missing_entry"
    return pl.concat(
        [
            findings.filter(~missing),
            findings.filter(missing).join(
                judged.unique(), on=["exit_party", "exit_reference"], how="semi"
            ),
        ]
    )


def _with_weighings(session: Session, party: str, entries: pl.DataFrame) -> pl.DataFrame:
    """Entries not weighed at entry take a weighing sent for them (SEED+ truck weighing).

    A weighbridge message names the declaration it was weighed for: the entry
    itself, or the export (the Party of exit weighed the truck as it left).
    """
    found = documents(session=session, party=party, type=MessageType.WEIGHBRIDGE)
    # Whose scale counts: this Party's own for its entry; the Party of exit for its export.
    at_entry = {
        w["declaration_reference"]: w["mass_kg"]
        for w in found
        if w.get("declaration_reference") and w["sender_party"] == party
    }
    at_exit = {
        (w["sender_party"], w["declaration_reference"]): w["mass_kg"]
        for w in found
        if w.get("declaration_reference") and w["sender_party"] != party
    }
    if not (at_entry or at_exit) or not entries.height:
        return entries
    exit_key = pl.concat_str(pl.col("dispatch_country"), pl.lit("\x1f"), pl.col("export_reference"))
    exit_map = {f"{p}\x1f{r}": m for (p, r), m in at_exit.items()}
    return entries.with_columns(
        pl.coalesce(
            "weighbridge_mass",
            pl.col("reference").replace_strict(at_entry, default=None, return_dtype=pl.Float64),
            exit_key.replace_strict(exit_map, default=None, return_dtype=pl.Float64),
        ).alias("weighbridge_mass")
    )


def _confirmed_entries(session: Session, party: str, own: pl.DataFrame) -> pl.DataFrame:
    """Each confirmed export's own rows standing in for its entry: paired, nothing to compare."""
    confirmations = documents(session=session, party=party, type=MessageType.ARRIVAL_CONFIRMATION)
    if not confirmations:
        return own.clear()
    arrived = pl.DataFrame(
        [
            {
                "reference": c["export_reference"],
                "_entry": c["entry_reference"],
                "_office": c["entry_office"],
                "_at": moment(c["arrived_at"]),
                "_from": c["sender_party"],
            }
            for c in confirmations
        ]
    ).with_columns(pl.col("_at").cast(pl.Datetime("us")))
    return (
        # Only the Party the goods were exported to can say they arrived.
        own.join(arrived, on="reference")
        .filter(pl.col("_from") == pl.col("destination_country"))
        .with_columns(
            export_reference=pl.col("reference"),
            reference=pl.col("_entry"),
            party=pl.col("_office").str.slice(0, 2),
            arrival_at=pl.col("_at"),
            direction=pl.lit("IMPORT"),
            weighbridge_mass=pl.lit(None, pl.Float64),
        )
        .drop("_entry", "_office", "_at", "_from")
    )


def _claims(session: Session, party: str) -> pl.DataFrame | None:
    # Only this Party's own tax administration speaks of its exporters' refunds.
    claims = [
        c
        for c in documents(session=session, party=party, type=MessageType.VAT_REFUND_CLAIM)
        if c["sender_party"] == party
    ]
    if not claims:
        return None
    return pl.DataFrame(
        [
            {
                "party": party,
                "export_reference": c["export_reference"],
                "exporter": c["exporter"],
                "amount_eur": c["amount_eur"],
                "claimed_at": moment(c["claimed_at"]),
            }
            for c in claims
        ]
    ).with_columns(pl.col("claimed_at").cast(pl.Datetime("us")))


def _keep(
    session: Session,
    identity: Identity,
    party: str,
    findings: pl.DataFrame,
    nodes: list[Any],
    now: datetime,
    share: bool = True,
) -> Counter[str]:
    """Store new findings for ``party`` and share each with the other side; counts by kind."""
    done: Counter[str] = Counter()
    originals = {
        (f["kind"], f["exit_reference"] or "", f["entry_reference"] or "", f["item_no"] or 0): f
        for f in findings.iter_rows(named=True)
    }
    rows = [
        {
            **f,
            "party": party,
            # An unpaired entry (weighed heavier than declared) has no exit side: ''.
            "exit_party": f["exit_party"] or "",
            "exit_reference": key[1],
            "entry_party": f["entry_party"] or "",
            "entry_reference": key[2],
            "item_no": key[3],
            "paired_by": f["paired_by"] or "",
            "detected_at": now,
            "found_by": "local",
        }
        for key, f in originals.items()
    ]
    for start in range(0, len(rows), _CHUNK):
        for kind, exit_party, entry_party, key in _upsert(session, rows[start : start + _CHUNK]):
            done[kind] += 1
            other = exit_party if exit_party != party else entry_party
            if not share or not other or other == party:  # nobody else to tell
                continue
            finding = originals[key]
            fields = {k: finding[k] for k in FINDING_SCHEMA}
            if fields["kind"] == "missing_entry" and fields["entry_party"] is None:
                fields["entry_party"] = party  # where it was due: what the receiver checks
            payload = MatchingFinding(**fields, detected_at=now)
            done["shared"] += send_to_party(
                session=session,
                identity=identity,
                party=party,
                other=other,
                type=MessageType.MATCHING_FINDING,
                payload=payload,
                now=now,
                nodes=nodes,
                version=f"{finding['severity']}:{now.isoformat()}",
            )
    return done


_CHUNK = 1000  # rows per INSERT: SQLite takes at most 32,766 parameters in one statement
_UNIQUE = ["party", "kind", "exit_party", "exit_reference", "entry_reference", "item_no"]


def _upsert(
    session: Session, rows: list[dict[str, Any]]
) -> list[tuple[str, str, str, tuple[str, str, str, int]]]:
    """Insert findings; those new, or whose severity changed, come back (kind, parties, key)."""
    table = FindingRow.__table__
    statement = insert_for(session, table).values(rows)
    # A later run may know more (a VAT claim came in): it raises the severity and says why.
    statement = statement.on_conflict_do_update(
        index_elements=_UNIQUE,
        set_={"severity": statement.excluded.severity, "detail": statement.excluded.detail},
        where=table.c.severity != statement.excluded.severity,
    ).returning(
        table.c.kind,
        table.c.exit_party,
        table.c.entry_party,
        table.c.exit_reference,
        table.c.entry_reference,
        table.c.item_no,
    )
    return [
        (kind, exit_party, entry_party, (kind, exit_ref, entry_ref, item_no))
        for kind, exit_party, entry_party, exit_ref, entry_ref, item_no in session.execute(
            statement
        )
    ]


def _confirm(
    session: Session,
    identity: Identity,
    party: str,
    pairs: pl.DataFrame,
    entries: pl.DataFrame,
    nodes: list[Any],
    now: datetime,
) -> int:
    """Tell each exit Party that its exports arrived (SEED closes the movement)."""
    if not pairs.height:
        return 0
    arrived = entries.group_by("reference").agg(
        pl.col("office").first(), pl.col("arrival_at").first(), pl.col("lodged_at").first()
    )
    sent = 0
    for p in pairs.join(arrived, left_on="entry_reference", right_on="reference").iter_rows(
        named=True
    ):
        payload = ArrivalConfirmation(
            export_party=p["exit_party"],
            export_reference=p["exit_reference"],
            entry_reference=p["entry_reference"],
            entry_office=p["office"],
            arrived_at=p["arrival_at"] or p["lodged_at"],
        )
        sent += send_to_party(
            session=session,
            identity=identity,
            party=party,
            other=p["exit_party"],
            type=MessageType.ARRIVAL_CONFIRMATION,
            payload=payload,
            now=now,
            nodes=nodes,
        )
    return sent


def findings(
    *,
    session: Session | Connection,
    party: str,
    kind: str | None = None,
    since: datetime | None = None,
    limit: int = 500,
) -> list[FindingRow]:
    """``party``'s copy of the findings, newest first."""
    f = FindingRow
    query = select(f).where(f.party == party)
    if kind:
        query = query.where(f.kind == kind)
    if since:
        query = query.where(f.detected_at >= since)
    rows = session.execute(query.order_by(f.detected_at.desc(), f.id.desc()).limit(limit))
    return list(rows.scalars())


def finding_counts(*, session: Session | Connection, party: str) -> dict[tuple[str, str], int]:
    """How many findings ``party`` holds, per kind and severity."""
    f = FindingRow
    query = select(f.kind, f.severity, func.count()).where(f.party == party)
    return {(k, s): int(n) for k, s, n in session.execute(query.group_by(f.kind, f.severity))}
