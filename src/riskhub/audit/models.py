"""Tables of the audit log: records chained per Party, each chain's head, signed checkpoints."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from riskhub.db.base import Base, BigId


class AuditRecord(Base):
    """Who did what to which object, when, from where, and with what outcome."""

    __tablename__ = "audit_records"
    __table_args__ = (UniqueConstraint("party", "seq"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    party: Mapped[str] = mapped_column(String(2))  # the chain: the actor's Party, or the hub's
    seq: Mapped[int] = mapped_column(Integer)  # position in the Party's chain, from 1
    at: Mapped[datetime] = mapped_column(DateTime)  # UTC
    actor: Mapped[str] = mapped_column(String(120))  # "user:12 (analyst)", "cli", "anonymous"
    action: Mapped[str] = mapped_column(String(80))  # e.g. "declarations.read"
    object: Mapped[str | None] = mapped_column(String(200))  # e.g. "declaration:42"
    outcome: Mapped[str] = mapped_column(String(40))  # e.g. "200", "404", "denied"
    source: Mapped[str | None] = mapped_column(String(80))  # client address, or "cli"
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """The last position and hash of each Party's chain; appending locks this row."""

    __tablename__ = "audit_heads"

    party: Mapped[str] = mapped_column(String(2), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))


class AuditCheckpoint(Base):
    """The hub's Ed25519 signature over a chain position and its hash."""

    __tablename__ = "audit_checkpoints"
    __table_args__ = (UniqueConstraint("party", "seq"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    party: Mapped[str] = mapped_column(String(2))
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(Text)  # base64
    key_id: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime)
