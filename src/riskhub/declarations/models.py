"""Tables of declarations, their items and versions, known outcomes, and ingest runs."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from riskhub.db.base import Base, BigId


class Declaration(Base):
    """The current version of a customs declaration (header); one per (party, reference)."""

    __tablename__ = "declarations"
    __table_args__ = (UniqueConstraint("party", "reference"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    party: Mapped[str] = mapped_column(String(2))
    reference: Mapped[str] = mapped_column(String(35))
    version: Mapped[int] = mapped_column(Integer, default=1)
    content_hash: Mapped[str] = mapped_column(String(64))
    direction: Mapped[str] = mapped_column(String(8))
    procedure_code: Mapped[str | None] = mapped_column(String(4))
    office: Mapped[str] = mapped_column(String(17), index=True)
    lodged_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    arrival_at: Mapped[datetime | None] = mapped_column(DateTime)
    declarant: Mapped[str] = mapped_column(String(35))
    importer: Mapped[str | None] = mapped_column(String(35))
    exporter: Mapped[str | None] = mapped_column(String(35))
    seller: Mapped[str | None] = mapped_column(String(35))
    carrier: Mapped[str | None] = mapped_column(String(35))
    dispatch_country: Mapped[str | None] = mapped_column(String(2))
    destination_country: Mapped[str] = mapped_column(String(2))
    transport_mode: Mapped[int | None] = mapped_column(Integer)
    vehicle_registration: Mapped[str | None] = mapped_column(String(20))
    container_ids: Mapped[str | None] = mapped_column(Text)  # ';'-separated
    incoterm: Mapped[str | None] = mapped_column(String(3))
    invoice_currency: Mapped[str | None] = mapped_column(String(3))
    total_gross_mass: Mapped[float | None] = mapped_column(Float)
    weighbridge_mass: Mapped[float | None] = mapped_column(Float)
    export_reference: Mapped[str | None] = mapped_column(String(35))
    extra: Mapped[str | None] = mapped_column(Text)  # JSON object
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    # Set when the retention period ended and traders' identities were removed.
    personal_data_purged_at: Mapped[datetime | None] = mapped_column(DateTime)

    items: Mapped[list[DeclarationItem]] = relationship(
        back_populates="declaration",
        order_by="DeclarationItem.item_no",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )
    versions: Mapped[list[DeclarationVersion]] = relationship(
        order_by="DeclarationVersion.version",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )
    outcomes: Mapped[list[KnownOutcome]] = relationship(
        order_by="KnownOutcome.item_no",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )


class DeclarationItem(Base):
    """A goods item of the current version of a declaration."""

    __tablename__ = "declaration_items"
    __table_args__ = (
        UniqueConstraint("declaration_id", "item_no"),
        Index("ix_declaration_items_party_hs_code", "party", "hs_code"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    declaration_id: Mapped[int] = mapped_column(ForeignKey("declarations.id", ondelete="CASCADE"))
    party: Mapped[str] = mapped_column(String(2))
    item_no: Mapped[int] = mapped_column(Integer)
    hs_code: Mapped[str] = mapped_column(String(10))
    description: Mapped[str | None] = mapped_column(String(512))
    origin_country: Mapped[str] = mapped_column(String(2))
    preferential_origin: Mapped[bool | None] = mapped_column(Boolean)
    net_mass: Mapped[float] = mapped_column(Float)
    gross_mass: Mapped[float | None] = mapped_column(Float)
    quantity: Mapped[float | None] = mapped_column(Float)
    supplementary_unit: Mapped[str | None] = mapped_column(String(10))
    customs_value_eur: Mapped[float] = mapped_column(Float)
    duty_rate: Mapped[float | None] = mapped_column(Float)
    lpco_refs: Mapped[str | None] = mapped_column(Text)  # ';'-separated

    declaration: Mapped[Declaration] = relationship(back_populates="items")


class DeclarationVersion(Base):
    """A superseded version of a declaration, kept whole when an amendment replaces it."""

    __tablename__ = "declaration_versions"
    __table_args__ = (UniqueConstraint("declaration_id", "version"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    declaration_id: Mapped[int] = mapped_column(ForeignKey("declarations.id", ondelete="CASCADE"))
    party: Mapped[str] = mapped_column(String(2))
    version: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    document: Mapped[str] = mapped_column(Text)  # JSON: header fields and items
    superseded_at: Mapped[datetime] = mapped_column(DateTime)


class KnownOutcome(Base):
    """A control result already known when the declaration arrived (labelled data sets)."""

    __tablename__ = "known_outcomes"
    __table_args__ = (UniqueConstraint("declaration_id", "item_no"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    declaration_id: Mapped[int] = mapped_column(ForeignKey("declarations.id", ondelete="CASCADE"))
    party: Mapped[str] = mapped_column(String(2))
    item_no: Mapped[int] = mapped_column(Integer)
    # 'compliant' or the kind of non-compliance; None when a source gave only the revenue.
    outcome: Mapped[str | None] = mapped_column(String(40))
    critical: Mapped[bool | None] = mapped_column(Boolean)
    revenue_eur: Mapped[float | None] = mapped_column(Float)  # duty and taxes recovered


class IngestRun(Base):
    """One load of one source: what it stored, amended, left unchanged and rejected."""

    __tablename__ = "ingest_runs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    source: Mapped[str] = mapped_column(Text)
    source_sha256: Mapped[str] = mapped_column(String(64), index=True)
    format: Mapped[str] = mapped_column(String(16))
    party: Mapped[str | None] = mapped_column(String(2))  # the API caller's; None for operators
    status: Mapped[str] = mapped_column(
        String(16)
    )  # running, finished (a killed run stays running)
    started_at: Mapped[datetime] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    stored: Mapped[int] = mapped_column(Integer, default=0)
    amended: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    items: Mapped[int] = mapped_column(Integer, default=0)
    rejected_rows: Mapped[int] = mapped_column(Integer, default=0)
    duplicate_rows: Mapped[int] = mapped_column(Integer, default=0)


class IngestRejection(Base):
    """A row that was not stored, and why. The same source gives the same rows only once."""

    __tablename__ = "ingest_rejections"
    # The Party is in the key, so one Party's rejections never hide another's.
    __table_args__ = (UniqueConstraint("party", "source_sha256", "location", "field"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("ingest_runs.id", ondelete="CASCADE"))
    source_sha256: Mapped[str] = mapped_column(String(64))
    # Text, not the declaration's sizes: rejected input may be any length.
    party: Mapped[str | None] = mapped_column(Text)
    reference: Mapped[str | None] = mapped_column(Text)
    line: Mapped[int | None] = mapped_column(Integer)
    location: Mapped[str] = mapped_column(Text)
    field: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(Text)
