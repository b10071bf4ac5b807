"""The sender worker against a receiver that misbehaves in every way a network can."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from riskhub.access.distribution import Distribution
from riskhub.exchange import keys, sender
from riskhub.exchange.inbox import receive
from riskhub.exchange.keys import partners
from riskhub.exchange.messages import MessageType
from riskhub.exchange.models import InboxMessage, OutboxMessage, ReceivedDocument
from riskhub.exchange.outbox import Outgoing, enqueue
from riskhub.exchange.transports import DirectTransport, TransportError
from tests.exchange.nodes import NOW, export, node, register

RS = node("rs-hub", "RS")
MK = node("mk-hub", "MK")


def queue(engine: Engine, n: int, *, distribution: Distribution = Distribution.GROUP) -> int:
    with Session(engine) as session, session.begin():
        nodes = partners(session=session)
        return sum(
            enqueue(
                session=session, identity=RS, now=NOW, nodes=nodes,
                message=Outgoing(MessageType.EXPORT_DECLARATION, export(f"RS-PRE-E-{i:08d}"),
                                 "RS", ["MK"], distribution, group=frozenset({"RS", "MK"})),
            )
            for i in range(n)
        )  # fmt: skip


class Flaky(DirectTransport):
    """Loses pushes before and after they arrive, drops and mangles receipts, sends twice."""

    def __init__(self, engine: Engine, seed: int) -> None:
        self.rng = random.Random(seed)
        self.engine = engine
        self.calls: Counter[str] = Counter()
        super().__init__({"mk-hub": self._receive})

    def _receive(self, tokens: Sequence[str]) -> list[str]:
        roll = self.rng.random()
        if roll < 0.2:
            self.calls["lost before"] += 1
            raise TransportError("connection refused")
        if self.rng.random() < 0.3:
            self.calls["sent twice"] += 1
            receive(engine=self.engine, identity=MK, tokens=tokens, source="dup", now=NOW)
        receipts = receive(engine=self.engine, identity=MK, tokens=tokens, source="t", now=NOW)
        if roll < 0.4:
            self.calls["answer lost"] += 1
            raise TransportError("connection cut after the request")
        kept = [r for r in receipts.receipts if self.rng.random() > 0.2]
        if self.rng.random() < 0.2 and kept:
            kept[0] = kept[0][:-4] + "AAAA"  # a receipt that does not verify proves nothing
        return kept


def test_every_message_is_applied_exactly_once_despite_the_network(engine: Engine) -> None:
    register(engine, RS, MK)
    assert queue(engine, 120) == 120
    assert queue(engine, 120) == 0  # queued once per node, however often the code runs
    flaky = Flaky(engine, seed=7)
    rounds = 0
    now = NOW
    while sender.pending(engine=engine) and rounds < 200:
        sender.send_due(engine=engine, transport=flaky, batch=25, now=now, retry_base_s=0.001)
        now += timedelta(seconds=1)
        rounds += 1
    assert sender.pending(engine=engine) == 0, f"not drained after {rounds} rounds"
    assert all(flaky.calls[k] for k in ("lost before", "sent twice", "answer lost")), flaky.calls
    with Session(engine) as session:
        by_status = select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
        statuses = {status: n for status, n in session.execute(by_status)}
        inbox = session.execute(select(func.count()).select_from(InboxMessage)).scalar_one()
        documents = session.execute(select(func.count()).select_from(ReceivedDocument)).scalar_one()
        retried = session.execute(
            select(func.count()).where(OutboxMessage.attempts > 0)
        ).scalar_one()
    assert statuses == {"delivered": 120}
    assert inbox == 120 and documents == 120
    assert retried > 0
    print(f"{rounds} rounds; faults {dict(flaky.calls)}; {retried} messages retried")


def test_a_receipt_signed_by_someone_else_leaves_the_message_pending(engine: Engine) -> None:
    register(engine, RS, MK)
    impostor = node("mk-hub", "MK")
    queue(engine, 1)

    def answer(tokens: Sequence[str]) -> list[str]:
        return receive(
            engine=engine, identity=impostor, tokens=tokens, source="t", now=NOW
        ).receipts

    done = sender.send_due(engine=engine, transport=DirectTransport({"mk-hub": answer}), now=NOW)
    assert done == {"retry": 1}
    assert sender.pending(engine=engine) == 1


def test_a_refusal_ends_a_message_unless_it_can_pass_by_itself(engine: Engine) -> None:
    register(engine, RS, MK)
    with Session(engine) as session, session.begin():
        nodes = partners(session=session)
        # RS may not send an export lodged at an Albanian office: refused for good.
        wrong = Outgoing(MessageType.EXPORT_DECLARATION, export("AL-MOR-E-1", office="AL-MOR"),
                         "RS", ["MK"], Distribution.GROUP, group=frozenset({"RS", "MK"}))  # fmt: skip
        enqueue(session=session, identity=RS, message=wrong, now=NOW, nodes=nodes)

    def answer(tokens: Sequence[str]) -> list[str]:
        return receive(engine=engine, identity=MK, tokens=tokens, source="t", now=NOW).receipts

    transport = DirectTransport({"mk-hub": answer})
    assert sender.send_due(engine=engine, transport=transport, now=NOW) == {"rejected": 1}
    with Session(engine) as session:
        row = session.execute(select(OutboxMessage)).scalar_one()
    assert row.status == "rejected" and "AL-MOR" in (row.last_error or "")
    # A key the receiver does not know (yet, or any more): kept, and tried again later.
    queue(engine, 1)
    with Session(engine) as session, session.begin():
        keys.revoke(session=session, kid=RS.kid)
    assert sender.send_due(engine=engine, transport=transport, now=NOW) == {"retry": 1}
    with Session(engine) as session:
        pending = session.execute(select(OutboxMessage).where(OutboxMessage.status == "pending"))
        row = pending.scalar_one()
    assert row.attempts == 1 and "revoked" in (row.last_error or "")


def test_messages_past_their_lifetime_expire_instead_of_going_stale(engine: Engine) -> None:
    register(engine, RS, MK)
    queue(engine, 2)
    transport = DirectTransport({})  # no route: every push fails
    assert sender.send_due(engine=engine, transport=transport, now=NOW) == {"retry": 2}
    later = NOW + timedelta(days=8)
    assert sender.send_due(engine=engine, transport=transport, now=later) == {"expired": 2}


def test_backoff_doubles_and_is_capped() -> None:
    rng = random.Random(1)
    waits = [sender.backoff(n, base_s=1.0, rng=rng) for n in range(1, 15)]
    assert all(0.5 * min(600, 2 ** (n - 1)) <= w <= min(600, 2 ** (n - 1))
               for n, w in zip(range(1, 15), waits, strict=True))  # fmt: skip
    assert max(waits) <= sender.RETRY_CAP_S


def test_two_senders_at_once_push_each_message_once(engine: Engine) -> None:
    """Leases keep two workers on one outbox from pushing the same message twice."""
    import threading

    register(engine, RS, MK)
    queue(engine, 60)
    pushed: Counter[str] = Counter()
    lock = threading.Lock()

    def answer(tokens: Sequence[str]) -> list[str]:
        with lock:
            pushed.update(tokens)
        return receive(engine=engine, identity=MK, tokens=tokens, source="t", now=NOW).receipts

    transport = DirectTransport({"mk-hub": answer})

    def work() -> None:
        for _ in range(10):
            sender.send_due(engine=engine, transport=transport, batch=7, now=NOW)

    workers = [threading.Thread(target=work) for _ in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert sender.pending(engine=engine) == 0
    assert len(pushed) == 60 and set(pushed.values()) == {1}, pushed.most_common(3)
