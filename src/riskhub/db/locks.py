"""Transaction-level advisory locks on PostgreSQL, named by text; nothing to do on SQLite.

SQLite writers already run one at a time (``sqlite_immediate``); on PostgreSQL
two transactions that must not interleave (storing one Party's new references,
rebuilding one KPI day, numbering one Party's model versions) each take the
same named lock, held until commit.
"""

from __future__ import annotations

from sqlalchemy import Connection, func, select
from sqlalchemy.orm import Session


def hold(connection: Connection | Session, name: str) -> None:
    """Wait for, then hold until commit, the lock called ``name`` (PostgreSQL only)."""
    bind = connection.get_bind() if isinstance(connection, Session) else connection
    if bind.dialect.name == "postgresql":
        connection.execute(select(func.pg_advisory_xact_lock(func.hashtext(name))))
