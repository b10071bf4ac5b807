"""Tables of who uses the hub: Parties, agencies, offices, sharing groups, users, API tokens."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from riskhub.db.base import Base, BigId


class Party(Base):
    """A tenant: a CEFTA administration, an EU partner, the Secretariat or the sandbox."""

    __tablename__ = "parties"

    code: Mapped[str] = mapped_column(String(2), primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(16))  # cefta, eu_partner, secretariat, sandbox


class Agency(Base):
    """A kind of border agency; each Party has its own of each."""

    __tablename__ = "agencies"

    code: Mapped[str] = mapped_column(String(24), primary_key=True)
    name: Mapped[str] = mapped_column(String(80))


class Office(Base):
    """A customs office at a border or common crossing point."""

    __tablename__ = "offices"

    code: Mapped[str] = mapped_column(String(17), primary_key=True)
    party: Mapped[str] = mapped_column(ForeignKey("parties.code"))
    name: Mapped[str] = mapped_column(String(80))
    crossing: Mapped[str | None] = mapped_column(String(80))


class SharingGroup(Base):
    """A named set of Parties risk information can be distributed to (MISP sharing group)."""

    __tablename__ = "sharing_groups"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    members: Mapped[list[SharingGroupMember]] = relationship(cascade="all, delete-orphan")


class SharingGroupMember(Base):
    __tablename__ = "sharing_group_members"

    group_id: Mapped[int] = mapped_column(ForeignKey("sharing_groups.id"), primary_key=True)
    member: Mapped[str] = mapped_column(ForeignKey("parties.code"), primary_key=True)


class User(Base):
    """A person (or a national system) acting for one Party in one role."""

    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("party", "name"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    party: Mapped[str] = mapped_column(ForeignKey("parties.code"))
    name: Mapped[str] = mapped_column(String(80))
    role: Mapped[str] = mapped_column(String(24))
    offices: Mapped[str | None] = mapped_column(Text)  # ';'-separated, officers only
    agency: Mapped[str | None] = mapped_column(ForeignKey("agencies.code"))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class ApiToken(Base):
    """A bearer token; only its argon2 hash is stored, and it can expire or be revoked."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    party: Mapped[str] = mapped_column(ForeignKey("parties.code"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    secret_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)
