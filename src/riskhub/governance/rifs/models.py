"""Tables of Risk Information Forms: the form as raised, and each receiving Party's feedback."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from riskhub.db.base import Base, BigId


class Rif(Base):
    """A Risk Information Form raised by an administration (the EU's RIF, used across CEFTA).

    The operators involved are personal data: they are kept here in full for the
    originating Party and shown to others pseudonymised (see ``service.view``).
    List-valued fields are JSON arrays.
    """

    __tablename__ = "rifs"
    __table_args__ = (UniqueConstraint("party", "number"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    party: Mapped[str] = mapped_column(String(2))  # originating Party; owner
    number: Mapped[str] = mapped_column(String(40))  # e.g. RS-RIF-2026-0003
    status: Mapped[str] = mapped_column(String(10))  # draft, shared, withdrawn
    title: Mapped[str] = mapped_column(String(200))
    risk_area: Mapped[str] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(Text)
    modus_operandi: Mapped[str] = mapped_column(Text, default="")
    indicators: Mapped[str] = mapped_column(Text, default="[]")
    hs_codes: Mapped[str] = mapped_column(Text, default="[]")
    goods_description: Mapped[str] = mapped_column(Text, default="")
    origin_country: Mapped[str | None] = mapped_column(String(2))
    dispatch_country: Mapped[str | None] = mapped_column(String(2))
    route: Mapped[str] = mapped_column(Text, default="")
    transport_mode: Mapped[str | None] = mapped_column(String(12))
    operators: Mapped[str] = mapped_column(Text, default="[]")  # [{role, id, name}]
    detection_technique: Mapped[str] = mapped_column(Text, default="")
    seized_quantity: Mapped[float | None] = mapped_column(Float)
    seized_unit: Mapped[str | None] = mapped_column(String(10))
    seized_value_eur: Mapped[float | None] = mapped_column(Float)
    recommended_control: Mapped[str] = mapped_column(Text, default="")
    urgency: Mapped[str] = mapped_column(String(10))
    valid_until: Mapped[date] = mapped_column(Date)
    distribution: Mapped[str] = mapped_column(String(10))
    tlp: Mapped[str] = mapped_column(String(6))
    sharing_group: Mapped[str | None] = mapped_column(String(60))
    raised_by: Mapped[int | None] = mapped_column(BigId)
    raised_at: Mapped[datetime] = mapped_column(DateTime)
    shared_at: Mapped[datetime | None] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class RifFeedback(Base):
    """A receiving Party's feedback on a RIF (mandatory): what it controlled and found."""

    __tablename__ = "rif_feedback"
    __table_args__ = (UniqueConstraint("rif_id", "party"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    rif_id: Mapped[int] = mapped_column(ForeignKey("rifs.id", ondelete="CASCADE"))
    party: Mapped[str] = mapped_column(String(2))  # the Party giving feedback; owner
    control_done: Mapped[bool] = mapped_column(Boolean)
    outcome: Mapped[str] = mapped_column(String(20))
    controls: Mapped[int] = mapped_column(Integer, default=0)
    detections: Mapped[int] = mapped_column(Integer, default=0)
    value_detected_eur: Mapped[float | None] = mapped_column(Float)
    comment: Mapped[str] = mapped_column(Text, default="")
    given_by: Mapped[int | None] = mapped_column(BigId)
    given_at: Mapped[datetime] = mapped_column(DateTime)
