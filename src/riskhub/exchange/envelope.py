"""The signed envelope every message travels in, and the checks a receiver makes before use.

An envelope names its sender (Party and node), the one node that must process
it and the Parties it is for, its type and schema version, when it was made and
until when it may be used, how it may be shared (distribution, TLP), where it
came from if it was forwarded (origin and path), and the payload. It is signed
as a compact JWS with the sender node's Ed25519 key. ``open_envelope`` refuses,
with a reason in plain words, anything unsigned, altered, signed by a key the
receiver does not know (or has revoked), sent by a node for a Party it does not
serve, addressed to another node, expired, from the future, own-only, or whose
payload does not fit its type's schema. Replays are caught later, against the
inbox, because only the database knows what was already received.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from riskhub.access.distribution import Distribution, Tlp
from riskhub.db.base import naive_utc
from riskhub.exchange import jws
from riskhub.exchange.checks import sender_may_say
from riskhub.exchange.messages import PAYLOADS, MessageType, Moment, json_schemas

TYP = "riskhub-seed+jws"
SCHEMA_VERSION = 1
LIFETIME = timedelta(days=7)  # a partner unreachable longer than this gets nothing stale
CLOCK_SKEW = timedelta(minutes=5)
Node = str


class Origin(BaseModel):
    """Who first sent a forwarded message, and under which id: one piece of information."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    party: str = Field(pattern=r"^[A-Z]{2}$")
    node: str = Field(min_length=1, max_length=40)
    message_id: str = Field(min_length=1, max_length=36)


class Envelope(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=36, max_length=36)
    sender_party: str = Field(pattern=r"^[A-Z]{2}$")
    sender_node: str = Field(min_length=1, max_length=40)
    receiver_node: str = Field(min_length=1, max_length=40)
    receivers: list[str] = Field(min_length=1, max_length=40)  # the Parties it is for
    type: MessageType
    schema_version: int = SCHEMA_VERSION
    created_at: Moment
    expires_at: Moment
    distribution: Distribution
    tlp: Tlp = Tlp.AMBER
    group: list[str] = Field(default_factory=list, max_length=40)
    origin: Origin
    path: list[str] = Field(default_factory=list, max_length=10)  # nodes it passed through
    payload: dict[str, Any]
    # Passed on by another hub: the original as its first sender signed it.
    relayed: str | None = Field(default=None, max_length=jws.MAX_TOKEN_BYTES)


@dataclass(frozen=True, slots=True)
class PartnerKey:
    """A partner node's public key as the receiver's key registry holds it."""

    node: Node
    kid: str
    parties: frozenset[str]
    public: Ed25519PublicKey
    revoked: bool = False


class Rejected(Exception):
    """A message that must not be used; ``code`` is short, ``reason`` is for people."""

    def __init__(self, code: str, reason: str, message_id: str | None = None) -> None:
        super().__init__(reason)
        self.code, self.reason, self.message_id = code, reason, message_id


@dataclass(frozen=True, slots=True)
class Opened:
    envelope: Envelope
    payload: BaseModel
    key: PartnerKey
    token_sha256: str
    token: str
    sent_at: datetime  # when the original was made: what orders versions of one object


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def new_id() -> str:
    return str(uuid.uuid4())


def seal(envelope: Envelope, key: Ed25519PrivateKey, *, kid: str) -> str:
    """The envelope signed by the sender node's key: a compact JWS."""
    body = envelope.model_dump_json().encode()
    return jws.sign(body, key, kid=kid, typ=TYP)


def relayable(distribution: Distribution, tlp: Tlp) -> bool:
    """Whether a hub may pass a message on: community-wide (MISP's "connected communities")
    and not TLP:RED. A group's message is for its members only and is never relayed."""
    return distribution in (Distribution.CEFTA, Distribution.CEFTA_EU) and tlp is not Tlp.RED


def open_envelope(
    token: str, *, keyring: Mapping[str, PartnerKey], me: Node, now: datetime
) -> Opened:
    """The envelope in ``token`` and its typed payload, if every check passes; else Rejected.

    A message passed on by another hub carries the original, signed by the node it
    came from; it is checked as strictly as the outer one, and its payload is the
    one used: a relaying hub can neither alter nor invent what it passes on.
    """
    envelope, key = _verified(token, keyring)
    mid = envelope.id
    if envelope.receiver_node != me:
        raise Rejected(
            "wrong_receiver",
            f"addressed to node {envelope.receiver_node!r}, not to this node ({me})",
            mid,
        )
    _check_usable(envelope, now)
    if envelope.relayed is None:
        if (envelope.origin.node, envelope.origin.party) != (key.node, envelope.sender_party):
            raise Rejected(
                "wrong_sender",
                f"claims to come from {envelope.origin.node} "
                f"({envelope.origin.party}) without that node's signed original",
                mid,
            )
        source = envelope
    else:
        source = _original(envelope, keyring, now)
    try:
        payload = PAYLOADS[source.type].model_validate(source.payload)
    except ValidationError as error:
        raise Rejected("bad_payload", f"{source.type.value}: {_first(error)}", mid) from error
    problem = sender_may_say(payload, source.sender_party, envelope.receivers)
    if problem:
        raise Rejected("wrong_sender", problem, mid)
    return Opened(envelope, payload, key, token_hash(token), token, naive_utc(source.created_at))


