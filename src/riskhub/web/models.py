"""The table of page sessions: one row per sign-in, so that signing out really ends it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from riskhub.db.base import Base, BigId


class WebSession(Base):
    """A page session begun with an API token; the cookie holds its secret, the row its hash.

    It ends at ``expires_at``, at sign-out (``ended_at``), or as soon as the
    token it began with is revoked or expires, or the user is disabled.
    """

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    party: Mapped[str] = mapped_column(String(2), ForeignKey("parties.code"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    token_id: Mapped[int] = mapped_column(ForeignKey("api_tokens.id"))
    secret_hash: Mapped[str] = mapped_column(String(64))  # sha256: the secret is 256 random bits
    created_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)
