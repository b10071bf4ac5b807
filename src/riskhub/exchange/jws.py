"""Compact JWS with Ed25519 (RFC 7515, ``alg: EdDSA`` of RFC 8037), on ``cryptography`` alone.

Only what the exchange needs: sign a payload with a key id in the protected
header, and read one back. Reading refuses anything but EdDSA before it looks
at the signature, so an ``alg: none`` token or an HMAC token made with a public
key as the secret can never pass. The payload is returned only after the
signature verifies.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ALGORITHM = "EdDSA"
MAX_TOKEN_BYTES = 4 * 1024 * 1024  # one message; larger things travel by reference


class JwsError(ValueError):
    """The token is not a well-formed, correctly signed EdDSA JWS; says why."""


@dataclass(frozen=True, slots=True)
class Token:
    """A token taken apart: its protected header, and its signed input and signature."""

    header: dict[str, Any]
    signing_input: bytes
    payload_b64: str
    signature: bytes


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    if not text.isascii() or "=" in text:
        raise JwsError("not base64url text")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except ValueError as error:
        raise JwsError("not base64url text") from error


def public_raw(key: Ed25519PublicKey) -> str:
    """A public key as the base64url text of its 32 bytes (the JWK ``x``)."""
    return b64url(key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))


def public_from_raw(text: str) -> Ed25519PublicKey:
    raw = b64url_decode(text)
    if len(raw) != 32:
        raise JwsError("an Ed25519 public key is 32 bytes")
    return Ed25519PublicKey.from_public_bytes(raw)


def sign(payload: bytes, key: Ed25519PrivateKey, *, kid: str, typ: str) -> str:
    """``payload`` as a compact JWS signed by ``key``, naming ``kid`` and ``typ``."""
    header = {"alg": ALGORITHM, "kid": kid, "typ": typ}
    head = b64url(json.dumps(header, separators=(",", ":"), sort_keys=True).encode())
    signing_input = f"{head}.{b64url(payload)}".encode("ascii")
    return f"{signing_input.decode('ascii')}.{b64url(key.sign(signing_input))}"


def parse(token: str) -> Token:
    """The parts of a compact JWS, checked for shape and algorithm but not yet for signature."""
    if len(token) > MAX_TOKEN_BYTES:
        raise JwsError(f"token longer than {MAX_TOKEN_BYTES} bytes")
    parts = token.split(".")
    if len(parts) != 3:
        raise JwsError("not a compact JWS (three dot-separated parts)")
    head, payload_b64, signature_b64 = parts
    try:
        header = json.loads(b64url_decode(head))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise JwsError("protected header is not JSON") from error
    if not isinstance(header, dict):
        raise JwsError("protected header is not a JSON object")
    if header.get("alg") != ALGORITHM:
        raise JwsError(f"unsigned or wrong algorithm {header.get('alg')!r}: only EdDSA is accepted")
    if header.get("crit"):
        raise JwsError("critical header extensions are not understood")
    if not isinstance(header.get("kid"), str):
        raise JwsError("protected header names no key (kid)")
    signature = b64url_decode(signature_b64)
    if not signature:
        raise JwsError("unsigned: the signature part is empty")
    return Token(header, f"{head}.{payload_b64}".encode("ascii"), payload_b64, signature)


def verify(token: Token, key: Ed25519PublicKey) -> bytes:
    """The payload of ``token`` if ``key`` made its signature; JwsError otherwise."""
    try:
        key.verify(token.signature, token.signing_input)
    except InvalidSignature as error:
        raise JwsError("signature does not verify: altered, or signed by another key") from error
    return b64url_decode(token.payload_b64)
