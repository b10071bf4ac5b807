"""This node's identity (name, Parties, signing key) and the registry of partner nodes' keys.

Partners exchange public keys out of band (``riskhub exchange keys`` prints
this node's); an operator registers a partner with its URL (or none, when it
pulls), the Parties it speaks for and its key. Keys are never deleted, only
revoked, so old receipts stay verifiable in the record while new messages
signed with a revoked key are refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from riskhub.audit import keys as key_files
from riskhub.db.base import utcnow
from riskhub.exchange import jws
from riskhub.exchange.envelope import PartnerKey
from riskhub.exchange.models import PartnerKeyRow, PartnerNode
from riskhub.reference.parties import PARTY_KINDS
from riskhub.settings import get_settings


@dataclass(frozen=True, slots=True)
class Identity:
    """Who this hub is in the exchange, and the key it signs with."""

    node: str
    parties: frozenset[str]
    key: Ed25519PrivateKey

    @property
    def kid(self) -> str:
        return kid_of(jws.public_raw(self.key.public_key()), self.node)

    @property
    def public(self) -> str:
        return jws.public_raw(self.key.public_key())

    def as_partner(self) -> PartnerKey:
        return PartnerKey(self.node, self.kid, self.parties, self.key.public_key())


def kid_of(public: str, node: str) -> str:
    """A key's id: the node's name and the first characters of the key itself."""
    return f"{node}:{public[:16]}"


def identity() -> Identity:
    """This node, as the settings and its key file say."""
    settings = get_settings()
    return _identity(settings.node, settings.parties_served, settings.effective_exchange_key_file)


@lru_cache(maxsize=8)
def _identity(node: str, parties: frozenset[str], key_file: Path) -> Identity:
    # Read once per key file: every push received and every message queued needs it.
    return Identity(node, parties, key_files.load_or_create(key_file))


def keyring(
    *, session: Session | Connection, with_self: Identity | None = None
) -> dict[str, PartnerKey]:
    """Every registered partner key by kid (revoked ones marked), plus this node's own if given."""
    nodes = {
        node: frozenset(parties.split(";"))
        for node, parties in session.execute(select(PartnerNode.node, PartnerNode.parties))
    }
    k = PartnerKeyRow
    ring = {
        kid: PartnerKey(
            node,
            kid,
            nodes.get(node, frozenset()),
            jws.public_from_raw(public),
            revoked=revoked is not None,
        )
        for node, kid, public, revoked in session.execute(
            select(k.node, k.kid, k.public_key, k.revoked_at)
        )
    }
    if with_self is not None:
        ring[with_self.kid] = with_self.as_partner()
    return ring


def register(
    *,
    session: Session,
    node: str,
    parties: list[str],
    public_key: str,
    url: str | None,
    identities_shared: bool = False,
) -> str:
    """Add or update a partner node and add its key; returns the key's kid."""
    unknown = [p for p in parties if p not in PARTY_KINDS]
    if not parties or unknown:
        raise ValueError(f"unknown Party code(s): {', '.join(unknown) or '(none given)'}")
    if url is not None and not _acceptable_url(url):
        raise ValueError("the partner's URL must start with https:// (http:// only on loopback)")
    jws.public_from_raw(public_key)  # refuses anything but a 32-byte Ed25519 key
    now = utcnow()
    existing = session.execute(select(PartnerNode).where(PartnerNode.node == node)).scalar()
    if existing is None:
        session.add(
            PartnerNode(
                node=node,
                parties=";".join(sorted(set(parties))),
                url=url,
                identities_shared=identities_shared,
                active=True,
                added_at=now,
            )
        )
    else:
        existing.parties, existing.url = ";".join(sorted(set(parties))), url
        existing.identities_shared, existing.active = identities_shared, True
    kid = kid_of(public_key, node)
    if session.execute(select(PartnerKeyRow.id).where(PartnerKeyRow.kid == kid)).first() is None:
        session.add(PartnerKeyRow(node=node, kid=kid, public_key=public_key, added_at=now))
    session.flush()
    return kid


def _acceptable_url(url: str) -> bool:
    parsed = urlsplit(url)
    if parsed.scheme == "https" and parsed.hostname:
        return True
    # Plain HTTP never leaves the machine: tests and a local proxy doing TLS.
    return parsed.scheme == "http" and parsed.hostname in ("127.0.0.1", "::1", "localhost")


def revoke(*, session: Session, kid: str) -> bool:
    """Refuse messages signed with ``kid`` from now on; False if there is no such key."""
    done = session.execute(
        update(PartnerKeyRow)
        .where(PartnerKeyRow.kid == kid, PartnerKeyRow.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    return bool(done.rowcount)  # type: ignore[attr-defined]


def partners(*, session: Session) -> list[PartnerNode]:
    """The active partner nodes."""
    rows = session.execute(select(PartnerNode).where(PartnerNode.active.is_(True)))
    return list(rows.scalars())
