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

import structlog
from sqlalchemy import Engine, insert, select
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from riskhub.audit import service as audit
from riskhub.db.base import utcnow
from riskhub.db.tenancy import acting_for, switched
from riskhub.exchange import jws
from riskhub.exchange.documents import store
from riskhub.exchange.envelope import TYP, Opened, Rejected, open_envelope, relayable, token_hash
from riskhub.exchange.keys import Identity, keyring, partners
from riskhub.exchange.messages import Receipt
from riskhub.exchange.models import InboxMessage
from riskhub.exchange.outbox import Outgoing, enqueue

log = structlog.get_logger(__name__)
MAX_HOPS = 3  # a message is relayed at most this far from its origin
_UNVERIFIED = frozenset({"malformed", "unknown_key", "revoked_key", "bad_signature"})


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
    """Verify, dedup and apply each token; a signed receipt for every one, in order.

    The messages of one push are applied in one transaction, each inside its own
    savepoint, so that one message's failure undoes only that message, and the
    receipts leave only once everything they report is committed.
    """
    now = now or utcnow()
    with Session(engine) as session:
        ring = keyring(session=session)
    results: dict[int, tuple[str, str, str]] = {}  # index -> (receipt, status, sender node)
    refused: list[tuple[Rejected, str]] = []
    by_party: dict[str, list[tuple[int, Opened, list[str]]]] = {}
    for index, token in enumerate(tokens):
        try:
            opened = open_envelope(token, keyring=ring, me=identity.node, now=now)
            local = [p for p in opened.envelope.receivers if p in identity.parties]
            if not local:
                receivers = ", ".join(opened.envelope.receivers)
                raise Rejected(
                    "wrong_receiver",
                    f"for Parties {receivers}, which this node does not speak for",
                    opened.envelope.id,
                )
        except Rejected as bad:
            refused.append((bad, token))
            results[index] = (_refusal(identity, bad, token, now), "rejected", "")
            continue
        by_party.setdefault(local[0], []).append((index, opened, local))
    for party, batch in by_party.items():
        try:
            applied = _apply_batch(engine, identity, party, batch, now, careful=False)
        except _Careful:
            # Something in this push needs undoing on its own: again, message by message.
            applied = _apply_batch(engine, identity, party, batch, now, careful=True)
        for index, outcome in applied.items():
            if isinstance(outcome, Rejected):
                refused.append((outcome, tokens[index]))
                outcome = (_refusal(identity, outcome, tokens[index], now), "rejected", "")
            results[index] = outcome
    _audit_refusals(engine, refused, source, now)
    out = Received()
    tally: Counter[tuple[str, str]] = Counter()
    for index in range(len(tokens)):
        receipt, status, sender = results[index]
        out.receipts.append(receipt)
        out.counts[status] += 1
        if status != "rejected":
            tally[(status, sender)] += 1
    for (status, sender), count in tally.items():
        # One record per push, sender and outcome: the inbox holds each message and receipt.
        action = "exchange.receive" if status == "applied" else "exchange.duplicate"
        audit.append(
            engine=engine,
            party=None,
            actor=f"node:{sender}",
            action=action,
            object=f"{count} message(s)",
            outcome="applied" if status == "applied" else "not applied again",
            source=source,
            now=now,
        )
    return out


def _refusal(identity: Identity, rejected: Rejected, token: str, now: datetime) -> str:
    receipt = Receipt(
        message_id=rejected.message_id,
        token_sha256=token_hash(token),
        status="rejected",
        code=rejected.code,
        reason=rejected.reason[:300],
        received_at=now,
    )
    return _sign(identity, receipt)


@dataclass
class _Inbox:
    """What the inbox already holds for one push's messages, read in two queries, kept current."""

    seen: dict[tuple[str, str], tuple[str, str]]  # (sender, id) -> (token hash, receipt)
    origins: set[tuple[str, str, str]]  # (receiving Party, origin node, origin id) applied

    @classmethod
    def read(cls, session: Session, batch: Sequence[Opened]) -> _Inbox:
        i = InboxMessage
        ids = sorted({o.envelope.id for o in batch} | {o.envelope.origin.message_id for o in batch})
        seen: dict[tuple[str, str], tuple[str, str]] = {}
        origins: set[tuple[str, str, str]] = set()
        for start in range(0, len(ids), 500):
            part = ids[start : start + 500]
            for sender, mid, digest, receipt in session.execute(
                select(i.sender_node, i.message_id, i.token_sha256, i.receipt).where(
                    i.message_id.in_(part)
                )
            ):
                seen[(sender, mid)] = (digest, receipt)
            query = select(i.party, i.origin_node, i.origin_message_id).where(
                i.origin_message_id.in_(part), i.status == "applied"
            )
            origins.update((p, node, mid) for p, node, mid in session.execute(query))
        return cls(seen, origins)


class _Careful(Exception):
    """A message failed after it began writing: redo the push with a savepoint each."""


