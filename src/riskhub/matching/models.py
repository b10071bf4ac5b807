"""Table of matching findings: discrepancies between exit and entry declarations (SEED)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Float, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from riskhub.db.base import Base, BigId


class MatchingFinding(Base):
    """One discrepancy, stored once for each side that may see it (the exit and the entry Party).

    ``entry_reference`` is '' and ``item_no`` 0 when they do not apply, so that
    the unique key also holds for a missing entry (NULLs never collide).
    """

    __tablename__ = "matching_findings"
    __table_args__ = (
        UniqueConstraint(
            "party", "kind", "exit_party", "exit_reference", "entry_reference", "item_no"
        ),
        Index("ix_matching_findings_party_entry", "party", "entry_party", "entry_reference"),
        Index("ix_matching_findings_party_detected", "party", "detected_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    party: Mapped[str] = mapped_column(String(2))  # the side this copy is for (tenant)
    kind: Mapped[str] = mapped_column(String(30))
    severity: Mapped[str] = mapped_column(String(10))
    exit_party: Mapped[str] = mapped_column(String(2))
    exit_reference: Mapped[str] = mapped_column(String(35))
    entry_party: Mapped[str] = mapped_column(String(2))
    entry_reference: Mapped[str] = mapped_column(String(35))
    item_no: Mapped[int] = mapped_column(Integer)
    paired_by: Mapped[str] = mapped_column(String(20))
    exit_value: Mapped[float | None] = mapped_column(Float)
    entry_value: Mapped[float | None] = mapped_column(Float)
    difference_pct: Mapped[float | None] = mapped_column(Float)
    detail: Mapped[str] = mapped_column(String(500))
    detected_at: Mapped[datetime] = mapped_column(DateTime)
    found_by: Mapped[str] = mapped_column(String(40))  # 'local', or the partner node that found it