def _verified(token: str, keyring: Mapping[str, PartnerKey]) -> tuple[Envelope, PartnerKey]:
    """The envelope, if a registered, unrevoked key of a node speaking for its sender signed it."""
    try:
        parsed = jws.parse(token)
    except jws.JwsError as error:
        raise Rejected("malformed", f"not a signed message: {error}") from error
    if parsed.header.get("typ") != TYP:
        raise Rejected("malformed", f"not a riskhub exchange message (typ must be {TYP})")
    kid = parsed.header["kid"]
    key = keyring.get(kid)
    if key is None:
        raise Rejected("unknown_key", f"signed with key {kid[:40]!r}, which is not registered")
    if key.revoked:
        raise Rejected("revoked_key", f"signed with key {kid[:40]!r}, which has been revoked")
    try:
        body = jws.verify(parsed, key.public)
    except jws.JwsError as error:
        raise Rejected("bad_signature", f"{error} (key {kid[:40]!r} of {key.node})") from error
    if b"\\u0000" in body:
        # PostgreSQL cannot store a NUL character in text: refuse it here with a reason.
        raise Rejected("bad_payload", "contains NUL characters")
    try:
        envelope = Envelope.model_validate_json(body)
    except ValidationError as error:
        raise Rejected("bad_envelope", f"envelope does not fit: {_first(error)}") from error
    if envelope.sender_node != key.node:
        raise Rejected(
            "wrong_sender",
            f"sent as node {envelope.sender_node!r} with {key.node!r}'s key",
            envelope.id,
        )
    if envelope.sender_party not in key.parties:
        raise Rejected(
            "wrong_sender",
            f"node {key.node!r} does not speak for Party {envelope.sender_party}",
            envelope.id,
        )
    return envelope, key


def _check_usable(envelope: Envelope, now: datetime) -> None:
    mid = envelope.id
    if envelope.schema_version != SCHEMA_VERSION:
        raise Rejected(
            "bad_envelope",
            f"schema version {envelope.schema_version} is not "
            f"understood (this node reads {SCHEMA_VERSION})",
            mid,
        )
    created, expires = naive_utc(envelope.created_at), naive_utc(envelope.expires_at)
    if expires <= now:
        raise Rejected("expired", f"expired at {expires:%Y-%m-%d %H:%M} UTC", mid)
    if created > now + CLOCK_SKEW:
        raise Rejected(
            "clock",
            f"made in the future ({created:%Y-%m-%d %H:%M} UTC): one of the two clocks is wrong",
            mid,
        )
    if envelope.distribution is Distribution.OWN:
        raise Rejected("distribution", "marked own-only: it should never have left its hub", mid)
    if envelope.type is MessageType.RECEIPT:
        raise Rejected("bad_envelope", "a receipt is an answer, not a message to apply", mid)


def _original(envelope: Envelope, keyring: Mapping[str, PartnerKey], now: datetime) -> Envelope:
    """The signed original a relayed message carries, checked against what the relay says."""
    mid = envelope.id
    assert envelope.relayed is not None
    try:
        original, _ = _verified(envelope.relayed, keyring)
    except Rejected as error:
        # Final: a relay cannot make this hub trust an origin it does not know.
        raise Rejected("bad_original", f"the original it passes on: {error.reason}",
                       mid) from error  # fmt: skip
    if (
        original.relayed is not None
        or original.origin != envelope.origin
        or (original.sender_node, original.sender_party)
        != (envelope.origin.node, envelope.origin.party)
    ):
        raise Rejected("wrong_sender", "the signed original is not from the origin it names", mid)
    same = ("type", "distribution", "tlp")
    if any(getattr(original, f) != getattr(envelope, f) for f in same) or sorted(
        original.group
    ) != sorted(envelope.group):
        raise Rejected("bad_envelope", "the relay changed the type or the sharing", mid)
    if not set(envelope.receivers) <= set(original.receivers):
        raise Rejected("distribution", "the relay added receivers the original did not name", mid)
    if not relayable(original.distribution, original.tlp):
        raise Rejected("distribution", "passed on, but its sharing does not allow that", mid)
    _check_usable(original, now)
    return original


def read_receipt(
    token: str, *, keyring: Mapping[str, PartnerKey], node: Node
) -> tuple[str, dict[str, Any]]:
    """A receipt's signer kid and its fields, if ``node`` signed it; Rejected otherwise."""
    try:
        parsed = jws.parse(token)
        key = keyring.get(parsed.header["kid"])
        if key is None or key.node != node or key.revoked:
            raise Rejected("unknown_key", f"receipt not signed by a registered key of {node}")
        body = json.loads(jws.verify(parsed, key.public))
    except (jws.JwsError, json.JSONDecodeError) as error:
        raise Rejected("bad_signature", f"receipt does not verify: {error}") from error
    if not isinstance(body, dict):
        raise Rejected("malformed", "receipt is not a JSON object")
    return key.kid, body


def _first(error: ValidationError) -> str:
    problem = error.errors()[0]
    where = ".".join(str(p) for p in problem["loc"]) or "(whole)"
    more = f" (and {error.error_count() - 1} more)" if error.error_count() > 1 else ""
    return f"{where}: {problem['msg']}{more}"


def published_schemas() -> dict[str, Any]:
    """The envelope's JSON Schema and each message type's, for partners' developers."""
    return {"envelope": Envelope.model_json_schema(), **json_schemas()}