def _apply_batch(
    engine: Engine,
    identity: Identity,
    party: str,
    batch: list[tuple[int, Opened, list[str]]],
    now: datetime,
    *,
    careful: bool,
) -> dict[int, tuple[str, str, str] | Rejected]:
    """Apply one Party's messages of a push in one transaction.

    Most pushes are all good: they go without savepoints, which halves the round
    trips to the database. If a message fails after it began writing, the whole
    transaction is undone and ``careful`` runs it again with a savepoint per message,
    so that only that message is refused.
    """
    out: dict[int, tuple[str, str, str] | Rejected] = {}
    immediate = engine.execution_options(sqlite_immediate=True)
    with acting_for(party), Session(immediate) as session, session.begin():
        known = _Inbox.read(session, [opened for _, opened, _ in batch])
        for index, opened, local in batch:
            try:
                out[index] = _apply_once(session, identity, opened, local, now, known, careful)
            except Rejected as rejected:
                out[index] = rejected
    return out


def _apply_once(
    session: Session,
    identity: Identity,
    opened: Opened,
    local: list[str],
    now: datetime,
    inbox: _Inbox,
    careful: bool,
) -> tuple[str, str, str]:
    """(receipt, 'applied' or 'duplicate', sender) for one message."""
    envelope = opened.envelope
    sender = envelope.sender_node
    for attempt in (1, 2):
        seen = inbox.seen.get((sender, envelope.id))
        if seen is not None:
            if seen[0] != opened.token_sha256:
                raise Rejected(
                    "replay", "message id already used for a different message", envelope.id
                )
            return seen[1], "duplicate", sender
        if not careful:
            try:
                result = _record_and_apply(session, identity, opened, local, now, inbox)
            except (DBAPIError, Rejected) as error:
                raise _Careful from error
        else:
            try:
                with session.begin_nested():
                    result = _record_and_apply(session, identity, opened, local, now, inbox)
            except DBAPIError as error:
                if not isinstance(error, IntegrityError):
                    # Only this message is undone; the rest of the push goes on.
                    raise Rejected(
                        "bad_payload",
                        f"could not be stored ({type(error.orig).__name__})",
                        envelope.id,
                    ) from error
                # Another connection applied the same message a moment ago: its receipt stands.
                if attempt == 2:
                    raise Rejected("replay", "message id already used", envelope.id) from error
                again = _Inbox.read(session, [opened])
                inbox.seen.update(again.seen)
                inbox.origins |= again.origins
                continue
        inbox.seen[(sender, envelope.id)] = (opened.token_sha256, result[0])
        if result[1] == "applied":
            inbox.origins.add((local[0], envelope.origin.node, envelope.origin.message_id))
        return result
    raise AssertionError("unreachable")


def _record_and_apply(
    session: Session,
    identity: Identity,
    opened: Opened,
    local: list[str],
    now: datetime,
    inbox: _Inbox,
) -> tuple[str, str, str]:
    envelope = opened.envelope
    # Per receiving Party, as the unique index has it: the same information once each.
    other_path = (local[0], envelope.origin.node, envelope.origin.message_id) in inbox.origins
    status = "duplicate" if other_path else "applied"
    receipt = _sign(
        identity,
        Receipt(
            message_id=envelope.id, token_sha256=opened.token_sha256, status=status, received_at=now
        ),
    )
    # The inbox row first: its unique key is what stops a second copy being applied.
    session.execute(
        insert(InboxMessage),
        {
            "party": local[0],
            "sender_node": envelope.sender_node,
            "message_id": envelope.id,
            "origin_node": envelope.origin.node,
            "origin_message_id": envelope.origin.message_id,
            "type": envelope.type.value,
            "token_sha256": opened.token_sha256,
            "status": status,
            "received_at": now,
            "receipt": receipt,
        },
    )
    if not other_path:
        _apply(session, opened, local[0], now)  # the Party this transaction acts for
        for receiving in local[1:]:
            # Each other receiving Party's copy is written under its own tenancy.
            with switched(session, receiving):
                _apply(session, opened, receiving, now)
        try:
            _forward(session, identity, opened, now)
        except ValueError as error:
            # Too large to pass on wrapped again: kept here, not relayed (and said so).
            log.warning("exchange.not_relayed", message=envelope.id, reason=str(error))
    return receipt, status, envelope.sender_node


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
        sent_at=opened.sent_at,
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
        relayed=envelope.relayed or opened.token,
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


def _audit_refusals(
    engine: Engine, refused: list[tuple[Rejected, str]], source: str, now: datetime
) -> None:
    """One audit record per claimed sender and reason, naming the first message and how many.

    Per message would let anyone who can reach the push route grow the audit
    log by 500 records a request; the receipts still name every message.
    """
    groups: dict[tuple[str, str], list[str]] = {}
    for rejected, token in refused:
        # Before its signature verifies, who a message claims to be from is anyone's guess.
        sender = "unverified" if rejected.code in _UNVERIFIED else _claimed_sender(token)
        ids = groups.setdefault((sender, rejected.code), [])
        ids.append(rejected.message_id or token_hash(token)[:16])
    for (sender, code), ids in groups.items():
        more = f" and {len(ids) - 1} more" if len(ids) > 1 else ""
        audit.append(
            engine=engine,
            party=None,
            actor=f"node:{sender}",
            action="exchange.reject",
            object=f"message:{ids[0]}{more}",
            outcome=f"rejected: {code}",
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
