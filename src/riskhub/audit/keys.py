"""The hub's Ed25519 signing key: created once, kept as a PEM file readable by its owner only."""

from __future__ import annotations

import base64
import errno
import hashlib
import os
import secrets
import time
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

STALE_DRAFT_S = 60.0  # a draft this old was left by a process that died while saving


class KeyFileError(ValueError):
    """The key file is there but holds no usable key: its path and what to do, in plain words."""


def load_or_create(path: Path) -> Ed25519PrivateKey:
    """The key in ``path``; a new one is generated and saved (mode 0600) if there is none.

    Several processes (API workers, job workers) may start at once on a shared data
    folder: the key is written whole to a private file first and then linked into
    place, which fails if another process got there first; the loser then reads the
    winner's key. So every process uses the same key, and none ever reads a half-written
    file. Where the file system cannot link (some network and FUSE mounts), the key is
    created in place with ``O_EXCL`` instead. Drafts left by a process that died while
    saving are removed once they are a minute old.
    """
    if path.exists():
        return _read(path)
    key = Ed25519PrivateKey.generate()
    path.parent.mkdir(parents=True, exist_ok=True)
    _sweep_drafts(path)
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
        try:
            os.link(draft, path)  # atomic, and refuses to replace a key another process saved
        except OSError as error:
            if error.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.ENOSYS):
                raise
            _create_in_place(path, pem)
    except FileExistsError:
        return _read(path)
    finally:
        draft.unlink(missing_ok=True)
    return key


def _create_in_place(path: Path, pem: bytes) -> None:
    # No hard links here: O_EXCL still lets one process only create the file. Another may
    # open it before the few hundred bytes are in (one write): _read waits a moment for them,
    # then says the file is empty rather than using a wrong key.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
        fh.flush()
        os.fsync(fh.fileno())


def _sweep_drafts(path: Path) -> None:
    """Remove drafts of ``path`` that a process dying while saving left behind."""
    old = time.time() - STALE_DRAFT_S
    for draft in path.parent.glob(f".{path.name}.*"):
        try:
            if draft.stat().st_mtime < old:
                draft.unlink()
        except FileNotFoundError:  # another process swept it first
            continue


def _read(path: Path) -> Ed25519PrivateKey:
    remedy = (
        "restore it from your backup; if the hub never signed anything with it, delete it "
        "and a new key is made at the next start"
    )
    data = path.read_bytes()
    for _ in range(20):  # created in place (no links) by a process still writing it
        if data.strip():
            break
        time.sleep(0.05)
        data = path.read_bytes()
    if not data.strip():
        raise KeyFileError(f"the hub key file {path} is empty: {remedy}")
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as error:
        raise KeyFileError(
            f"the hub key file {path} is not a readable key ({error}): {remedy}"
        ) from error
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyFileError(f"{path} does not hold an Ed25519 private key: {remedy}")
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
