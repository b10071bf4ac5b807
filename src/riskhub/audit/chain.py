"""The hash chain itself: how a record's hash is computed, and what a checkpoint signs.

A record's hash is SHA-256 over the previous record's hash and the record's own
fields in a fixed, canonical form, so editing any field, or deleting, inserting
or reordering records, changes every hash after it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

import orjson

GENESIS = "0" * 64


@dataclass(frozen=True, slots=True)
class Entry:
    party: str
    seq: int
    at: datetime
    actor: str
    action: str
    object: str | None
    outcome: str
    source: str | None


def record_hash(prev_hash: str, entry: Entry) -> str:
    """The hash of ``entry`` following a record whose hash is ``prev_hash``."""
    body = orjson.dumps(
        [entry.party, entry.seq, entry.at.isoformat(timespec="microseconds"), entry.actor,
         entry.action, entry.object, entry.outcome, entry.source]
    )  # fmt: skip
    return hashlib.sha256(prev_hash.encode() + b"\n" + body).hexdigest()


def checkpoint_message(party: str, seq: int, hash_: str) -> bytes:
    """What the hub signs to vouch for a chain up to ``seq``."""
    return f"riskhub-audit-checkpoint\n{party}\n{seq}\n{hash_}".encode()
