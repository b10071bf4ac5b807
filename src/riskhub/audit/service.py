"""Audit services: append a record to a Party's chain, sign checkpoints, verify everything."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from sqlalchemy import Connection, Engine, func, insert, select, text, update
from sqlalchemy.orm import Session

from riskhub.audit import keys
from riskhub.audit.chain import GENESIS, Entry, checkpoint_message, record_hash
from riskhub.audit.models import AuditCheckpoint, AuditHead, AuditRecord
from riskhub.db import tenancy
from riskhub.db.base import utcnow
from riskhub.settings import get_settings

HUB_CHAIN = "XH"  # records of callers who are nobody yet (bad tokens) and of operators


def hub_key() -> Ed25519PrivateKey:
    """The hub's signing key, from the configured file."""
    return keys.load_or_create(get_settings().effective_hub_key_file)


def append(
    *, engine: Engine, party: str | None, actor: str, action: str, outcome: str,
    object: str | None = None, source: str | None = None, now: datetime | None = None,
) -> int:  # fmt: skip
    """Add one record to the end of ``party``'s chain (the hub's when None); returns its seq."""
    chain = party or HUB_CHAIN
    at = now or utcnow()
    # Whatever a caller sent (a long or odd path, say) must not stop its record being written.
    actor, action = _fit(actor, 120), _fit(action, 80)
    object = _fit(object, 200) if object is not None else None
    source = _fit(source, 80) if source is not None else None
    outcome = _fit(outcome, 40)
    every = get_settings().audit_checkpoint_every
    with tenancy.acting_for(chain), engine.begin() as conn:
        # Moving the head first locks it: appends to one chain happen one at a time.
        moved = conn.execute(
            update(AuditHead).where(AuditHead.party == chain).values(seq=AuditHead.seq + 1)
        ).rowcount
        if not moved:
            conn.execute(
                text(
                    "INSERT INTO audit_heads (party, seq, hash) VALUES (:p, 0, :g) "
                    "ON CONFLICT (party) DO NOTHING"
                ),
                {"p": chain, "g": GENESIS},
            )
            conn.execute(
                update(AuditHead).where(AuditHead.party == chain).values(seq=AuditHead.seq + 1)
            )
        seq, prev = conn.execute(
            select(AuditHead.seq, AuditHead.hash).where(AuditHead.party == chain)
        ).one()
        entry = Entry(chain, seq, at, actor, action, object, outcome, source)
        digest = record_hash(prev, entry)
        conn.execute(
            insert(AuditRecord).values(
                party=chain, seq=seq, at=at, actor=actor, action=action, object=object,
                outcome=outcome, source=source, prev_hash=prev, hash=digest,
            )
        )  # fmt: skip
        conn.execute(update(AuditHead).where(AuditHead.party == chain).values(hash=digest))
        if seq % every == 0:
            _sign_checkpoint(conn, hub_key(), party=chain, seq=seq, digest=digest, at=at)
    return int(seq)


def _fit(text: str, size: int) -> str:
    return text.replace("\x00", "\ufffd")[:size]


def checkpoint_all(*, engine: Engine, now: datetime | None = None) -> int:
    """Sign a checkpoint at the current end of every chain not yet covered; returns how many."""
    key = hub_key()
    at = now or utcnow()
    signed = 0
    with engine.begin() as conn:
        heads = conn.execute(select(AuditHead.party, AuditHead.seq, AuditHead.hash)).all()
        for party, seq, digest in heads:
            exists = conn.execute(
                select(AuditCheckpoint.id).where(
                    AuditCheckpoint.party == party, AuditCheckpoint.seq == seq
                )
            ).first()
            if seq == 0 or exists:
                continue
            _sign_checkpoint(conn, key, party=party, seq=seq, digest=digest, at=at)
            signed += 1
    return signed


def _sign_checkpoint(
    conn: Connection, key: Ed25519PrivateKey, *, party: str, seq: int, digest: str, at: datetime
) -> None:
    conn.execute(
        insert(AuditCheckpoint).values(
            party=party, seq=seq, hash=digest, at=at,
            signature=keys.sign(key, checkpoint_message(party, seq, digest)),
            key_id=keys.key_id(key.public_key()),
        )
    )  # fmt: skip


@dataclass(slots=True)
class Verification:
    """The outcome of checking every chain: counts, and the first problem of each chain."""

    records: int = 0
    chains: int = 0
    checkpoints: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True, slots=True)
class Anchor:
    """A chain position kept outside the database (what ``riskhub audit checkpoint`` prints)."""

    party: str
    seq: int
    hash: str


def latest_checkpoints(*, engine: Engine) -> list[Anchor]:
    """The newest signed checkpoint of every chain, to be kept somewhere else."""
    with Session(engine) as session:
        rows = session.scalars(
            select(AuditCheckpoint).order_by(AuditCheckpoint.party, AuditCheckpoint.seq)
        ).all()
    newest = {cp.party: Anchor(cp.party, cp.seq, cp.hash) for cp in rows}
    return [newest[p] for p in sorted(newest)]


