"""SEED+ exchange throughput: signed messages between two hubs on loopback, exactly once.

    python bench/exchange_throughput.py --messages 5000

Two hubs, each its own uvicorn process with its own SQLite database and
Ed25519 key, over HTTPS with a throwaway CA. The sending hub queues
``--messages`` pre-arrival export messages (each signed as it is queued, as the
outbox does), then its sender pushes them in batches of ``--batch`` until every
receipt has verified. Reported: queueing (signing) rate, delivery rate, and the
end-to-end rate over both; and the proof of exactly once (messages applied by
the receiver, by its audit count, and documents stored, each equal to the
number sent). Used by ``bench/matching.py`` for its "exchange" field; one JSON
line last on stdout when run alone.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from riskhub.access.distribution import Distribution
from riskhub.audit.models import AuditRecord
from riskhub.db.base import utcnow
from riskhub.exchange import keys, sender
from riskhub.exchange.loopback import LoopbackHub, fresh_postgres
from riskhub.exchange.messages import ExportDeclaration, ExportItem, MessageType
from riskhub.exchange.models import InboxMessage, OutboxMessage, ReceivedDocument
from riskhub.exchange.outbox import Outgoing, enqueue
from riskhub.exchange.tls import loopback_certificates
from riskhub.exchange.transports import HttpTransport

GOAL_PER_S = 500


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _payload(i: int, now: Any) -> ExportDeclaration:
    items = [
        ExportItem(
            item_no=n,
            hs_code="847130",
            origin_country="RS",
            net_mass=100.0 + n,
            gross_mass=110.0 + n,
            customs_value_eur=2500.0 * n,
        )
        for n in (1, 2)
    ]
    return ExportDeclaration(
        reference=f"RS-PRE-E-{i:08d}",
        office="RS-PRE",
        lodged_at=now - timedelta(hours=1),
        exit_at=now,
        destination_country="MK",
        vehicle_registration=f"RS-{1000 + i % 900}-01",
        total_gross_mass=230.0,
        exporter=f"RS{100000000 + i % 600}",
        items=items,
    )


def _count(hub: LoopbackHub, table: Any, *where: Any) -> int:
    with Session(hub.engine) as session:
        query = select(func.count()).select_from(table).where(*where)
        return int(session.execute(query).scalar_one())


def _hub(node: str, party: str, folder: Path, tls: Any, postgres: str | None) -> LoopbackHub:
    if postgres is None:
        return LoopbackHub(node, (party,), folder / node, tls=tls).prepare()
    app, admin = fresh_postgres(postgres, f"riskhub_bench_{node.replace('-', '_')}")
    hub = LoopbackHub(
        node, (party,), folder / node, tls=tls, database_url=app, admin_database_url=admin
    ).prepare()
    with hub.engine.begin() as conn:
        conn.execute(text("ALTER ROLE riskhub_app LOGIN"))  # the API runs as this role
    return hub


def measure(messages: int = 5000, batch: int = 200, postgres: str | None = None) -> dict[str, Any]:
    """Send ``messages`` from one loopback hub to another; rates and exactly-once counts.

    ``postgres`` is a server URL (e.g. ``postgresql+psycopg://postgres@127.0.0.1:55432/postgres``):
    each hub then gets a fresh database there, and its API runs as the row-security role.
    """
    with tempfile.TemporaryDirectory(prefix="riskhub-exchange-bench-") as tmp:
        folder = Path(tmp)
        tls = loopback_certificates(folder / "tls")
        rs = _hub("rs-hub", "RS", folder, tls, postgres)
        mk = _hub("mk-hub", "MK", folder, tls, postgres).start()
        try:
            for hub, partner in ((rs, mk), (mk, rs)):
                with Session(hub.engine) as session, session.begin():
                    keys.register(
                        session=session,
                        node=partner.node,
                        parties=list(partner.parties),
                        public_key=partner.identity().public,
                        url=partner.url,
                        identities_shared=True,
                    )
            identity = rs.identity()
            now = utcnow()
            began = time.perf_counter()
            with Session(rs.engine) as session, session.begin():
                nodes = keys.partners(session=session)
                for i in range(messages):
                    message = Outgoing(
                        MessageType.EXPORT_DECLARATION,
                        _payload(i, now),
                        "RS",
                        ["MK"],
                        Distribution.GROUP,
                        group=frozenset({"RS", "MK"}),
                    )
                    enqueue(
                        session=session, identity=identity, message=message, now=now, nodes=nodes
                    )
            queue_s = time.perf_counter() - began
            log(f"queued and signed {messages:,} messages in {queue_s:.2f} s")
            transport = HttpTransport(ca_file=tls.ca_file)
            began = time.perf_counter()
            try:
                done = sender.run(
                    engine=rs.engine, transport=transport, until_idle=True, poll_s=0.05, batch=batch
                )
            finally:
                transport.close()
            deliver_s = time.perf_counter() - began
            log(f"delivered {done['delivered']:,} in {deliver_s:.2f} s ({dict(done)})")
            with Session(mk.engine) as session:
                applied = sum(
                    int(o.split(" ")[0])
                    for o in session.execute(
                        select(AuditRecord.object).where(AuditRecord.action == "exchange.receive")
                    ).scalars()
                    if o
                )
            return {
                "messages": messages,
                "batch": batch,
                "transport": "https, loopback, separate receiver process",
                "database": "postgresql" if postgres else "sqlite",
                "queue_signed_per_s": round(messages / queue_s),
                "deliver_per_s": round(messages / deliver_s),
                "end_to_end_per_s": round(messages / (queue_s + deliver_s)),
                "delivered": _count(rs, OutboxMessage, OutboxMessage.status == "delivered"),
                "pending": _count(rs, OutboxMessage, OutboxMessage.status != "delivered"),
                "received": _count(mk, InboxMessage),
                "applied_by_audit": applied,
                "documents": _count(mk, ReceivedDocument),
                "exactly_once": applied == messages == _count(mk, InboxMessage),
                "goal_per_s": GOAL_PER_S,
            }
        finally:
            mk.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--postgres", help="a PostgreSQL server URL; default: SQLite hubs")
    args = parser.parse_args()
    result = measure(args.messages, args.batch, args.postgres)
    print(orjson.dumps({"bench": "exchange", **result}).decode())


if __name__ == "__main__":
    main()
