"""Putting messages in the outbox, in the caller's transaction, addressed by the sharing rules.

``enqueue`` is called by the feature that makes a change (a matching finding,
an inspection report, an export for the neighbour) inside the same transaction
as the change itself: both commit or neither does. It decides which partner
nodes may receive the message from its distribution (``visible_to`` at every
hop: own-only never leaves, a group goes only to its members, CEFTA never to
an EU node), signs one envelope per node, and queues it. A business object is
queued once per node (``subject``), so re-running the code that queues it is safe.
Traders' identities are replaced by pseudonyms unless the partner's agreement
says they travel.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from riskhub.access.distribution import Distribution, Sharing, Tlp, minimise, visible_to
from riskhub.audit.keys import derive_secret, load_or_create
from riskhub.db.upsert import insert_for
from riskhub.exchange import jws
from riskhub.exchange.envelope import (
    LIFETIME,
    Envelope,
    Origin,
    new_id,
    relayable,
    seal,
    token_hash,
)
from riskhub.exchange.keys import Identity
from riskhub.exchange.messages import MessageType, key_of
from riskhub.exchange.models import OutboxMessage, PartnerNode
from riskhub.settings import get_settings


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A message to send: what, from which Party, for which Parties, shared how."""

    type: MessageType
    payload: BaseModel
    sender_party: str
    receivers: Sequence[str]
    distribution: Distribution
    tlp: Tlp = Tlp.AMBER
    group: frozenset[str] = frozenset()
    version: str = "1"  # a new version of the same object is a new message
    origin: Origin | None = None  # set when forwarding
    path: Sequence[str] = field(default_factory=tuple)
    relayed: str | None = None  # when forwarding: the original, as its first sender signed it

    @property
    def sharing(self) -> Sharing:
        owner = self.origin.party if self.origin else self.sender_party
        return Sharing(owner, self.distribution, self.tlp, self.group)

    @property
    def subject(self) -> str:
        if self.origin is not None:
            return f"forward:{self.origin.node}:{self.origin.message_id}"
        key = key_of(self.type, self.payload)
        return f"{self.type.value}:{self.sender_party}:{key}:{self.version}"[:200]


def routes(
    message: Outgoing, *, nodes: Sequence[PartnerNode], me: str, skip: Sequence[str] = ()
) -> dict[str, list[str]]:
    """The partner nodes that get ``message``, each with the receiving Parties it is for.

    A node gets the receivers it speaks for. When the message may be relayed,
    it also carries the receivers no known node speaks for, so that a hub which
    knows them can pass it on (hub and spoke).
    """
    if message.distribution is Distribution.OWN:
        return {}
    sharing = message.sharing
    allowed = [p for p in message.receivers if visible_to(p, sharing)]
    live = [n for n in nodes if n.node != me and n.node not in skip and n.active]
    known = {p for n in nodes for p in n.parties.split(";")}
    unreached = (
        [p for p in allowed if p not in known]
        if relayable(message.distribution, message.tlp)
        else []
    )
    out: dict[str, list[str]] = {}
    for node in live:
        served = set(node.parties.split(";"))
        parties = [p for p in allowed if p in served]
        if parties:
            out[node.node] = sorted({*parties, *unreached})
    return out


def enqueue(
    *,
    session: Session | Connection,
    identity: Identity,
    message: Outgoing,
    now: datetime,
    nodes: Sequence[PartnerNode],
) -> int:
    """Queue ``message`` for every partner node allowed to receive it; returns how many were new."""
    table = OutboxMessage.__table__
    rows = []
    # One piece of information, one origin id, however many nodes get a copy: a hub
    # reached by two paths recognises the second.
    origin = message.origin or Origin(
        party=message.sender_party, node=identity.node, message_id=new_id()
    )
    for node_name, parties in routes(
        message, nodes=nodes, me=identity.node, skip=message.path
    ).items():
        node = next(n for n in nodes if n.node == node_name)
        # A relayed message's payload is the signed original's; the outer one is not read.
        payload = {} if message.relayed else _minimised(message, node, parties)
        message_id = new_id()
        envelope = Envelope(
            id=message_id,
            sender_party=message.sender_party,
            sender_node=identity.node,
            receiver_node=node_name,
            receivers=parties,
            type=message.type,
            created_at=now,
            expires_at=now + LIFETIME,
            distribution=message.distribution,
            tlp=message.tlp,
            group=sorted(message.group),
            origin=origin,
            path=[*message.path, identity.node],
            payload=payload,
            relayed=message.relayed,
        )
        token = seal(envelope, identity.key, kid=identity.kid)
        if len(token) > jws.MAX_TOKEN_BYTES:
            raise ValueError(
                f"{message.type.value} {message.subject} is {len(token):,} bytes signed; "
                f"a message is at most {jws.MAX_TOKEN_BYTES:,}: send large things by reference"
            )
        rows.append(
            {
                "message_id": message_id,
                "party": message.sender_party,
                "audience": ";".join(parties),
                "receiver_node": node_name,
                "subject": message.subject,
                "type": message.type.value,
                "token": token,
                "token_sha256": token_hash(token),
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
                "expires_at": now + LIFETIME,
            }
        )
    if not rows:
        return 0
    bind = session.get_bind() if isinstance(session, Session) else session
    statement = (
        insert_for(bind, table)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["receiver_node", "subject"])
        .returning(table.c.id)
    )
    return len(session.execute(statement).all())


def _minimised(message: Outgoing, node: PartnerNode, parties: list[str]) -> dict[str, object]:
    """The payload for ``node``: traders' identities only where the agreement lets them travel.

    A message that may be relayed always travels with pseudonyms, since it can
    reach Parties beyond the one the agreement is with.
    """
    payload = message.payload.model_dump(mode="json")
    identities = node.identities_shared and not relayable(message.distribution, message.tlp)
    sharing = Sharing(
        message.sender_party,
        message.distribution,
        message.tlp,
        message.group,
        identities_shared=identities,
    )
    out = minimise(payload, reader=parties[0], sharing=sharing, key=pseudonym_key())
    if message.type is MessageType.EXPORT_DECLARATION:
        # SEED pairs the two halves of a crossing by the truck: its plate must travel.
        out["vehicle_registration"] = payload.get("vehicle_registration")
    return out


def pseudonym_key() -> bytes:
    """The secret behind this hub's pseudonyms, derived from the hub key (never stored)."""
    return _derived(get_settings().effective_hub_key_file)


@lru_cache(maxsize=4)
def _derived(path: Path) -> bytes:
    # Read once per key file, not once per message queued.
    return derive_secret(load_or_create(path), "pseudonyms")


def due_for_pull(*, session: Session, party: str, since: int, limit: int) -> list[tuple[int, str]]:
    """Messages for ``party``'s pulling node after cursor ``since``: (cursor, signed token)."""
    o, n = OutboxMessage, PartnerNode
    # Only the copies addressed to a pulling node that speaks for the caller's Party.
    pulling = select(n.node).where(
        n.url.is_(None), n.active.is_(True), (";" + n.parties + ";").contains(f";{party};")
    )
    rows = session.execute(
        select(o.id, o.token)
        .where(
            o.id > since,
            o.status.in_(("pending", "delivered")),
            o.receiver_node.in_(pulling),
            (";" + o.audience + ";").contains(f";{party};"),
        )
        .order_by(o.id)
        .limit(limit)
    ).all()
    return [(int(i), str(t)) for i, t in rows]
