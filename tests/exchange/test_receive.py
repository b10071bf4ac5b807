"""A receiving hub: what it applies once, and every kind of message it must refuse (and audit)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from riskhub.access.distribution import Distribution, Tlp
from riskhub.audit.models import AuditRecord
from riskhub.exchange import jws, keys
from riskhub.exchange.envelope import Origin, read_receipt, seal
from riskhub.exchange.inbox import receive
from riskhub.exchange.messages import MessageType
from riskhub.exchange.models import InboxMessage, OutboxMessage, ReceivedDocument
from tests.exchange.nodes import NOW, envelope, export, node, register, token

RS = node("rs-hub", "RS")
MK = node("mk-hub", "MK")
STRANGER = node("rs-hub", "RS")  # same name, another (unregistered) key


def count(engine: Engine, table: type) -> int:
    with Session(engine) as session:
        return int(session.execute(select(func.count()).select_from(table)).scalar_one())


def refusals(engine: Engine) -> list[str]:
    with Session(engine) as session:
        return list(
            session.execute(
                select(AuditRecord.outcome).where(AuditRecord.action == "exchange.reject")
            ).scalars()
        )


@pytest.fixture
def hub(engine: Engine) -> Engine:
    register(engine, RS)
    return engine


def test_a_message_is_applied_once_and_answered_with_a_verifiable_receipt(hub: Engine) -> None:
    message = token(RS, "mk-hub", export())
    first = receive(engine=hub, identity=MK, tokens=[message], source="test", now=NOW)
    again = receive(engine=hub, identity=MK, tokens=[message, message], source="test", now=NOW)
    assert first.counts == {"applied": 1} and again.counts == {"duplicate": 2}
    ring = {MK.kid: MK.as_partner()}
    _, body = read_receipt(first.receipts[0], keyring=ring, node="mk-hub")
    assert body["status"] == "applied" and body["token_sha256"]
    assert again.receipts[0] == first.receipts[0]  # the same receipt, given again
    assert count(hub, ReceivedDocument) == 1 and count(hub, InboxMessage) == 1
    with Session(hub) as session:
        doc = session.execute(select(ReceivedDocument)).scalar_one()
    assert (doc.party, doc.type, doc.sender_party, doc.key) == (
        "MK", "export_declaration", "RS", "RS-PRE-E-00000001",
    )  # fmt: skip
    assert json.loads(doc.payload)["items"][0]["customs_value_eur"] == 25000


def _tampered(message: str) -> str:
    head, payload, signature = message.split(".")
    body = json.loads(jws.b64url_decode(payload))
    body["payload"]["items"][0]["customs_value_eur"] = 1.0  # undervalue it on the way
    return ".".join([head, jws.b64url(json.dumps(body).encode()), signature])


def _unsigned(message: str) -> str:
    _, payload, _ = message.split(".")
    none = jws.b64url(
        json.dumps({"alg": "none", "kid": RS.kid, "typ": "riskhub-seed+jws"}).encode()
    )
    return f"{none}.{payload}."


BAD: dict[str, tuple[Callable[[], str], str]] = {
    "tampered": (lambda: _tampered(token(RS, "mk-hub", export())), "bad_signature"),
    "unsigned": (lambda: _unsigned(token(RS, "mk-hub", export())), "malformed"),
    "signature stripped": (lambda: token(RS, "mk-hub", export()).rsplit(".", 1)[0] + ".", "malformed"),
    "garbage": (lambda: "not a token at all", "malformed"),
    "unknown key": (lambda: token(node("xx-hub", "AL"), "mk-hub", export(), party="AL"), "unknown_key"),
    "same node name, other key": (lambda: seal(envelope(STRANGER, "mk-hub", export()), STRANGER.key, kid=RS.kid), "bad_signature"),
    "wrong receiver node": (lambda: token(RS, "al-hub", export()), "wrong_receiver"),
    "Party not served here": (lambda: token(RS, "mk-hub", export(destination_country="AL"), receivers=["AL"]), "wrong_receiver"),
    "speaks for another Party": (lambda: token(RS, "mk-hub", export(), party="ME"), "wrong_sender"),
    "expired": (lambda: token(RS, "mk-hub", export(), created_at=NOW - timedelta(days=8)), "expired"),
    "from the future": (lambda: token(RS, "mk-hub", export(), created_at=NOW + timedelta(hours=1)), "clock"),
    "own-only": (lambda: token(RS, "mk-hub", export(), distribution=Distribution.OWN), "distribution"),
    "payload off schema": (lambda: token(RS, "mk-hub", {"reference": "X"}), "bad_payload"),
    "receipt as a message": (lambda: token(RS, "mk-hub", {}, type=MessageType.RECEIPT), "bad_envelope"),
    "NUL character": (lambda: token(RS, "mk-hub", {"rif_id": "R", "title": "a\x00b", "risk_area": "ipr", "description": "d"}, type=MessageType.RIF), "bad_payload"),
}  # fmt: skip


def test_every_bad_message_is_refused_audited_and_never_applied(hub: Engine) -> None:
    tokens = [make() for make, _ in BAD.values()]
    done = receive(engine=hub, identity=MK, tokens=tokens, source="test", now=NOW)
    assert done.counts == {"rejected": len(BAD)}
    ring = {MK.kid: MK.as_partner()}
    for name, receipt in zip(BAD, done.receipts, strict=True):
        _, body = read_receipt(receipt, keyring=ring, node="mk-hub")
        assert (body["status"], body["code"]) == ("rejected", BAD[name][1]), name
        assert body["reason"], name
    # Audited once per claimed sender and reason (each naming a message and how many more).
    assert set(refusals(hub)) == {f"rejected: {code}" for _, code in BAD.values()}
    assert count(hub, ReceivedDocument) == 0 and count(hub, InboxMessage) == 0


def test_a_revoked_key_is_refused(hub: Engine) -> None:
    with Session(hub) as session, session.begin():
        assert keys.revoke(session=session, kid=RS.kid)
    done = receive(engine=hub, identity=MK, tokens=[token(RS, "mk-hub", export())],
                   source="test", now=NOW)  # fmt: skip
    assert done.counts == {"rejected": 1} and refusals(hub) == ["rejected: revoked_key"]


def test_a_replayed_id_with_other_content_is_refused(hub: Engine) -> None:
    first = token(RS, "mk-hub", export(), message_id="00000000-0000-4000-8000-000000000001")
    other = token(RS, "mk-hub", export(total_gross_mass=1.0),
                  message_id="00000000-0000-4000-8000-000000000001")  # fmt: skip
    done = receive(engine=hub, identity=MK, tokens=[first, other], source="test", now=NOW)
    assert done.counts == {"applied": 1, "rejected": 1}
    assert refusals(hub) == ["rejected: replay"]
    with Session(hub) as session:
        doc = session.execute(select(ReceivedDocument.payload)).scalar_one()
    assert json.loads(doc)["total_gross_mass"] == 1100.0


def test_an_older_version_never_replaces_a_newer_one(hub: Engine) -> None:
    newer = token(RS, "mk-hub", export(total_gross_mass=1200.0), created_at=NOW)
    older = token(RS, "mk-hub", export(total_gross_mass=1100.0),
                  created_at=NOW - timedelta(minutes=5))  # fmt: skip
    receive(engine=hub, identity=MK, tokens=[newer, older], source="test", now=NOW)
    with Session(hub) as session:
        doc = session.execute(select(ReceivedDocument.payload)).scalar_one()
    assert json.loads(doc)["total_gross_mass"] == 1200.0


AL = node("al-hub", "AL")
HU = node("hu-node", "HU")


@pytest.mark.parametrize(
    ("distribution", "tlp", "forwarded_to"),
    [
        (Distribution.CEFTA, Tlp.AMBER, {"al-hub"}),  # CEFTA-wide: relayed to CEFTA nodes only
        (Distribution.CEFTA_EU, Tlp.AMBER, {"al-hub", "hu-node"}),
        (Distribution.CEFTA_EU, Tlp.RED, set()),  # named recipients only
        (Distribution.GROUP, Tlp.AMBER, set()),  # community-only: never relayed
    ],
)
def test_distribution_is_honoured_when_relaying(
    hub: Engine, distribution: Distribution, tlp: Tlp, forwarded_to: set[str]
) -> None:
    register(hub, AL, HU)
    rif = {"rif_id": "RIF-1", "title": "Cigarettes in furniture", "risk_area": "financial",
           "description": "Hidden compartments", "hs_codes": ["940360"]}  # fmt: skip
    message = token(RS, "mk-hub", rif, type=MessageType.RIF, receivers=["MK", "AL", "HU"],
                    distribution=distribution, tlp=tlp)  # fmt: skip
    done = receive(engine=hub, identity=MK, tokens=[message], source="test", now=NOW)
    assert done.counts == {"applied": 1}
    with Session(hub) as session:
        queued = session.execute(select(OutboxMessage)).scalars().all()
    assert {q.receiver_node for q in queued} == forwarded_to
    ring = {MK.kid: MK.as_partner()}
    for q in queued:
        _, payload_b64 = q.token.split(".")[:2]
        relayed = json.loads(jws.b64url_decode(payload_b64))
        assert relayed["origin"]["node"] == "rs-hub" and relayed["path"] == ["rs-hub", "mk-hub"]
        assert relayed["sender_node"] == "mk-hub" and relayed["receivers"] == (
            ["AL"] if q.receiver_node == "al-hub" else ["HU"]
        )
        assert jws.verify(jws.parse(q.token), ring[MK.kid].public)


def _rif(rif_id: str = "RIF-2") -> dict[str, object]:
    return {"rif_id": rif_id, "title": "t", "risk_area": "ipr", "description": "d"}


def _relay_of(original: str, origin: object, **changes: object) -> str:
    """AL passing on what RS sent it, with RS's signed original inside."""
    fields: dict[str, object] = {
        "type": MessageType.RIF, "party": "AL", "distribution": Distribution.CEFTA,
        "origin": origin, "path": ["rs-hub", "al-hub"], "relayed": original,
        "group": ["AL", "MK", "RS"],  # as the original has it
    }  # fmt: skip
    fields.update(changes)
    relay = envelope(AL, "mk-hub", _rif(), **fields)  # type: ignore[arg-type]
    return seal(relay, AL.key, kid=AL.kid)


