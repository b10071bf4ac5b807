"""API tokens: ``rh.<PARTY>.<id>.<secret>``, of which only an argon2 hash of the secret is kept.

The Party in the token lets the hub look the token up inside that Party's rows
(row-level security applies even before the caller is known); the id finds the
one row to check, so no scan over hashes is needed.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
PREFIX = "rh"
_PARTY = re.compile(r"[A-Z]{2}")
_ID = re.compile(r"[1-9][0-9]{0,17}")  # fits a 64-bit key


@dataclass(frozen=True, slots=True)
class TokenParts:
    party: str
    token_id: int
    secret: str


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def format_token(party: str, token_id: int, secret: str) -> str:
    return f"{PREFIX}.{party}.{token_id}.{secret}"


def parse_token(token: str) -> TokenParts | None:
    """The parts of a well-formed token, or None."""
    parts = token.split(".")
    if len(parts) != 4 or parts[0] != PREFIX:
        return None
    _prefix, party, token_id, secret = parts
    # ASCII only: str.isdigit() accepts '²', which int() refuses.
    if not _PARTY.fullmatch(party) or not _ID.fullmatch(token_id) or len(secret) < 20:
        return None
    return TokenParts(party, int(token_id), secret)


def hash_secret(secret: str) -> str:
    return _hasher.hash(secret)


class _VerifiedCache:
    """Remembers recently verified tokens so that argon2 runs once per token, not per request.

    Only the check of the secret is cached: expiry, revocation and a disabled user
    are read from the database on every request.
    """

    def __init__(self, size: int = 4096) -> None:
        self._seen: OrderedDict[str, int] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()  # requests verify from many threads

    def verify(self, token_id: int, secret: str, stored_hash: str) -> bool:
        key = hashlib.sha256(f"{token_id}.{secret}.{stored_hash}".encode()).hexdigest()
        with self._lock:
            if key in self._seen:
                self._seen.move_to_end(key)
                return True
        try:
            _hasher.verify(stored_hash, secret)
        except (VerificationError, InvalidHashError):
            return False
        with self._lock:
            self._seen[key] = token_id
            if len(self._seen) > self._size:
                self._seen.popitem(last=False)
        return True


verified = _VerifiedCache()
