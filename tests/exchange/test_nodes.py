"""Hubs in separate processes on loopback, a fault proxy between them, and a killed sender.

Each hub is the real API served by uvicorn with its own database and key; each
sender is the real ``riskhub exchange run``. Whatever the network does (refused
and cut connections, half-sent requests, delays, duplicated requests) and even
when the sender is killed with SIGKILL in the middle of a push, every message
must be applied exactly once, and the outbox must drain.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from riskhub.access.distribution import Distribution, Tlp
from riskhub.audit.models import AuditRecord
from riskhub.db.base import utcnow
from riskhub.exchange import keys
from riskhub.exchange.loopback import LoopbackHub, fresh_postgres
from riskhub.exchange.messages import MessageType, Rif
from riskhub.exchange.models import InboxMessage, OutboxMessage, ReceivedDocument
from riskhub.exchange.outbox import Outgoing, enqueue
from riskhub.exchange.tls import LoopbackTls, loopback_certificates
from tests.conftest import TEST_DATABASE_URL, Databases
from tests.exchange.faultproxy import FaultProxy, Faults
from tests.exchange.nodes import export

MakeHub = Callable[..., LoopbackHub]


@pytest.fixture
def make_hub(databases: Databases, tmp_path: Path) -> Iterator[MakeHub]:
    """Hubs with their own database each (a SQLite file, or a fresh PostgreSQL database)."""
    hubs: list[LoopbackHub] = []

    def make(node: str, *parties: str, tls: LoopbackTls | None = None) -> LoopbackHub:
        app = admin = None
        if TEST_DATABASE_URL:
            app, admin = fresh_postgres(TEST_DATABASE_URL, f"riskhub_test_{node.replace('-', '_')}")
        hub = LoopbackHub(node, parties, tmp_path / node, tls=tls, database_url=app,
                          admin_database_url=admin).prepare()  # fmt: skip
        hubs.append(hub)
        return hub

    yield make
    for hub in hubs:
        hub.stop()
        hub.engine.dispose()


def introduce(hub: LoopbackHub, partner: LoopbackHub, url: str | None = None) -> None:
    """Register ``partner`` (its key, Parties and where to reach it) at ``hub``."""
    with Session(hub.engine) as session, session.begin():
        keys.register(session=session, node=partner.node, parties=list(partner.parties),
                      public_key=partner.identity().public, url=url or partner.url,
                      identities_shared=True)  # fmt: skip


def queue_exports(hub: LoopbackHub, n: int) -> None:
    now = utcnow()
    with Session(hub.engine) as session, session.begin():
        nodes = keys.partners(session=session)
        for i in range(n):
            message = Outgoing(MessageType.EXPORT_DECLARATION,
                               export(f"RS-PRE-E-{i:08d}", lodged_at=now - timedelta(hours=1)),
                               "RS", ["MK"], Distribution.GROUP, group=frozenset({"RS", "MK"}))  # fmt: skip
            assert enqueue(session=session, identity=hub.identity(), message=message, now=now,
                           nodes=nodes) == 1  # fmt: skip


def count(hub: LoopbackHub, table: type, *where: object) -> int:
    with Session(hub.engine) as session:
        query = select(func.count()).select_from(table).where(*where)  # type: ignore[arg-type]
        return int(session.execute(query).scalar_one())


def applied_in_audit(hub: LoopbackHub) -> int:
    """Messages the hub's audit log says it applied (one record per push, with the count)."""
    with Session(hub.engine) as session:
        objects = session.execute(
            select(AuditRecord.object).where(AuditRecord.action == "exchange.receive")
        ).scalars()
        return sum(int(o.split(" ")[0]) for o in objects if o)


def in_flight(hub: LoopbackHub) -> int:
    o = OutboxMessage
    return count(hub, o, o.status == "pending", o.leased_until.is_not(None))


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


WORKER = ("--poll", "0.05", "--retry-base", "0.05")
# A fresh connection per push, so the proxy's per-connection faults hit pushes often; small
# pushes so that a kill lands mid-stream; a short lease so the restarted worker soon resends.
FAULTY = {"exchange_keep_alive": "false", "exchange_batch": "20", "exchange_timeout_s": "5"}


