"""Test nodes of the exchange: identities with fresh keys, registered with each other."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from riskhub.access.distribution import Distribution, Tlp
from riskhub.exchange import keys
from riskhub.exchange.envelope import LIFETIME, Envelope, Origin, new_id, seal
from riskhub.exchange.keys import Identity
from riskhub.exchange.messages import ExportDeclaration, ExportItem, MessageType

NOW = datetime(2026, 11, 28, 12, 0, 0)


def node(name: str, *parties: str) -> Identity:
    return Identity(name, frozenset(parties), Ed25519PrivateKey.generate())


def register(engine: Engine, *partners: Identity, url: str | None = "https://unused.test") -> None:
    """Tell the hub behind ``engine`` about ``partners`` (their keys, Parties and URL)."""
    with Session(engine) as session, session.begin():
        for p in partners:
            keys.register(session=session, node=p.node, parties=sorted(p.parties),
                          public_key=p.public, url=url, identities_shared=True)  # fmt: skip


def export(reference: str = "RS-PRE-E-00000001", **changes: Any) -> ExportDeclaration:
    fields: dict[str, Any] = {
        "reference": reference, "office": "RS-PRE", "lodged_at": NOW - timedelta(hours=2),
        "exit_at": NOW - timedelta(hours=1), "destination_country": "MK",
        "vehicle_registration": "RS-1001-01", "total_gross_mass": 1100.0,
        "exporter": "RS100000001",
        "items": [ExportItem(item_no=1, hs_code="847130", origin_country="RS", net_mass=1000,
                             gross_mass=1100, customs_value_eur=25000)],
    }  # fmt: skip
    fields.update(changes)
    return ExportDeclaration(**fields)


def envelope(
    sender: Identity, receiver: str, payload: Any, *, receivers: Sequence[str] = ("MK",),
    type: MessageType = MessageType.EXPORT_DECLARATION, party: str | None = None,
    distribution: Distribution = Distribution.GROUP, tlp: Tlp = Tlp.AMBER,
    created_at: datetime = NOW, message_id: str | None = None, **changes: Any,
) -> Envelope:  # fmt: skip
    message_id = message_id or new_id()
    party = party or sorted(sender.parties)[0]
    body = payload.model_dump(mode="json") if hasattr(payload, "model_dump") else payload
    fields: dict[str, Any] = {
        "id": message_id, "sender_party": party, "sender_node": sender.node,
        "receiver_node": receiver, "receivers": list(receivers), "type": type,
        "created_at": created_at, "expires_at": created_at + LIFETIME,
        "distribution": distribution, "tlp": tlp, "group": sorted({party, *receivers}),
        "origin": Origin(party=party, node=sender.node, message_id=message_id),
        "path": [sender.node], "payload": body,
    }  # fmt: skip
    fields.update(changes)
    return Envelope(**fields)


def token(sender: Identity, receiver: str, payload: Any, **options: Any) -> str:
    return seal(envelope(sender, receiver, payload, **options), sender.key, kid=sender.kid)
