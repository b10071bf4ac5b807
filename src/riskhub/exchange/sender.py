"""The sender worker: push due messages, retry with exponential backoff, settle on receipts.

A message counts as delivered only when the partner's receipt for it verifies
against the partner's registered key and names this very message (by the hash
of its token). Anything else (timeouts, refused connections, cut answers,
missing or unverifiable receipts) leaves it pending for a later attempt, with
a growing, jittered delay. Messages are leased while in flight, so a worker
killed mid-send leaves nothing half-done: after the lease runs out the next
run sends them again, and the receiver recognises what it already applied.
"""

from __future__ import annotations

import random
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import Engine, bindparam, func, select, update
from sqlalchemy.orm import Session

from riskhub.db.base import utcnow
from riskhub.exchange.envelope import PartnerKey, Rejected, read_receipt
from riskhub.exchange.keys import keyring, partners
from riskhub.exchange.models import OutboxMessage, PartnerNode
from riskhub.exchange.transports import PUSH_BUDGET_BYTES, Transport, TransportError

RETRY_BASE_S = 1.0
RETRY_CAP_S = 600.0
# Refusals that can pass by themselves: the partner has not registered our new key
# yet, its registry names another node, or one of the two clocks is off.
RETRYABLE = frozenset({"unknown_key", "revoked_key", "wrong_receiver", "clock"})
LEASE_S = 60.0  # longer than a push can take; a killed worker's messages wait this long


def backoff(
    attempts: int, *, base_s: float = RETRY_BASE_S, rng: random.Random | None = None
) -> float:
    """Seconds to wait after ``attempts`` failed tries: doubling, capped, with jitter."""
    ceiling = min(RETRY_CAP_S, base_s * 2 ** max(attempts - 1, 0))
    return float(ceiling * (0.5 + 0.5 * (rng or random).random()))


def send_due(
    *,
    engine: Engine,
    transport: Transport,
    batch: int = 200,
    now: datetime | None = None,
    retry_base_s: float = RETRY_BASE_S,
    lease_s: float = LEASE_S,
) -> Counter[str]:
    """One round: one push of up to ``batch`` due messages to each partner; counts by result."""
    now = now or utcnow()
    result: Counter[str] = Counter()
    with Session(engine) as session:
        nodes = {n.node: n for n in partners(session=session) if n.url}
        ring = keyring(session=session)
    claimed = _claim(engine, list(nodes), batch, now, now + timedelta(seconds=lease_s), result)
    for node_name, part in claimed.items():
        node = nodes[node_name]
        try:
            receipts = transport.push(node, [token for _, token, _ in part])
        except TransportError as error:
            _retry(engine, [i for i, _, _ in part], str(error), now, retry_base_s)
            result["retry"] += len(part)
            continue
        result.update(_settle(engine, node, ring, part, receipts, now, retry_base_s))
    return result


def _claim(
    engine: Engine,
    nodes: list[str],
    batch: int,
    now: datetime,
    lease: datetime,
    result: Counter[str],
) -> dict[str, list[tuple[int, str, str]]]:
    """Lease the due messages of each node; expire those past their lifetime."""
    o = OutboxMessage
    claimed: dict[str, list[tuple[int, str, str]]] = defaultdict(list)
    with Session(engine.execution_options(sqlite_immediate=True)) as session, session.begin():
        expired = session.execute(
            update(o).where(o.status == "pending", o.expires_at <= now).values(status="expired")
        )
        if expired.rowcount:  # type: ignore[attr-defined]
            result["expired"] += int(expired.rowcount)  # type: ignore[attr-defined]
        for node in nodes:
            due = (
                select(o.id, func.length(o.token))
                .where(
                    o.receiver_node == node,
                    o.status == "pending",
                    o.next_attempt_at <= now,
                    (o.leased_until.is_(None)) | (o.leased_until < now),
                )
                .order_by(o.id)
                .limit(batch)
                .with_for_update(skip_locked=True)
            )
            # As many as fit in one push the partner will take (at least one).
            ids: list[int] = []
            size = 0
            for outbox_id, length in session.execute(due):
                size += int(length)
                if ids and size > PUSH_BUDGET_BYTES:
                    break
                ids.append(int(outbox_id))
            if ids:
                session.execute(update(o).where(o.id.in_(ids)).values(leased_until=lease))
                rows = session.execute(
                    select(o.id, o.token, o.token_sha256).where(o.id.in_(ids)).order_by(o.id)
                )
                claimed[node] = [(int(i), str(t), str(h)) for i, t, h in rows]
    return claimed


