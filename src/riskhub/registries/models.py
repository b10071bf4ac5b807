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
