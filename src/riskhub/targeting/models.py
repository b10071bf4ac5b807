"""Tables of the model registry and of challengers' shadow scores."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from riskhub.db.base import Base, BigId


class RiskModelVersion(Base):
    """One trained model of a Party: its window, features, measured quality and approval.

    Status: ``candidate`` (trained, not serving), ``challenger`` (scores in shadow
    beside the champion), ``champion`` (serves decisions; one per Party),
    ``retired``. Only an approved model serves.
    """

    __tablename__ = "risk_models"
    __table_args__ = (UniqueConstraint("party", "version"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    party: Mapped[str] = mapped_column(String(2))
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(12))
    train_from: Mapped[date] = mapped_column(Date)
    train_to: Mapped[date] = mapped_column(Date)
    trained_rows: Mapped[int] = mapped_column(Integer)
    features: Mapped[str] = mapped_column(Text)  # JSON array
    metrics: Mapped[str] = mapped_column(Text)  # JSON: measured on a later period
    revenue_weight: Mapped[float] = mapped_column(Float)
    artifact: Mapped[bytes] = mapped_column(LargeBinary)  # zip of the model folder
    artifact_sha256: Mapped[str] = mapped_column(String(64))
    trained_by: Mapped[str] = mapped_column(String(80))
    trained_at: Mapped[datetime] = mapped_column(DateTime)
    approved_by: Mapped[str | None] = mapped_column(String(80))
    approved_at: Mapped[datetime | None] = mapped_column(DateTime)
    note: Mapped[str] = mapped_column(Text, default="")


class ShadowScore(Base):
    """A challenger's score of a decided declaration, kept to compare it with the champion."""

    __tablename__ = "shadow_scores"
    __table_args__ = (UniqueConstraint("model_id", "declaration_id", "declaration_version"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    party: Mapped[str] = mapped_column(String(2))
    model_id: Mapped[int] = mapped_column(ForeignKey("risk_models.id", ondelete="CASCADE"))
    declaration_id: Mapped[int] = mapped_column(
        ForeignKey("declarations.id", ondelete="CASCADE"), index=True
    )
    declaration_version: Mapped[int] = mapped_column(Integer)
    score: Mapped[float] = mapped_column(Float)
    scored_at: Mapped[datetime] = mapped_column(DateTime)
