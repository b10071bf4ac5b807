"""Which Party the current work is done for, and how PostgreSQL is told so.

The API sets the caller's Party once per request (``acting_for``); every
transaction that begins afterwards in that context runs
``set_config('riskhub.party', <party>, true)`` (a ``SET LOCAL``), and the
row-level security policies show and accept only that Party's rows. No Party set
means an empty setting, which matches no row. On SQLite the services' own
filters are the only guard, and the same tests hold them to it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from sqlalchemy import Engine, event, text

_party: ContextVar[str | None] = ContextVar("riskhub_party", default=None)


@contextmanager
def acting_for(party: str | None) -> Iterator[None]:
    """Run the enclosed work (and the transactions it begins) for ``party``."""
    token = _party.set(party)
    try:
        yield
    finally:
        _party.reset(token)


def set_party(party: str | None) -> None:
    """Set the Party for the rest of the current context (one API request)."""
    _party.set(party)


def current_party() -> str | None:
    return _party.get()


def install(engine: Engine) -> None:
    """Make every transaction on a PostgreSQL engine carry the current Party."""
    if engine.dialect.name != "postgresql":
        return

    @event.listens_for(engine, "begin")
    def _tell_postgres(conn: Any) -> None:
        conn.exec_driver_sql(
            "SELECT set_config('riskhub.party', %(party)s, true)", {"party": _party.get() or ""}
        )


@contextmanager
def switched(session: Any, party: str) -> Iterator[None]:
    """Act for ``party`` inside a transaction already begun for another, then switch back.

    Row-level security reads the setting on every statement, and the setting was
    made when the transaction began; on PostgreSQL it is set again here (and
    restored after), so a Party's copy of something shared on this hub is written
    as its own within the same transaction as the rest.
    """
    before = _party.get()
    postgres = session.get_bind().dialect.name == "postgresql"
    with acting_for(party):
        if postgres:
            session.execute(_SET, {"party": party})
        try:
            yield
        finally:
            if postgres:
                session.execute(_SET, {"party": before or ""})


_SET = text("SELECT set_config('riskhub.party', :party, true)")