def verify(*, engine: Engine, anchors: Sequence[Anchor] = ()) -> Verification:
    """Check every chain (operators' engine: it must see all Parties' records).

    ``anchors`` kept outside the database catch what nothing inside it can: a
    chain cut back to before its last checkpoint, or deleted whole.
    """
    public = hub_key().public_key()
    result = Verification()
    with Session(engine) as session:
        parties = sorted(
            {p for (p,) in session.execute(select(AuditRecord.party).distinct())}
            | {p for (p,) in session.execute(select(AuditHead.party))}
            | {p for (p,) in session.execute(select(AuditCheckpoint.party).distinct())}
        )
        for party in parties:
            result.chains += 1
            problem = _verify_chain(session, party, public, result)
            if problem:
                result.problems.append(problem)
        for anchor in anchors:
            held = session.scalar(
                select(AuditRecord.hash).where(
                    AuditRecord.party == anchor.party, AuditRecord.seq == anchor.seq
                )
            )
            if held != anchor.hash:
                result.problems.append(
                    f"chain {anchor.party}, record #{anchor.seq}: "
                    + ("missing" if held is None else "differs from")
                    + " the checkpoint kept outside the database; the chain was cut or rewritten"
                )
    return result


def _verify_chain(
    session: Session, party: str, public: Ed25519PublicKey, result: Verification
) -> str | None:
    records = session.scalars(
        select(AuditRecord).where(AuditRecord.party == party).order_by(AuditRecord.seq)
    ).all()
    hashes: dict[int, str] = {}
    prev, expected_seq = GENESIS, 1
    first_problem: str | None = None
    for rec in records:
        result.records += 1
        if first_problem:
            continue
        where = f"chain {party}, record #{rec.seq} (id {rec.id})"
        entry = Entry(rec.party, rec.seq, rec.at, rec.actor, rec.action, rec.object,
                      rec.outcome, rec.source)  # fmt: skip
        if rec.seq != expected_seq:
            first_problem = (
                f"{where}: expected record #{expected_seq} here; records were deleted or reordered"
            )
        elif rec.prev_hash != prev:
            first_problem = (
                f"{where}: does not follow record #{rec.seq - 1}; "
                "records were deleted, inserted or reordered"
            )
        elif record_hash(rec.prev_hash, entry) != rec.hash:
            first_problem = f"{where}: its content was altered after it was written"
        prev, expected_seq = rec.hash, rec.seq + 1
        hashes[rec.seq] = rec.hash
    last = max(hashes, default=0)
    for cp in session.scalars(
        select(AuditCheckpoint).where(AuditCheckpoint.party == party).order_by(AuditCheckpoint.seq)
    ):
        result.checkpoints += 1
        if first_problem:
            continue
        message = checkpoint_message(cp.party, cp.seq, cp.hash)
        if not keys.verify(public, message, cp.signature):
            first_problem = f"chain {party}, checkpoint at #{cp.seq}: not signed by this hub's key"
        elif cp.seq > last:
            first_problem = (
                f"chain {party}: a signed checkpoint covers record #{cp.seq} but the chain "
                f"ends at #{last}; records were truncated"
            )
        elif hashes.get(cp.seq) != cp.hash:
            first_problem = (
                f"chain {party}, record #{cp.seq}: differs from the signed checkpoint; "
                "the chain was rewritten"
            )
    every = get_settings().audit_checkpoint_every
    signed = set(session.scalars(select(AuditCheckpoint.seq).where(AuditCheckpoint.party == party)))
    missing = next((k for k in range(every, last + 1, every) if k not in signed), None)
    if not first_problem and missing is not None:
        first_problem = f"chain {party}: the signed checkpoint at #{missing} was removed"
    head = session.get(AuditHead, party)
    if not first_problem and head is not None and head.seq > last:
        first_problem = (
            f"chain {party}: its head is at #{head.seq} but the last record is #{last}; "
            "records were truncated"
        )
    return first_problem


def list_records(*, session: Session, party: str, limit: int = 100) -> list[AuditRecord]:
    """The newest records of ``party``'s chain."""
    return list(
        session.scalars(
            select(AuditRecord)
            .where(AuditRecord.party == party)
            .order_by(AuditRecord.seq.desc())
            .limit(limit)
        )
    )


def records_page(
    *, session: Session, party: str, action: str | None = None, since: datetime | None = None,
    until: datetime | None = None, limit: int = 50, offset: int = 0,
) -> tuple[list[AuditRecord], int]:  # fmt: skip
    """A page of ``party``'s chain, newest first, filtered; and how many records match."""
    r = AuditRecord
    where = [r.party == party]
    if action:
        where.append(r.action.startswith(action, autoescape=True))
    if since is not None:
        where.append(r.at >= since)
    if until is not None:
        where.append(r.at < until)
    rows = session.scalars(
        select(r).where(*where).order_by(r.seq.desc()).limit(limit).offset(offset)
    )
    total = session.scalar(select(func.count()).select_from(r).where(*where))
    return list(rows), int(total or 0)


def verify_party(*, session: Session, party: str) -> Verification:
    """Check ``party``'s chain alone (all its auditors may read): links, hashes and checkpoints."""
    result = Verification(chains=1)
    problem = _verify_chain(session, party, hub_key().public_key(), result)
    if problem:
        result.problems.append(problem)
    return result