def test_the_same_information_by_two_paths_is_applied_once(hub: Engine) -> None:
    register(hub, AL)
    direct = envelope(RS, "mk-hub", _rif(), type=MessageType.RIF, distribution=Distribution.CEFTA)
    to_al = envelope(RS, "al-hub", _rif(), type=MessageType.RIF, receivers=["AL", "MK"],
                     distribution=Distribution.CEFTA, origin=direct.origin)  # fmt: skip
    original = seal(to_al, RS.key, kid=RS.kid)
    tokens = [seal(direct, RS.key, kid=RS.kid), _relay_of(original, direct.origin)]
    done = receive(engine=hub, identity=MK, tokens=tokens, source="test", now=NOW)
    assert done.counts == {"applied": 1, "duplicate": 1}
    assert count(hub, ReceivedDocument) == 1


def test_a_relay_can_neither_invent_nor_alter_what_it_passes_on(hub: Engine) -> None:
    """AL's node is registered (for AL): it still cannot speak for RS, or change RS's message."""
    register(hub, AL)
    origin = Origin(party="RS", node="rs-hub", message_id="00000000-0000-4000-8000-0000000000aa")
    to_al = envelope(RS, "al-hub", _rif(), type=MessageType.RIF, receivers=["AL", "MK"],
                     distribution=Distribution.CEFTA, origin=origin)  # fmt: skip
    original = seal(to_al, RS.key, kid=RS.kid)
    grouped = seal(envelope(RS, "al-hub", _rif(), type=MessageType.RIF, receivers=["AL", "MK"],
                            distribution=Distribution.GROUP, origin=origin), RS.key, kid=RS.kid)  # fmt: skip
    forged_export = envelope(AL, "mk-hub", export(), party="AL")  # an RS office, sent by AL
    cases = {
        "origin claimed, no original": (_relay_of(None, origin), "wrong_sender"),  # type: ignore[arg-type]
        "origin claimed, AL's own signature": (
            seal(envelope(AL, "mk-hub", _rif(), type=MessageType.RIF, party="AL",
                          distribution=Distribution.CEFTA, origin=origin), AL.key, kid=AL.kid),
            "wrong_sender"),
        "original of another origin": (
            _relay_of(original, Origin(party="RS", node="rs-hub", message_id="other")),
            "wrong_sender"),
        "sharing changed": (_relay_of(original, origin, distribution=Distribution.CEFTA_EU),
                            "bad_envelope"),
        "receivers added": (_relay_of(original, origin, receivers=["MK", "ME"]), "distribution"),
        "a group's message passed on": (_relay_of(grouped, origin, distribution=Distribution.GROUP,
                                                  group=["RS", "AL", "MK"]), "distribution"),
        "another Party's export": (seal(forged_export, AL.key, kid=AL.kid), "wrong_sender"),
    }  # fmt: skip
    done = receive(engine=hub, identity=MK, tokens=[t for t, _ in cases.values()], source="t",
                   now=NOW)  # fmt: skip
    ring = {MK.kid: MK.as_partner()}
    codes = [read_receipt(r, keyring=ring, node="mk-hub")[1]["code"] for r in done.receipts]
    assert dict(zip(cases, codes, strict=True)) == {k: c for k, (_, c) in cases.items()}
    assert count(hub, ReceivedDocument) == 0
    # The genuine relay of the same original is applied, with RS's payload.
    assert receive(engine=hub, identity=MK, tokens=[_relay_of(original, origin)], source="t",
                   now=NOW).counts == {"applied": 1}  # fmt: skip


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://mk-hub.example.org", True),
        ("http://127.0.0.1:8443", True),
        ("http://localhost:8000", True),
        ("http://mk-hub.example.org", False),  # plain HTTP never leaves the machine
        ("ftp://mk-hub.example.org", False),
        ("https://", False),
    ],
)
def test_partner_urls(engine: Engine, url: str, ok: bool) -> None:
    with Session(engine) as session, session.begin():
        if ok:
            keys.register(session=session, node="mk-hub", parties=["MK"], public_key=MK.public,
                          url=url)  # fmt: skip
        else:
            with pytest.raises(ValueError, match="https://"):
                keys.register(session=session, node="mk-hub", parties=["MK"],
                              public_key=MK.public, url=url)  # fmt: skip


def test_a_message_for_two_parties_of_this_hub_is_filed_for_each(
    engine: Engine, app_engine: Engine
) -> None:
    """As the API's role: on PostgreSQL each copy is written under its own Party's tenancy."""
    register(engine, AL)
    both = node("hub", "RS", "MK")
    message = token(AL, "hub", _rif("RIF-2P"), type=MessageType.RIF, party="AL",
                    receivers=["RS", "MK"], distribution=Distribution.CEFTA)  # fmt: skip
    done = receive(engine=app_engine, identity=both, tokens=[message], source="t", now=NOW)
    assert done.counts == {"applied": 1}
    with Session(engine) as session:
        parties = set(session.execute(select(ReceivedDocument.party)).scalars())
    assert parties == {"RS", "MK"}


def test_junk_in_bulk_costs_one_audit_record_not_one_each(hub: Engine) -> None:
    done = receive(engine=hub, identity=MK, tokens=["junk"] * 200, source="t", now=NOW)
    assert done.counts == {"rejected": 200} and len(done.receipts) == 200
    assert refusals(hub) == ["rejected: malformed"]
