"""The KPI rollup table: what the KPIs count, per Party, day, office, channel and cause."""

from __future__ import annotations

from datetime import date

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from riskhub.db.base import Base


class KpiDay(Base):
    """One group of a Party's decided declarations lodged on one day, counted.

    Derived data: ``kpis.rollup`` rebuilds a day's rows from the declarations,
    decisions, inspections and release times in the transaction that changed
    them, so the KPIs of a period read a few thousand rows instead of every
    declaration. The release-time lists keep every value, because a median is
    not a sum.
    """

    __tablename__ = "kpi_days"

    party: Mapped[str] = mapped_column(String(2), ForeignKey("parties.code"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    office: Mapped[str] = mapped_column(String(17), primary_key=True)
    channel: Mapped[str] = mapped_column(String(8), primary_key=True)
    random_control: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    aeo: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    driver: Mapped[str] = mapped_column(String(16), primary_key=True)  # what sent it to control
    declarations: Mapped[int] = mapped_column(Integer)
    inspections: Mapped[int] = mapped_column(Integer)  # declarations inspected
    hits: Mapped[int] = mapped_column(Integer)  # ... and found non-compliant
    seizures: Mapped[int] = mapped_column(Integer)
    # In cents: a sum of whole numbers is the same in any order, a sum of floats is not.
    revenue_cents: Mapped[int] = mapped_column(BigInteger)
    arrival_hours: Mapped[str] = mapped_column(Text)  # JSON array: arrival to release, each
    lodgement_hours: Mapped[str] = mapped_column(Text)  # JSON array: lodgement to release, each
