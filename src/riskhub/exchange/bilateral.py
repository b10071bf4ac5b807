"""From one Party to another: queued for its node, or filed here if this hub speaks for both.

Several Parties can share one hub. What one of them sends another must then
reach it the same way a message from another hub would: as a received document
(or finding) of the receiving Party, written under that Party's tenancy, in the
sender's transaction. Anything else goes through the outbox to the node that
speaks for the other Party, shared with the two of them only.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from pydantic import BaseModel
from sqlalchemy.orm import Session

from riskhub.access.distribution import Distribution, Tlp
from riskhub.db.tenancy import switched
from riskhub.exchange.documents import store
from riskhub.exchange.envelope import Origin
from riskhub.exchange.keys import Identity, partners
from riskhub.exchange.messages import MessageType
from riskhub.exchange.models import PartnerNode
from riskhub.exchange.outbox import Outgoing, enqueue


def send_to_party(
    *,
    session: Session,
    identity: Identity,
    party: str,
    other: str,
    type: MessageType,
    payload: BaseModel,
    now: datetime,
    nodes: Sequence[PartnerNode] | None = None,
    version: str = "1",
) -> int:
    """Give ``other`` what ``party`` says: filed here, or queued for its node; 1 if either."""
    if other in identity.parties:
        file_here(
            session=session,
            party=other,
            sender_party=party,
            node=identity.node,
            type=type,
            payload=payload,
            now=now,
        )
        return 1
    message = Outgoing(
        type,
        payload,
        party,
        [other],
        Distribution.GROUP,
        Tlp.AMBER,
        frozenset({party, other}),
        version=version,
    )
    found = partners(session=session) if nodes is None else nodes
    return enqueue(session=session, identity=identity, message=message, now=now, nodes=found)


def file_here(
    *,
    session: Session,
    party: str,
    sender_party: str,
    node: str,
    type: MessageType,
    payload: BaseModel,
    now: datetime,
) -> None:
    """Keep for ``party`` what ``sender_party``, on this same hub, sent it."""
    with switched(session, party):
        store(
            session=session,
            type=type,
            payload=payload,
            party=party,
            origin=Origin(party=sender_party, node=node, message_id="local"),
            distribution=Distribution.GROUP,
            tlp=Tlp.AMBER,
            sent_at=now,
            forwardable=False,
            now=now,
        )
