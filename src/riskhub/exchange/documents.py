"""What partners shared with this hub's Parties, kept as the latest version of each object.

Received messages and deliveries between Parties on the same hub land here the
same way, so every feature reads its partners' data (exports coming its way,
arrival confirmations, VAT refund claims, RIFs, common profiles) from one place,
whatever route it took. Matching findings go to their own table instead, where
both sides' copies are kept.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from riskhub.access.distribution import Distribution, Tlp
from riskhub.db.base import naive_utc
from riskhub.db.upsert import insert_for
from riskhub.declarations.models import Declaration
from riskhub.exchange.envelope import Origin, Rejected
from riskhub.exchange.messages import CommonProfile, MatchingFinding, MessageType, Rif, key_of
from riskhub.exchange.models import ReceivedDocument
from riskhub.matching.models import MatchingFinding as FindingRow


def store(
    *,
    session: Session,
    type: MessageType,
    payload: BaseModel,
    party: str,
    origin: Origin,
    distribution: Distribution,
    tlp: Tlp,
    sent_at: datetime,
    forwardable: bool,
    now: datetime,
) -> None:
    """Keep what a message says for ``party``; a later version replaces an earlier one."""
    if isinstance(payload, MatchingFinding):
        _keep_finding(session, payload, party=party, origin=origin, sent_at=naive_utc(sent_at))
        return
    withdrawn = None
    if isinstance(payload, CommonProfile) and payload.action == "withdraw":
        withdrawn = now
    if isinstance(payload, Rif) and payload.status == "withdrawn":
        withdrawn = now
    values = {
        "party": party,
        "type": type.value,
        "sender_party": origin.party,
        "origin_node": origin.node,
        "key": key_of(type, payload)[:200],
        "distribution": distribution.value,
        "tlp": tlp.value,
        "forwardable": forwardable,
        "payload": payload.model_dump_json(),
        "sent_at": naive_utc(sent_at),
        "received_at": now,
        "withdrawn_at": withdrawn,
    }
    kept = session.execute(_upsert(session), values)
    if isinstance(payload, CommonProfile) and kept.rowcount:  # type: ignore[attr-defined]
        # Newer than what was kept: an update or withdrawal takes effect here at once.
        from riskhub.governance.common_profiles.received import apply

        apply(session=session, payload=payload)


def _upsert(session: Session) -> Any:
    """INSERT ... ON CONFLICT for documents, built once per dialect (its SQL is cached)."""
    dialect = session.get_bind().dialect.name
    if dialect not in _UPSERTS:
        d = ReceivedDocument.__table__
        statement = insert_for(session, d)
        kept = ("party", "type", "key")
        _UPSERTS[dialect] = statement.on_conflict_do_update(
            index_elements=["party", "type", "sender_party", "key"],
            set_={
                c.name: statement.excluded[c.name] for c in d.columns if c.name not in (*kept, "id")
            },
            # Messages can overtake each other on retries: never let an older version win.
            where=statement.excluded.sent_at >= d.c.sent_at,
        )
    return _UPSERTS[dialect]


_UPSERTS: dict[str, Any] = {}
_FINDING_KEY = ["party", "kind", "exit_party", "exit_reference", "entry_reference", "item_no"]


def _keep_finding(
    session: Session, payload: MatchingFinding, *, party: str, origin: Origin, sent_at: datetime
) -> None:
    """A finding the other side sent; it never changes a finding this hub made itself."""
    if payload.kind == "missing_entry" and payload.exit_party == party:
        # Only the Party the export went to can say it never arrived there.
        went_to = session.execute(
            select(Declaration.destination_country).where(
                Declaration.party == party, Declaration.reference == payload.exit_reference
            )
        ).scalar()
        if went_to is None or went_to != payload.entry_party or went_to != origin.party:
            raise Rejected(
                "wrong_sender",
                f"{origin.party} says an export never arrived that was not going to it",
            )
    row = payload.model_dump()
    row.update(
        party=party,
        entry_party=row["entry_party"] or "",
        entry_reference=row["entry_reference"] or "",
        item_no=row["item_no"] or 0,
        paired_by=row["paired_by"] or "",
        found_by=origin.node,
        # A sender cannot date its finding after the message that carries it.
        detected_at=min(naive_utc(payload.detected_at), sent_at),
    )
    table = FindingRow.__table__
    statement = insert_for(session, table).values(row)
    changes = ("severity", "detail", "exit_value", "entry_value", "difference_pct", "detected_at")
    session.execute(
        statement.on_conflict_do_update(
            index_elements=_FINDING_KEY,
            set_={c: statement.excluded[c] for c in changes},
            # The same finder's later view (a VAT claim raised it) replaces its earlier one.
            where=(table.c.found_by == statement.excluded.found_by)
            & (statement.excluded.detected_at >= table.c.detected_at),
        )
    )


def documents(
    *, session: Session | Connection, party: str, type: MessageType, keys: list[str] | None = None
) -> list[dict[str, Any]]:
    """The current (not withdrawn) documents of one type held for ``party``, as payloads."""
    d = ReceivedDocument
    query = select(d.sender_party, d.payload).where(
        d.party == party, d.type == type.value, d.withdrawn_at.is_(None)
    )
    if keys is not None:
        query = query.where(d.key.in_(keys))
    return [
        {"sender_party": sender, **json.loads(payload)}
        for sender, payload in session.execute(query)
    ]
