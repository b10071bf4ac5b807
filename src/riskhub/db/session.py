"""The request-scoped database session for API routes."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy.orm import Session

from riskhub.db.engine import get_engine


def get_session() -> Iterator[Session]:
    """A read session per request (writes go through services that own their transactions)."""
    with Session(get_engine()) as session:
        yield session