@pytest.mark.slow
@pytest.mark.parametrize(
    ("scheme", "faults"),
    [
        # HTTPS end to end: refused and half-sent connections, delays, replayed TLS streams.
        ("https", Faults(drop=0.15, cut=0.1, cut_midway=0.15, delay_s=0.01, duplicate=0.1, seed=3)),
        # Plain HTTP on loopback, so that answers can be lost after the hub applied the
        # messages, and requests reach the hub twice.
        ("http", Faults(drop=0.1, cut=0.25, cut_midway=0.1, delay_s=0.01, duplicate=0.25, seed=4)),
    ],
)
def test_two_hubs_exactly_once_through_faults_and_a_killed_sender(
    make_hub: MakeHub, tmp_path: Path, scheme: str, faults: Faults
) -> None:
    tls = loopback_certificates(tmp_path / "tls") if scheme == "https" else None
    rs = make_hub("rs-hub", "RS", tls=tls)
    mk = make_hub("mk-hub", "MK", tls=tls).start()
    n = 300
    with FaultProxy("127.0.0.1", mk.port, faults) as proxy:
        introduce(rs, mk, url=f"{scheme}://127.0.0.1:{proxy.port}")
        introduce(mk, rs)
        queue_exports(rs, n)
        worker = rs.worker(*WORKER, **FAULTY)
        # Killed while a push is in flight: messages leased to it and not yet settled.
        wait_for(lambda: count(mk, InboxMessage) >= n // 3 and in_flight(rs) > 0, 120,
                 "a third of the messages, and a push in flight")  # fmt: skip
        worker.send_signal(signal.SIGKILL)
        worker.wait()
        killed_at = count(mk, InboxMessage)
        again = rs.worker("--until-idle", *WORKER, **FAULTY)
        assert again.wait(timeout=300) == 0, (rs.folder / "worker.log").read_text()[-2000:]
        stats = dict(proxy.stats)
    assert 0 < killed_at < n
    assert count(rs, OutboxMessage, OutboxMessage.status == "delivered") == n
    assert count(rs, OutboxMessage, OutboxMessage.status != "delivered") == 0
    assert count(mk, InboxMessage) == n and count(mk, ReceivedDocument) == n
    assert applied_in_audit(mk) == n  # each message applied once, whatever came twice
    duplicates = count(mk, AuditRecord, AuditRecord.action == "exchange.duplicate")
    assert stats["dropped"] and stats["cut_midway"] and stats["duplicated"], stats
    if scheme == "http":
        assert stats["cut"] and duplicates > 0, (stats, duplicates)
    print(f"{scheme}: killed after {killed_at} applied; proxy {stats}; "
          f"{duplicates} pushes carried copies, recognised and not applied again")  # fmt: skip


@pytest.mark.slow
def test_three_hubs_relay_only_what_distribution_allows(make_hub: MakeHub) -> None:
    rs = make_hub("rs-hub", "RS")
    mk = make_hub("mk-hub", "MK").start()
    al = make_hub("al-hub", "AL").start()
    introduce(rs, mk)  # RS knows only MK; MK knows AL: AL is reached through MK
    introduce(mk, rs)
    introduce(mk, al)
    introduce(al, mk)
    # AL takes what MK passes on only if it can check RS's signature on the original.
    with Session(al.engine) as session, session.begin():
        keys.register(session=session, node=rs.node, parties=list(rs.parties),
                      public_key=rs.identity().public, url=None)  # fmt: skip
    now = utcnow()
    sent = {
        "CEFTA": (Distribution.CEFTA, Tlp.AMBER),
        "GROUP": (Distribution.GROUP, Tlp.AMBER),
        "RED": (Distribution.CEFTA, Tlp.RED),
        "OWN": (Distribution.OWN, Tlp.AMBER),
    }
    with Session(rs.engine) as session, session.begin():
        nodes = keys.partners(session=session)
        queued = {
            name: enqueue(
                session=session, identity=rs.identity(), now=now, nodes=nodes,
                message=Outgoing(MessageType.RIF, Rif(rif_id=name, title=name, risk_area="ipr",
                                 description="d"), "RS", ["MK", "AL"], distribution, tlp,
                                 group=frozenset({"RS", "MK", "AL"})),
            )
            for name, (distribution, tlp) in sent.items()
        }  # fmt: skip
    assert queued == {"CEFTA": 1, "GROUP": 1, "RED": 1, "OWN": 0}  # own-only never leaves
    assert rs.worker("--until-idle", *WORKER).wait(timeout=120) == 0
    assert mk.worker("--until-idle", *WORKER).wait(timeout=120) == 0

    def rifs(hub: LoopbackHub) -> set[str]:
        with Session(hub.engine) as session:
            return set(session.execute(select(ReceivedDocument.key)).scalars())

    assert rifs(mk) == {"CEFTA", "GROUP", "RED"}
    assert rifs(al) == {"CEFTA"}  # relayed once; the group's and the RED one stop at MK
    with Session(al.engine) as session:
        relayed = session.execute(select(InboxMessage)).scalar_one()
    assert (relayed.sender_node, relayed.origin_node) == ("mk-hub", "rs-hub")
    assert count(mk, OutboxMessage, OutboxMessage.status != "delivered") == 0
