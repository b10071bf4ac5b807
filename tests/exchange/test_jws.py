"""The JWS layer against RFC 8037's published Ed25519 example, and its refusals."""

from __future__ import annotations

import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from riskhub.exchange import jws

# RFC 8037, appendix A.1 (the key) and A.4 (the signature of "Example of Ed25519 signing").
RFC_D = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"
RFC_X = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
RFC_INPUT = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc"
RFC_SIGNATURE = (
    "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg"
)


def test_rfc8037_example_signature_is_reproduced() -> None:
    key = Ed25519PrivateKey.from_private_bytes(jws.b64url_decode(RFC_D))
    assert jws.public_raw(key.public_key()) == RFC_X
    assert jws.b64url(key.sign(RFC_INPUT.encode())) == RFC_SIGNATURE
    token = jws.Token({"alg": "EdDSA"}, RFC_INPUT.encode(), RFC_INPUT.split(".")[1],
                      jws.b64url_decode(RFC_SIGNATURE))  # fmt: skip
    assert jws.verify(token, jws.public_from_raw(RFC_X)) == b"Example of Ed25519 signing"


def test_round_trip_and_refusals() -> None:
    key, other = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    token = jws.sign(b'{"a":1}', key, kid="n:1", typ="t")
    assert jws.verify(jws.parse(token), key.public_key()) == b'{"a":1}'
    with pytest.raises(jws.JwsError, match="does not verify"):
        jws.verify(jws.parse(token), other.public_key())
    head, payload, signature = token.split(".")
    altered = ".".join([head, jws.b64url(b'{"a":2}'), signature])
    with pytest.raises(jws.JwsError, match="does not verify"):
        jws.verify(jws.parse(altered), key.public_key())
    none_head = jws.b64url(json.dumps({"alg": "none", "kid": "n:1"}).encode())
    no_kid = jws.b64url(json.dumps({"alg": "EdDSA"}).encode())
    for bad, why in [
        (f"{none_head}.{payload}.", "only EdDSA"),
        (f"{head}.{payload}.", "signature part is empty"),
        (f"{head}.{payload}", "three dot-separated parts"),
        (f"{jws.b64url(b'[1]')}.{payload}.{signature}", "not a JSON object"),
        (f"{no_kid}.{payload}.{signature}", "names no key"),
        (f"{head}.{payload}.{signature}==", "not base64url"),
    ]:
        with pytest.raises(jws.JwsError, match=why):
            jws.parse(bad)
