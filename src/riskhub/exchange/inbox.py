"""Receiving messages: verify, refuse with a reason, apply exactly once, forward, answer signed.

Every message gets a signed receipt back, in the order received: ``applied``
(stored now), ``duplicate`` (already applied, by this id or by another path;
nothing done twice), or ``rejected`` with the reason (never applied; recorded
in the audit log). The inbox row is written before the message is applied and
in the same transaction, under a unique key on (sender node, message id), so
two copies racing in on two connections cannot both be applied: the loser's
transaction rolls back and it is answered as a duplicate.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from riskhub.audit import service as audit
from riskhub.db.base import utcnow
from riskhub.db.tenancy import acting_for
from riskhub.exchange import jws
from riskhub.exchange.documents import store
from riskhub.exchange.envelope import (
    TYP,
    Opened,
    PartnerKey,
    Rejected,
    open_envelope,
    token_hash,
)
from riskhub.exchange.keys import Identity, keyring, partners
from riskhub.exchange.messages import (
    Receipt,
)
from riskhub.exchange.models import InboxMessage
from riskhub.exchange.outbox import Outgoing, enqueue, relayable

MAX_HOPS = 3  # a message is relayed at most this far from its origin


@dataclass
class Received:
    """What one push did: the receipts to answer with, and counts by status."""

    receipts: list[str] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)


def receive(
    *,
    engine: Engine,
    identity: Identity,
    tokens: Sequence[str],
    source: str,
    now: datetime | None = None,
) -> Received:
    """Verify, dedup and apply each token; a signed receipt for every one, in order."""
    now = now or utcnow()
    with Session(engine) as session:
        ring = keyring(session=session)
    out = Received()
    applied_by_sender: Counter[str] = Counter()
    for token in tokens:
        receipt, status, sender = _one(engine, identity, ring, token, source, now)
        out.receipts.append(receipt)
        out.counts[status] += 1
        if status == "applied":
            applied_by_sender[sender] += 1
    for sender, count in applied_by_sender.items():
        # One record per push and sender: the inbox holds each message with its receipt.
        audit.append(
            engine=engine,
            party=None,
            actor=f"node:{sender}",
            action="exchange.receive",
            object=f"{count} message(s)",
            outcome="applied",
            source=source,
            now=now,
        )
    return out


def _one(
    engine: Engine,
    identity: Identity,
    ring: dict[str, PartnerKey],
    token: str,
    source: str,
    now: datetime,
) -> tuple[str, str, str]:
    digest = token_hash(token)
    try:
        opened = open_envelope(token, keyring=ring, me=identity.node, now=now)
        local = [p for p in opened.envelope.receivers if p in identity.parties]
        if not local:
            raise Rejected(
                "wrong_receiver",
                "for Parties "
                + ", ".join(opened.envelope.receivers)
                + ", which this node does not speak for",
                opened.envelope.id,
            )
        return _apply_once(engine, identity, opened, local, now), "applied", opened.key.node
    except Rejected as rejected:
        _audit_refusal(engine, rejected, token, source, now)
        receipt = Receipt(
            message_id=rejected.message_id,
            token_sha256=digest,
            status="rejected",
            reason=rejected.reason[:300],
            received_at=now,
        )
        return _sign(identity, receipt), "rejected", ""
    except _Duplicate as duplicate:
        audit.append(
            engine=engine,
            party=None,
            actor=f"node:{duplicate.sender}",
            action="exchange.duplicate",
            object=f"message:{duplicate.message_id}",
            outcome="not applied again",
            source=source,
            now=now,
        )
        return duplicate.receipt, "duplicate", duplicate.sender


class _Duplicate(Exception):
    def __init__(self, receipt: str, sender: str, message_id: str) -> None:
        super().__init__(message_id)
        self.receipt, self.sender, self.message_id = receipt, sender, message_id


def _apply_once(
    engine: Engine, identity: Identity, opened: Opened, local: list[str], now: datetime
) -> str:
    envelope = opened.envelope
    party = local[0]
    for attempt in (1, 2):
        with (
            acting_for(party),
            Session(
                engine.execution_options(sqlite_immediate=True), expire_on_commit=False
            ) as session,
            session.begin(),
        ):
            seen = session.execute(
                select(InboxMessage).where(
                    InboxMessage.sender_node == envelope.sender_node,
                    InboxMessage.message_id == envelope.id,
                )
            ).scalar()
            if seen is not None:
                if seen.token_sha256 != opened.token_sha256:
                    raise Rejected(
                        "replay", "message id already used for a different message", envelope.id
                    )
                raise _Duplicate(seen.receipt, envelope.sender_node, envelope.id)
            other_path = session.execute(
                select(InboxMessage.id).where(
                    InboxMessage.origin_node == envelope.origin.node,
                    InboxMessage.origin_message_id == envelope.origin.message_id,
                )
            ).first()
            status = "duplicate" if other_path else "applied"
            receipt = _sign(
                identity,
                Receipt(
                    message_id=envelope.id,
                    token_sha256=opened.token_sha256,
                    status=status,
                    received_at=now,
                ),
            )
            session.add(
                InboxMessage(
                    party=party,
                    sender_node=envelope.sender_node,
                    message_id=envelope.id,
                    origin_node=envelope.origin.node,
                    origin_message_id=envelope.origin.message_id,
                    type=envelope.type.value,
                    token_sha256=opened.token_sha256,
                    status=status,
                    received_at=now,
                    receipt=receipt,
                )
            )
            try:
                session.flush()
            except IntegrityError:
                # Another connection applied the same message a moment ago: read its receipt.
                session.rollback()
                if attempt == 2:
                    raise
                continue
            if other_path:
                raise _Duplicate(receipt, envelope.sender_node, envelope.id)
            for receiving in local:
                _apply(session, opened, receiving, now)
            _forward(session, identity, opened, now)
            return receipt
    raise AssertionError("unreachable")


def _apply(session: Session, opened: Opened, party: str, now: datetime) -> None:
    envelope = opened.envelope
    store(
        session=session,
        type=envelope.type,
        payload=opened.payload,
        party=party,
        origin=envelope.origin,
        distribution=envelope.distribution,
        tlp=envelope.tlp,
        sent_at=envelope.created_at,
        forwardable=_forwardable(opened),
        now=now,
    )


def _forwardable(opened: Opened) -> bool:
    """Whether this hub may pass the message on: community-wide, not TLP:RED, not too far."""
    envelope = opened.envelope
    return relayable(envelope.distribution, envelope.tlp) and len(envelope.path) < MAX_HOPS


def _forward(session: Session, identity: Identity, opened: Opened, now: datetime) -> None:
    """Relay to partner nodes that speak for receiving Parties this hub does not (hub and spoke)."""
    envelope = opened.envelope
    rest = [p for p in envelope.receivers if p not in identity.parties]
    if not rest or not _forwardable(opened):
        return
    message = Outgoing(
        type=envelope.type,
        payload=opened.payload,
        sender_party=next(p for p in envelope.receivers if p in identity.parties),
        receivers=rest,
        distribution=envelope.distribution,
        tlp=envelope.tlp,
        group=frozenset(envelope.group),
        origin=envelope.origin,
        path=list(dict.fromkeys([*envelope.path, envelope.origin.node, envelope.sender_node])),
    )
    enqueue(
        session=session,
        identity=identity,
        message=message,
        now=now,
        nodes=partners(session=session),
    )


def _sign(identity: Identity, receipt: Receipt) -> str:
    return jws.sign(receipt.model_dump_json().encode(), identity.key, kid=identity.kid, typ=TYP)


def _audit_refusal(
    engine: Engine, rejected: Rejected, token: str, source: str, now: datetime
) -> None:
    sender = _claimed_sender(token)
    audit.append(
        engine=engine,
        party=None,
        actor=f"node:{sender}",
        action="exchange.reject",
        object=f"message:{rejected.message_id or token_hash(token)[:16]}",
        outcome=f"rejected: {rejected.code}",
        source=source,
        now=now,
    )


def _claimed_sender(token: str) -> str:
    """Who the message says it is from (unverified: only for the audit record)."""
    try:
        kid = jws.parse(token).header.get("kid", "")
    except jws.JwsError:
        return "unknown"
    return str(kid).split(":")[0][:40] or "unknown"
