"""Tables of the LPCO registry: licences, permits and certificates, their history and drawdowns.

The tenant of each row is the Party whose agency issued the LPCO; the
declarations that cite it are that Party's own (a declaration of RS cites RS
LPCOs), so a decision, its checks and its drawdowns all stay inside one Party.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from riskhub.db.base import Base, BigId


class Lpco(Base):
    """A licence, permit, certificate or other document an agency of a Party issued to a trader.

    ``allowance`` (in ``unit``: kg, eur or units) is what the declarations citing
    it may use up; ``used`` is what their decisions have drawn so far. ``hs_scope``
    holds ';'-separated HS prefixes (empty: any goods).
    """

    __tablename__ = "lpcos"
    __table_args__ = (UniqueConstraint("party", "number"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    party: Mapped[str] = mapped_column(String(2), ForeignKey("parties.code"))  # issuer; tenant
    number: Mapped[str] = mapped_column(String(35))  # as cited in lpco_refs
    kind: Mapped[str] = mapped_column(String(12))  # licence, permit, certificate, other
    agency: Mapped[str] = mapped_column(String(24), ForeignKey("agencies.code"))
    holder: Mapped[str] = mapped_column(String(35))  # trader id as in declarations
    hs_scope: Mapped[str] = mapped_column(Text, default="")
    allowance: Mapped[float | None] = mapped_column(Float)  # None: no quantity or value limit
    unit: Mapped[str | None] = mapped_column(String(8))
    used: Mapped[float] = mapped_column(Float, default=0.0)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10))  # active, suspended, revoked
    issued_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class LpcoEvent(Base):
    """One change of an LPCO's status (issued, suspended, reinstated, revoked): who, when, why."""

    __tablename__ = "lpco_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    party: Mapped[str] = mapped_column(String(2))
    lpco_id: Mapped[int] = mapped_column(ForeignKey("lpcos.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(12))  # issue, suspend, reinstate, revoke
    status: Mapped[str] = mapped_column(String(10))  # the status after the change
    reason: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(80))
    at: Mapped[datetime] = mapped_column(DateTime)


class LpcoDrawdown(Base):
    """What one goods item of one declaration drew from an LPCO's allowance.

    One row per (LPCO, declaration Party and reference, item): a later version
    of the same declaration replaces its amount instead of drawing again.
    """

    __tablename__ = "lpco_drawdowns"
    __table_args__ = (
        UniqueConstraint("lpco_id", "party", "reference", "item_no"),
        # Every decision looks up what its declarations drew before, by reference.
        Index("ix_lpco_drawdowns_party_reference", "party", "reference"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    party: Mapped[str] = mapped_column(String(2))
    lpco_id: Mapped[int] = mapped_column(ForeignKey("lpcos.id", ondelete="CASCADE"))
    reference: Mapped[str] = mapped_column(String(35))
    item_no: Mapped[int] = mapped_column(Integer)
    declaration_id: Mapped[int] = mapped_column(BigId)
    declaration_version: Mapped[int] = mapped_column(Integer)
    amount: Mapped[float] = mapped_column(Float)
    drawn_at: Mapped[datetime] = mapped_column(DateTime)
