"""The hub's Ed25519 signing key: created once, kept as a PEM file readable by its owner only."""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey


def load_or_create(path: Path) -> Ed25519PrivateKey:
    """The key in ``path``; a new one is generated and saved (mode 0600) if there is none.

    Several processes (API workers, job workers) may start at once on a shared data
    folder: the key is written whole to a private file first and then linked into
    place, which fails if another process got there first; the loser then reads the
    winner's key. So every process uses the same key, and none ever reads a half-written
    file.
    """
    if path.exists():
        return _read(path)
    key = Ed25519PrivateKey.generate()
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )  # fmt: skip
    draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(pem)
            fh.flush()
            os.fsync(fh.fileno())
        os.link(draft, path)  # atomic, and refuses to replace a key another process saved
    except FileExistsError:
        return _read(path)
    finally:
        draft.unlink(missing_ok=True)
    return key


def _read(path: Path) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} does not hold an Ed25519 private key")
    return key


def key_id(public: Ed25519PublicKey) -> str:
    """A short, stable name for a public key."""
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def sign(key: Ed25519PrivateKey, message: bytes) -> str:
    return base64.b64encode(key.sign(message)).decode()


def verify(public: Ed25519PublicKey, message: bytes, signature: str) -> bool:
    try:
        public.verify(base64.b64decode(signature), message)
    except (InvalidSignature, ValueError):
        return False
    return True


def derive_secret(key: Ed25519PrivateKey, purpose: str) -> bytes:
    """A secret for another use (e.g. pseudonyms), derived from the hub key and never stored."""
    raw = key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    return hashlib.sha256(b"riskhub:" + purpose.encode() + b":" + raw).digest()