def _settle(
    engine: Engine,
    node: PartnerNode,
    ring: dict[str, PartnerKey],
    part: list[tuple[int, str, str]],
    receipts: list[str],
    now: datetime,
    retry_base_s: float,
) -> Counter[str]:
    """Mark each message by its verified receipt; those without one are retried."""
    by_hash: dict[str, tuple[str, dict[str, object]]] = {}
    for token in receipts:
        try:
            _, body = read_receipt(token, keyring=ring, node=node.node)
        except Rejected:
            continue  # an unverifiable receipt proves nothing: the message stays pending
        by_hash[str(body.get("token_sha256"))] = (token, body)
    counts: Counter[str] = Counter()
    missing: list[tuple[int, str]] = []
    settled = []
    for outbox_id, _, digest in part:
        found = by_hash.get(digest)
        if found is None:
            missing.append((outbox_id, "no verifiable receipt"))
            continue
        token, body = found
        rejected = body.get("status") == "rejected"
        if rejected and body.get("code") in RETRYABLE:
            # Refused for now (a key not yet registered, a clock out): try again later.
            missing.append((outbox_id, f"refused: {body.get('reason')}"))
            continue
        settled.append(
            {
                "outbox_id": outbox_id,
                "status": "rejected" if rejected else "delivered",
                "receipt": token,
                "last_error": str(body.get("reason"))[:300] if rejected else None,
            }
        )
        counts["rejected" if rejected else "delivered"] += 1
    if settled:
        o = OutboxMessage
        # One statement for the whole push, executed with many parameter sets.
        statement = (
            update(o)
            .where(o.id == bindparam("outbox_id"), o.status == "pending")
            .values(
                status=bindparam("status"),
                receipt=bindparam("receipt"),
                last_error=bindparam("last_error"),
                delivered_at=now,
                leased_until=None,
            )
        )
        with engine.begin() as conn:
            conn.execute(statement, settled)
    for why in {w for _, w in missing}:
        _retry(engine, [i for i, w in missing if w == why], why, now, retry_base_s)
    if missing:
        counts["retry"] += len(missing)
    return counts


def _retry(engine: Engine, ids: list[int], why: str, now: datetime, base_s: float) -> None:
    o = OutboxMessage
    with Session(engine) as session, session.begin():
        for outbox_id, attempts in session.execute(select(o.id, o.attempts).where(o.id.in_(ids))):
            wait = backoff(attempts + 1, base_s=base_s)
            session.execute(
                update(o)
                .where(o.id == outbox_id)
                .values(
                    attempts=attempts + 1,
                    next_attempt_at=now + timedelta(seconds=wait),
                    leased_until=None,
                    last_error=why[:300],
                )
            )


def pending(*, engine: Engine) -> int:
    """Messages still waiting for a push partner's receipt."""
    o, n = OutboxMessage, PartnerNode
    with Session(engine) as session:
        pushed = select(n.node).where(n.url.is_not(None))
        count = session.execute(
            select(func.count()).where(o.status == "pending", o.receiver_node.in_(pushed))
        ).scalar()
    return int(count or 0)


def run(
    *,
    engine: Engine,
    transport: Transport,
    until_idle: bool = False,
    poll_s: float = 2.0,
    batch: int = 200,
    retry_base_s: float = RETRY_BASE_S,
    lease_s: float = LEASE_S,
    on_round: Callable[[Counter[str]], None] | None = None,
    should_stop: Callable[[], bool] = lambda: False,
) -> Counter[str]:
    """Send rounds until stopped (or, with ``until_idle``, until nothing is pending)."""
    total: Counter[str] = Counter()
    while not should_stop():
        done = send_due(
            engine=engine,
            transport=transport,
            batch=batch,
            retry_base_s=retry_base_s,
            lease_s=lease_s,
        )
        total.update(done)
        if on_round:
            on_round(done)
        if until_idle and not pending(engine=engine):
            break
        if not done["delivered"] and not done["rejected"]:
            time.sleep(poll_s)
    return total
