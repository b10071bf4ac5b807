"""Two hubs in one test: North Macedonia's own hub, and handing over what one queued for another."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from riskhub.exchange.inbox import receive
from riskhub.exchange.keys import Identity
from riskhub.exchange.loopback import LoopbackHub, fresh_postgres
from riskhub.exchange.models import OutboxMessage
from tests.conftest import TEST_DATABASE_URL


def mk_hub(folder: Path, database: str) -> LoopbackHub:
    """North Macedonia's hub: its own database (SQLite, or a fresh PostgreSQL one) and key."""
    app = admin = None
    if TEST_DATABASE_URL:
        app, admin = fresh_postgres(TEST_DATABASE_URL, database)
    return LoopbackHub("mk-hub", ("MK",), folder, database_url=app,
                       admin_database_url=admin).prepare()  # fmt: skip


def deliver(sender: Engine, receiver: Engine, identity: Identity, node: str) -> int:
    """Hand what ``sender`` queued for ``node`` to its hub (the sender's job, done inline)."""
    with Session(sender) as session, session.begin():
        rows = session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.receiver_node == node, OutboxMessage.status == "pending"
            )
        ).all()
        tokens = [r.token for r in rows]
        for r in rows:
            r.status = "delivered"
    done = receive(engine=receiver, identity=identity, tokens=tokens, source="test")
    assert done.counts == {"applied": len(tokens)}, done.counts
    return len(tokens)
