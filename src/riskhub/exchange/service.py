"""Exchange services the API and the CLI share: the monitor, and settling pulled messages."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from riskhub.db.base import utcnow
from riskhub.exchange import jws
from riskhub.exchange.envelope import PartnerKey, Rejected, read_receipt
from riskhub.exchange.keys import Identity
from riskhub.exchange.models import InboxMessage, OutboxMessage, ReceivedDocument
from riskhub.exchange.schemas import DocumentOut, Failing, StatusOut
from riskhub.exchange.sender import RETRYABLE


def settle_pulled(
    *, session: Session, receipts: Sequence[str], ring: dict[str, PartnerKey], party: str
) -> tuple[int, list[str]]:
    """Mark messages ``party``'s node pulled as delivered, from its signed receipts."""
    o = OutboxMessage
    settled, problems = 0, []
    for index, token in enumerate(receipts):
        try:
            key = ring.get(str(jws.parse(token).header["kid"]))
            if key is None or party not in key.parties:
                raise Rejected("unknown_key", "not signed by a registered key of your node")
            _, body = read_receipt(token, keyring=ring, node=key.node)
        except (Rejected, jws.JwsError) as error:
            problems.append(f"receipts.{index}: {error}")
            continue
        rejected = body.get("status") == "rejected"
        if rejected and body.get("code") in RETRYABLE:
            problems.append(f"receipts.{index}: refused for now ({body.get('code')}); kept")
            continue
        changed = session.execute(
            update(o)
            .where(
                o.token_sha256 == str(body.get("token_sha256")),
                o.receiver_node == key.node,
                o.status == "pending",
                (";" + o.audience + ";").contains(f";{party};"),
            )
            .values(
                status="rejected" if rejected else "delivered",
                delivered_at=utcnow(),
                receipt=token,
                last_error=str(body.get("reason"))[:300] if rejected else None,
            )
        )
        settled += int(changed.rowcount or 0)  # type: ignore[attr-defined]
    return settled, problems


def status(*, session: Session, party: str, identity: Identity) -> StatusOut:
    """What ``party`` has waiting, delivered and refused, and what it received."""
    o, i, d = OutboxMessage, InboxMessage, ReceivedDocument
    outbox = _counted(session, select(o.status, func.count()).where(o.party == party), o.status)
    inbox = _counted(session, select(i.type, func.count()).where(i.party == party), i.type)
    documents = _counted(session, select(d.type, func.count()).where(d.party == party), d.type)
    failing = session.execute(
        select(o.receiver_node, o.type, o.attempts, o.last_error, o.next_attempt_at)
        .where(o.party == party, o.status == "pending", o.attempts > 0)
        .order_by(o.attempts.desc(), o.id)
        .limit(20)
    ).all()
    return StatusOut(
        node=identity.node,
        kid=identity.kid,
        outbox=outbox,
        inbox=inbox,
        documents=documents,
        failing=[
            Failing(receiver_node=n, type=t, attempts=a, last_error=e, next_attempt_at=at)
            for n, t, a, e, at in failing
        ],
    )


def _counted(session: Session, query: Any, by: Any) -> dict[str, int]:
    return {str(name): int(n) for name, n in session.execute(query.group_by(by))}


def received(
    *, session: Session, party: str, type: str | None = None, limit: int = 100
) -> list[DocumentOut]:
    """What partners shared with ``party`` (inspection reports, RIFs...), newest first."""
    d = ReceivedDocument
    query = select(d).where(d.party == party)
    if type:
        query = query.where(d.type == type)
    rows = session.execute(query.order_by(d.received_at.desc(), d.id.desc()).limit(limit))
    return [
        DocumentOut.model_validate(
            {
                **{c: getattr(r, c) for c in DocumentOut.model_fields if c != "payload"},
                "payload": json.loads(r.payload),
            }
        )
        for r in rows.scalars()
    ]


FAILED = ("rejected", "expired")  # outbox statuses that will not be sent again


@dataclass(frozen=True, slots=True)
class Monitor:
    """A Party's traffic for the monitor page: counts, per day, the latest, and the failures."""

    by_type: list[tuple[str, str, str, int]]  # direction (out, in), type, status, messages
    per_day: list[tuple[str, str, str, int]]  # day (YYYY-MM-DD), direction, status, messages
    latest_out: list[OutboxMessage]
    latest_in: list[InboxMessage]
    failures: list[OutboxMessage]  # refused, expired, or still retrying after failed attempts


def monitor(*, session: Session, party: str, since: datetime, limit: int = 100) -> Monitor:
    """``party``'s messages out and in: by type and status, per day since ``since``, the latest."""
    o, i = OutboxMessage, InboxMessage
    # Always on the sending Party: row-level security also shows the rows a Party may pull.
    mine_out, mine_in = o.party == party, i.party == party
    by_type = _grouped(session, "out", mine_out, o.type, o.status)
    by_type += _grouped(session, "in", mine_in, i.type, i.status)
    out_day, in_day = func.date(o.created_at), func.date(i.received_at)
    per_day = _grouped(session, "out", mine_out & (o.created_at >= since), out_day, o.status)
    per_day += _grouped(session, "in", mine_in & (i.received_at >= since), in_day, i.status)
    failing = o.status.in_(FAILED) | ((o.status == "pending") & (o.attempts > 0))
    newest_out = select(o).where(mine_out).order_by(o.id.desc()).limit(limit)
    return Monitor(
        by_type=sorted(by_type),
        per_day=sorted((day, direction, status, n) for direction, day, status, n in per_day),
        latest_out=list(session.scalars(newest_out)),
        latest_in=list(
            session.scalars(select(i).where(mine_in).order_by(i.id.desc()).limit(limit))
        ),
        failures=list(session.scalars(newest_out.where(failing))),
    )


def _grouped(
    session: Session, direction: str, where: Any, first: Any, second: Any
) -> list[tuple[str, str, str, int]]:
    query = select(first, second, func.count()).where(where).group_by(first, second)
    return [(direction, str(a), str(b), int(n)) for a, b, n in session.execute(query)]
