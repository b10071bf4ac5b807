"""Tables of inspection protocols, inspection results, findings, release times and feedback."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from riskhub.db.base import Base, BigId


class Checklist(Base):
    """An inspection protocol (M4): what to check and what evidence to keep. Shareable."""

    __tablename__ = "checklists"
    __table_args__ = (UniqueConstraint("party", "code"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    party: Mapped[str] = mapped_column(String(2))  # the owner
    code: Mapped[str] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(Integer, default=1)
    title: Mapped[str] = mapped_column(String(200))
    agency: Mapped[str] = mapped_column(String(24))
    channels: Mapped[str] = mapped_column(Text)  # JSON array: the channels it applies to
    profiles: Mapped[str] = mapped_column(Text)  # JSON array of profile codes it is attached to
    items: Mapped[str] = mapped_column(Text)  # JSON array of {key, text, evidence, required}
    distribution: Mapped[str] = mapped_column(String(10))
    tlp: Mapped[str] = mapped_column(String(6))
    sharing_group: Mapped[str | None] = mapped_column(String(60))
    updated_by: Mapped[int | None] = mapped_column(BigId)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class ChecklistVersion(Base):
    """Every version a checklist has had, kept whole (answers name the version they used)."""

    __tablename__ = "checklist_versions"
    __table_args__ = (UniqueConstraint("checklist_id", "version"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    checklist_id: Mapped[int] = mapped_column(ForeignKey("checklists.id", ondelete="CASCADE"))
    party: Mapped[str] = mapped_column(String(2))
    version: Mapped[int] = mapped_column(Integer)
    document: Mapped[str] = mapped_column(Text)  # JSON of the whole checklist
    changed_by: Mapped[int | None] = mapped_column(BigId)
    changed_at: Mapped[datetime] = mapped_column(DateTime)


class Inspection(Base):
    """One control of one declaration version by customs, another agency, or jointly."""

    __tablename__ = "inspections"
    __table_args__ = (
        # The control report's number: a repeated submission is recognised, not doubled.
        UniqueConstraint("party", "reference"),
        Index("ix_inspections_party_started", "party", "started_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    party: Mapped[str] = mapped_column(String(2))
    reference: Mapped[str] = mapped_column(String(35))
    declaration_id: Mapped[int] = mapped_column(
        ForeignKey("declarations.id", ondelete="CASCADE"), index=True
    )
    declaration_version: Mapped[int] = mapped_column(Integer)
    decision_id: Mapped[int | None] = mapped_column(
        ForeignKey("selectivity_decisions.id", ondelete="SET NULL")
    )
    office: Mapped[str] = mapped_column(String(17))
    agency: Mapped[str] = mapped_column(String(24))  # who recorded it
    joint_with: Mapped[str] = mapped_column(Text)  # JSON array of the other agencies present
    kind: Mapped[str] = mapped_column(String(12))  # documentary, physical, scan
    inspector: Mapped[str] = mapped_column(String(80))
    started_at: Mapped[datetime] = mapped_column(DateTime)
    finished_at: Mapped[datetime] = mapped_column(DateTime)
    answers: Mapped[str] = mapped_column(Text)  # JSON array of checklist answers
    outcome: Mapped[str] = mapped_column(String(20))
    additional_revenue_eur: Mapped[float] = mapped_column(Float, default=0.0)
    seized_quantity: Mapped[float | None] = mapped_column(Float)
    seized_unit: Mapped[str | None] = mapped_column(String(10))
    notes: Mapped[str] = mapped_column(Text, default="")
    content_hash: Mapped[str] = mapped_column(String(64))
    recorded_by: Mapped[int | None] = mapped_column(BigId)
    recorded_at: Mapped[datetime] = mapped_column(DateTime)

    findings: Mapped[list[InspectionFinding]] = relationship(
        order_by="InspectionFinding.id", cascade="all, delete-orphan", passive_deletes=True
    )


class InspectionFinding(Base):
    """What an inspection found, by category, on the whole declaration or one item."""

    __tablename__ = "inspection_findings"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    inspection_id: Mapped[int] = mapped_column(
        ForeignKey("inspections.id", ondelete="CASCADE"), index=True
    )
    party: Mapped[str] = mapped_column(String(2))
    category: Mapped[str] = mapped_column(String(24))
    item_no: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[str] = mapped_column(Text, default="")


class ReleaseTime(Base):
    """The border timestamps of one declaration, after the WCO Time Release Study.

    Lodgement comes from the declaration; the rest arrive from the national
    systems or from recorded inspections. Any may be missing.
    """

    __tablename__ = "release_times"

    declaration_id: Mapped[int] = mapped_column(
        ForeignKey("declarations.id", ondelete="CASCADE"), primary_key=True
    )
    party: Mapped[str] = mapped_column(String(2))
    arrival_at: Mapped[datetime | None] = mapped_column(DateTime)
    pre_arrival_at: Mapped[datetime | None] = mapped_column(DateTime)
    channel_at: Mapped[datetime | None] = mapped_column(DateTime)
    document_start: Mapped[datetime | None] = mapped_column(DateTime)
    document_end: Mapped[datetime | None] = mapped_column(DateTime)
    physical_start: Mapped[datetime | None] = mapped_column(DateTime)
    physical_end: Mapped[datetime | None] = mapped_column(DateTime)
    agency_start: Mapped[datetime | None] = mapped_column(DateTime)
    agency_end: Mapped[datetime | None] = mapped_column(DateTime)
    released_at: Mapped[datetime | None] = mapped_column(DateTime)
    exit_at: Mapped[datetime | None] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class InspectionFeedback(Base):
    """An inspection report shared as feedback on a common risk profile (S11). No traders' ids."""

    __tablename__ = "inspection_feedback"
    __table_args__ = (UniqueConstraint("inspection_id", "profile_owner", "profile_code"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    party: Mapped[str] = mapped_column(String(2))  # the Party that inspected
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspections.id", ondelete="CASCADE"))
    profile_owner: Mapped[str] = mapped_column(String(2))
    profile_code: Mapped[str] = mapped_column(String(40))
    summary: Mapped[str] = mapped_column(Text)  # JSON: minimised report
    distribution: Mapped[str] = mapped_column(String(10))
    tlp: Mapped[str] = mapped_column(String(6))
    sharing_group: Mapped[str | None] = mapped_column(String(60))
    shared_at: Mapped[datetime] = mapped_column(DateTime)
