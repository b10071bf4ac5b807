"""Tables of the exchange: partner nodes and keys, the outbox, the inbox, received documents."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from riskhub.db.base import Base, BigId


class PartnerNode(Base):
    """A hub or national system this hub exchanges with, and the Parties it speaks for."""

    __tablename__ = "exchange_nodes"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    node: Mapped[str] = mapped_column(String(40), unique=True)
    parties: Mapped[str] = mapped_column(String(200))  # ';'-separated Party codes
    url: Mapped[str | None] = mapped_column(String(300))  # None: the partner pulls
    # The bilateral agreement says traders' identities may travel to this node.
    identities_shared: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    added_at: Mapped[datetime] = mapped_column(DateTime)


class PartnerKeyRow(Base):
    """A public key of a partner node (Ed25519, base64url); several while keys rotate."""

    __tablename__ = "exchange_keys"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    node: Mapped[str] = mapped_column(String(40), index=True)
    kid: Mapped[str] = mapped_column(String(64), unique=True)
    public_key: Mapped[str] = mapped_column(String(64))
    added_at: Mapped[datetime] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)


class OutboxMessage(Base):
    """A signed message waiting for (or done with) delivery to one partner node.

    Written in the same transaction as the change it reports, so a change is
    never committed without its message, nor a message without its change.
    """

    __tablename__ = "exchange_outbox"
    __table_args__ = (
        UniqueConstraint("message_id"),
        # The same business object is sent once per node (a re-run finds it queued).
        UniqueConstraint("receiver_node", "subject"),
        Index("ix_exchange_outbox_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)  # also the pull cursor
    message_id: Mapped[str] = mapped_column(String(36))
    party: Mapped[str] = mapped_column(String(2))  # the sending Party (tenant)
    audience: Mapped[str] = mapped_column(String(200))  # ';'-separated receiving Parties
    receiver_node: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(200))  # type:key:version
    type: Mapped[str] = mapped_column(String(30))
    token: Mapped[str] = mapped_column(Text)
    token_sha256: Mapped[str] = mapped_column(String(64))
    # pending -> delivered (receipt verified) | rejected (receiver refused) | expired
    status: Mapped[str] = mapped_column(String(12))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime)
    leased_until: Mapped[datetime | None] = mapped_column(DateTime)
    last_error: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime)
    receipt: Mapped[str | None] = mapped_column(Text)


class InboxMessage(Base):
    """A message this hub applied (or recognised as already applied), with the receipt it gave."""

    __tablename__ = "exchange_inbox"
    __table_args__ = (
        UniqueConstraint("sender_node", "message_id"),
        Index("ix_exchange_inbox_message_id", "message_id"),
        Index("ix_exchange_inbox_origin_message_id", "origin_message_id"),
        # One piece of information is applied once per Party, whichever path it came by.
        Index(
            "uq_exchange_inbox_applied_origin",
            "party",
            "origin_node",
            "origin_message_id",
            unique=True,
            sqlite_where=text("status = 'applied'"),
            postgresql_where=text("status = 'applied'"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    party: Mapped[str] = mapped_column(String(2))  # the first receiving Party (tenant)
    sender_node: Mapped[str] = mapped_column(String(40))
    message_id: Mapped[str] = mapped_column(String(36))
    origin_node: Mapped[str] = mapped_column(String(40))
    origin_message_id: Mapped[str] = mapped_column(String(36))
    type: Mapped[str] = mapped_column(String(30))
    token_sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(12))  # applied | duplicate (came by another path)
    received_at: Mapped[datetime] = mapped_column(DateTime)
    receipt: Mapped[str] = mapped_column(Text)


class ReceivedDocument(Base):
    """The latest version of a business object a partner shared with one of this hub's Parties."""

    __tablename__ = "exchange_documents"
    __table_args__ = (
        UniqueConstraint("party", "type", "sender_party", "key"),
        Index("ix_exchange_documents_party_type_received", "party", "type", "received_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    party: Mapped[str] = mapped_column(String(2))  # the receiving Party (tenant)
    type: Mapped[str] = mapped_column(String(30))
    sender_party: Mapped[str] = mapped_column(String(2))
    origin_node: Mapped[str] = mapped_column(String(40))
    key: Mapped[str] = mapped_column(String(200))
    distribution: Mapped[str] = mapped_column(String(12))
    tlp: Mapped[str] = mapped_column(String(8))
    forwardable: Mapped[bool] = mapped_column(Boolean)
    payload: Mapped[str] = mapped_column(Text)  # JSON, as the schema of its type
    sent_at: Mapped[datetime] = mapped_column(DateTime)  # a later version replaces an earlier
    received_at: Mapped[datetime] = mapped_column(DateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime)
