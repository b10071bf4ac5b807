"""INSERT ... ON CONFLICT for the two databases riskhub runs on."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def insert_for(bind: Session | Any, table: Any) -> Any:
    """An INSERT on ``table`` that can take ``on_conflict_do_nothing/update`` on this database.

    ``bind`` is a session or a connection.
    """
    dialect = bind.get_bind().dialect if isinstance(bind, Session) else bind.dialect
    module = postgresql if dialect.name == "postgresql" else sqlite
    return module.insert(table)
