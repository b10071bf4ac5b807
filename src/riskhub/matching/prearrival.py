"""Pre-arrival data (SEED): each export sent to the Party of entry before the truck arrives.

An export declaration lodged at a Party's office of exit is turned into the
``export_declaration`` message and queued for the node that speaks for the
destination Party; if this hub speaks for that Party too, it is filed directly
for it, the same way a received message would be. Each version is sent once
(the outbox refuses the same subject twice), so publishing again is harmless.
Only the exporter's identity is personal data in it, and it travels as a
pseudonym unless the partner's agreement says otherwise.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import polars as pl
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from riskhub.access.distribution import Distribution, Tlp
from riskhub.db.base import utcnow
from riskhub.db.tenancy import acting_for
from riskhub.declarations.models import Declaration
from riskhub.exchange.bilateral import file_here
from riskhub.exchange.keys import Identity, partners
from riskhub.exchange.messages import ExportDeclaration, ExportItem, MessageType
from riskhub.exchange.models import OutboxMessage, PartnerNode
from riskhub.exchange.outbox import Outgoing, enqueue
from riskhub.selectivity.rows import between, item_rows, read_rows

_HEADER = (
    "reference",
    "office",
    "lodged_at",
    "destination_country",
    "vehicle_registration",
    "total_gross_mass",
    "weighbridge_mass",
    "exporter",
)
_ITEM = (
    "item_no",
    "hs_code",
    "description",
    "origin_country",
    "net_mass",
    "gross_mass",
    "quantity",
    "supplementary_unit",
    "customs_value_eur",
)


def payloads(rows: pl.DataFrame) -> list[tuple[str, int, ExportDeclaration]]:
    """Export declarations' item rows as (destination, version, message payload)."""
    out = []
    for group in rows.partition_by("declaration_id", maintain_order=True):
        head = group.row(0, named=True)
        items = [
            ExportItem(**{k: r[k] for k in _ITEM})
            for r in group.sort("item_no").iter_rows(named=True)
        ]
        containers = [c for c in (head["container_ids"] or "").split(";") if c]
        payload = ExportDeclaration(
            **{k: head[k] for k in _HEADER},
            exit_at=head["arrival_at"],
            container_ids=containers,
            items=items,
        )
        out.append((str(head["destination_country"]), int(head["version"]), payload))
    return out


def publish(
    *, engine: Engine, identity: Identity, since: datetime, until: datetime
) -> Counter[str]:
    """Send (or file locally) the exports lodged in [since, until) to their destination."""
    done: Counter[str] = Counter()
    now = utcnow()
    for party in sorted(identity.parties):
        with acting_for(party), Session(engine) as session, session.begin():
            nodes = partners(session=session)
            rows = exports_to_partners(session, identity, party, nodes, since, until)
            local: list[tuple[str, ExportDeclaration]] = []
            remote: list[Outgoing] = []
            for destination, version, payload in payloads(rows) if rows.height else []:
                if destination in identity.parties:
                    local.append((destination, payload))
                else:
                    remote.append(_message(party, destination, version, payload))
            # Signing is the costly part: skip what an earlier run already queued.
            sent = _queued(session, [m.subject for m in remote])
            for message in remote:
                if message.subject not in sent:
                    done["queued"] += enqueue(
                        session=session, identity=identity, message=message, now=now, nodes=nodes
                    )
        for destination, payload in local:
            _file_locally(engine, identity, party, destination, payload, now)
            done["filed here"] += 1
    return done


def exports_to_partners(
    session: Session,
    identity: Identity,
    party: str,
    nodes: Sequence[PartnerNode],
    since: datetime,
    until: datetime,
) -> pl.DataFrame:
    """``party``'s exports lodged in [since, until) to Parties it exchanges with, as item rows."""
    reachable = {p for n in nodes for p in n.parties.split(";")} | set(identity.parties)
    d = Declaration
    return read_rows(
        session,
        item_rows(
            d.party == party,
            d.direction == "EXPORT",
            between(since, until),
            d.destination_country.in_(sorted(reachable - {party})),
        ),
    )


def _queued(session: Session, subjects: list[str]) -> set[str]:
    o = OutboxMessage
    found: set[str] = set()
    for start in range(0, len(subjects), 1000):
        part = subjects[start : start + 1000]
        found.update(session.execute(select(o.subject).where(o.subject.in_(part))).scalars())
    return found


def _message(party: str, destination: str, version: int, payload: Any) -> Outgoing:
    # A bilateral exchange: the two administrations only, never relayed.
    return Outgoing(
        MessageType.EXPORT_DECLARATION,
        payload,
        party,
        [destination],
        Distribution.GROUP,
        Tlp.AMBER,
        frozenset({party, destination}),
        version=str(version),
    )


def _file_locally(
    engine: Engine,
    identity: Identity,
    party: str,
    destination: str,
    payload: ExportDeclaration,
    now: datetime,
) -> None:
    with acting_for(destination), Session(engine) as session, session.begin():
        file_here(
            session=session,
            party=destination,
            sender_party=party,
            node=identity.node,
            type=MessageType.EXPORT_DECLARATION,
            payload=payload,
            now=now,
        )
