"""Request-scoped database sessions for API routes.

Both close when the route function returns (``scope="function"``), so a write
is committed before the response leaves: a client told "201" can rely on it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends
from sqlalchemy.orm import Session

from riskhub.db.engine import get_engine


def get_session() -> Iterator[Session]:
    """A read session per request (services that write own their transactions)."""
    with Session(get_engine()) as session:
        yield session


def get_write_session() -> Iterator[Session]:
    """A session whose changes are committed when the route returns without error."""
    # On SQLite the write lock is taken when the transaction begins: a route that reads
    # and then writes would otherwise fail (not wait) when another write commits first.
    writer = get_engine().execution_options(sqlite_immediate=True)
    with Session(writer, expire_on_commit=False) as session, session.begin():
        yield session


ReadSession = Annotated[Session, Depends(get_session, scope="function")]
WriteSession = Annotated[Session, Depends(get_write_session, scope="function")]
