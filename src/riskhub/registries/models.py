"""Tables of the registries: AEO authorisations granted by each Party."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from riskhub.db.base import Base, BigId


class AeoAuthorisation(Base):
    """An AEO authorisation a Party granted to a trader; valid from one day to another (inclusive).

    ``trader`` is the id as it appears in declarations (importer, exporter or
    declarant), so the decision can look it up without a translation table.
    """

    __tablename__ = "aeo_authorisations"
    __table_args__ = (UniqueConstraint("party", "trader", "kind"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    party: Mapped[str] = mapped_column(String(2), ForeignKey("parties.code"))  # granted by; tenant
    trader: Mapped[str] = mapped_column(String(35))
    kind: Mapped[str] = mapped_column(String(8))  # AEOC, AEOS or AEOF
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)  # None: until withdrawn
    created_at: Mapped[datetime] = mapped_column(DateTime)


class AeoRecognition(Base):
    """A mutual recognition agreement: ``party`` treats ``partner``'s AEOs as its own.

    ``partner`` is a Party code, or ``EU`` for the authorisations of every EU
    Member State. Valid from one day to another (inclusive); ending an
    agreement sets its last day.
    """

    __tablename__ = "aeo_recognitions"
    __table_args__ = (UniqueConstraint("party", "reference"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    party: Mapped[str] = mapped_column(String(2), ForeignKey("parties.code"))  # recognising
    partner: Mapped[str] = mapped_column(String(2))  # a Party code, or EU
    reference: Mapped[str] = mapped_column(String(80))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)  # None: until ended
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    ended_by: Mapped[str | None] = mapped_column(String(80))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)
