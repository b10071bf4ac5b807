"""A registered partner still cannot write what is not its to say, or win by choosing times."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from riskhub.access.distribution import Distribution
from riskhub.audit.models import AuditRecord
from riskhub.declarations import service as declarations
from riskhub.exchange import jws
from riskhub.exchange.envelope import Origin, read_receipt, seal
from riskhub.exchange.inbox import receive
from riskhub.exchange.messages import MatchingFinding, MessageType, VatRefundClaim
from riskhub.exchange.models import ReceivedDocument
from riskhub.matching import service
from riskhub.matching.models import MatchingFinding as Row
from tests.exchange.nodes import envelope, export, node, register
from tests.helpers import nested

RS_HUB, MK, ME, AL = (
    node("rs-hub", "RS"),
    node("mk-hub", "MK"),
    node("me-hub", "ME"),
    node("al-hub", "AL"),
)
RMWG = node("cefta-hub", "XS")  # the hub that speaks for the RMWG publishes common profiles
D = datetime(2026, 6, 1, 10)
NOW = D + timedelta(days=3)
EXPORT = "RS-PRE-E-00000001"


def _export_to_mk(engine: Engine) -> None:
    record = nested(EXPORT, n_items=1, party="RS", direction="EXPORT", procedure_code="1000",
                    office="RS-PRE", lodged_at=D.isoformat() + "Z", destination_country="MK",
                    dispatch_country="RS", exporter="RS100000001", importer="MK100000002")  # fmt: skip
    declarations.ingest_records(engine=engine, records=[record], submitted_by_party="RS",
                                body_sha256=EXPORT)  # fmt: skip


def _to_rs(sender: object, payload: object, type: MessageType, receivers: list[str]) -> str:
    body = envelope(sender, "rs-hub", payload, type=type, receivers=receivers, created_at=NOW)  # type: ignore[arg-type]
    return seal(body, sender.key, kid=sender.kid)  # type: ignore[attr-defined]


def _codes(done: object) -> list[str]:
    ring = {RS_HUB.kid: RS_HUB.as_partner()}
    return [read_receipt(r, keyring=ring, node="rs-hub")[1].get("code") or "-"
            for r in done.receipts]  # type: ignore[attr-defined]  # fmt: skip


def _missing_at_rs(engine: Engine) -> list[tuple[str, str, str]]:
    with Session(engine) as session:
        rows = session.execute(
            select(Row.severity, Row.found_by, Row.detail).where(
                Row.party == "RS", Row.kind == "missing_entry", Row.exit_reference == EXPORT
            )
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


def test_only_a_partys_own_tax_office_claims_its_vat_refunds(
    engine: Engine, app_engine: Engine
) -> None:
    register(engine, MK, ME)
    claim = VatRefundClaim(claim_id="VAT-1", export_reference=EXPORT, exporter="FAKE",
                           amount_eur=999999, claimed_at=D + timedelta(days=1))  # fmt: skip
    done = receive(engine=app_engine, identity=RS_HUB, source="t", now=NOW,
                   tokens=[_to_rs(ME, claim, MessageType.VAT_REFUND_CLAIM, ["ME", "RS"])])  # fmt: skip
    assert _codes(done) == ["wrong_sender"]


def test_a_missing_entry_counts_only_from_where_the_export_went(
    engine: Engine, app_engine: Engine
) -> None:
    register(engine, MK, ME)
    _export_to_mk(engine)
    service.run(engine=app_engine, identity=RS_HUB, party="RS", since=D - timedelta(days=1),
                until=D + timedelta(days=1), now=NOW, sides=("exit",))  # fmt: skip
    assert [r[:2] for r in _missing_at_rs(engine)] == [("warning", "local")]

    def finding(entry_party: str | None, detail: str) -> MatchingFinding:
        return MatchingFinding(kind="missing_entry", severity="high", exit_party="RS",
                               exit_reference=EXPORT, entry_party=entry_party, detail=detail,
                               detected_at=datetime(2099, 1, 1))  # fmt: skip

    forged = [
        _to_rs(ME, finding(None, "ME names no side"), MessageType.MATCHING_FINDING, ["RS"]),
        _to_rs(ME, finding("ME", "ME says it was due at ME"), MessageType.MATCHING_FINDING, ["RS"]),
    ]
    genuine = _to_rs(MK, finding("MK", "MK never saw it"), MessageType.MATCHING_FINDING, ["RS"])
    done = receive(engine=app_engine, identity=RS_HUB, tokens=[*forged, genuine], source="t",
                   now=NOW)  # fmt: skip
    assert _codes(done) == ["wrong_sender", "wrong_sender", "-"]
    # MK's report is taken, but never rewrites what RS found itself.
    assert [r[:2] for r in _missing_at_rs(engine)] == [("warning", "local")]


def test_times_nobody_can_keep_are_refused_alone(engine: Engine) -> None:
    register(engine, RS_HUB)
    far = datetime.fromisoformat("9999-12-31T23:00:00-05:00")
    payload = export("RS-PRE-E-9").model_dump(mode="json") | {"lodged_at": far.isoformat()}
    bad_payload = seal(envelope(RS_HUB, "mk-hub", payload), RS_HUB.key, kid=RS_HUB.kid)
    bad_envelope = envelope(RS_HUB, "mk-hub", export("RS-PRE-E-8")).model_dump(mode="json")
    bad_envelope["expires_at"] = far.isoformat()
    unsendable = jws.sign(json.dumps(bad_envelope).encode(), RS_HUB.key, kid=RS_HUB.kid,
                          typ="riskhub-seed+jws")  # fmt: skip
    good = seal(envelope(RS_HUB, "mk-hub", export()), RS_HUB.key, kid=RS_HUB.kid)
    done = receive(engine=engine, identity=MK, tokens=[bad_payload, unsendable, good],
                   source="t", now=datetime(2026, 11, 28, 12))  # fmt: skip
    ring = {MK.kid: MK.as_partner()}
    codes = [read_receipt(r, keyring=ring, node="mk-hub")[1].get("code") for r in done.receipts]
    assert codes == ["bad_payload", "bad_envelope", None]


def test_a_relay_cannot_bring_back_an_older_version(engine: Engine) -> None:
    """The original's own time orders versions, not the relay's: a withdrawal stays."""
    register(engine, RMWG, AL)
    now = datetime(2026, 11, 28, 12)

    def profile(action: str, version: int) -> dict[str, object]:
        return {"code": "SEED-GHOST", "action": action, "version": version,
                "document": None if action == "withdraw" else {"rule": "x"}}  # fmt: skip

    origin = Origin(party="XS", node="cefta-hub", message_id="00000000-0000-4000-8000-0000000000b1")
    old = seal(envelope(RMWG, "al-hub", profile("publish", 1), type=MessageType.COMMON_PROFILE,
                        receivers=["AL", "MK"], distribution=Distribution.CEFTA, origin=origin,
                        created_at=now - timedelta(days=2)), RMWG.key, kid=RMWG.kid)  # fmt: skip
    withdraw = seal(envelope(RMWG, "mk-hub", profile("withdraw", 2),
                             type=MessageType.COMMON_PROFILE, distribution=Distribution.CEFTA,
                             created_at=now - timedelta(hours=1)), RMWG.key, kid=RMWG.kid)  # fmt: skip
    relay = seal(envelope(AL, "mk-hub", {}, type=MessageType.COMMON_PROFILE, party="AL",
                          distribution=Distribution.CEFTA, group=["AL", "MK", "XS"], origin=origin,
                          path=["cefta-hub", "al-hub"], relayed=old, created_at=now),
                 AL.key, kid=AL.kid)  # fmt: skip
    for token in (withdraw, relay):
        assert receive(engine=engine, identity=MK, tokens=[token], source="t",
                       now=now).counts == {"applied": 1}  # fmt: skip
    with Session(engine) as session:
        doc = session.execute(select(ReceivedDocument)).scalar_one()
    assert json.loads(doc.payload)["action"] == "withdraw" and doc.withdrawn_at is not None


@pytest.mark.parametrize(
    ("party", "rif_party", "receivers"),
    [("AL", "RS", ["RS"]), ("MK", "MK", ["MK"]), ("MK", "RS", ["RS", "AL"])],
)
def test_rif_feedback_goes_back_to_the_originator_in_ones_own_name(
    engine: Engine, app_engine: Engine, party: str, rif_party: str, receivers: list[str]
) -> None:
    register(engine, MK)
    answer = {"rif_id": "RS-RIF-2026-0001", "rif_party": rif_party, "party": party,
              "control_done": False, "outcome": "no_controls", "controls": 0, "detections": 0,
              "given_at": NOW.isoformat()}  # fmt: skip
    done = receive(engine=app_engine, identity=RS_HUB, source="t", now=NOW,
                   tokens=[_to_rs(MK, answer, MessageType.RIF_FEEDBACK, receivers)])  # fmt: skip
    assert _codes(done) == ["wrong_sender"]


def test_only_the_rmwg_publishes_common_profiles(engine: Engine, app_engine: Engine) -> None:
    register(engine, MK)
    profile = {"code": "CEFTA-FAKE-1", "action": "publish", "version": 1, "document": {"x": 1}}
    done = receive(engine=app_engine, identity=RS_HUB, source="t", now=NOW,
                   tokens=[_to_rs(MK, profile, MessageType.COMMON_PROFILE, ["RS"])])  # fmt: skip
    assert _codes(done) == ["wrong_sender"]


def test_junk_naming_many_senders_still_costs_one_audit_record(engine: Engine) -> None:
    def junk(i: int) -> str:
        head = jws.b64url(json.dumps({"alg": "EdDSA", "kid": f"n{i}:x",
                                      "typ": "riskhub-seed+jws"}).encode())  # fmt: skip
        return f"{head}.e30.AAAA"

    done = receive(engine=engine, identity=MK, tokens=[junk(i) for i in range(300)], source="t")
    assert done.counts == {"rejected": 300}
    with Session(engine) as session:
        actors = session.execute(
            select(AuditRecord.actor).where(AuditRecord.action == "exchange.reject")
        ).scalars()
        assert list(actors) == ["node:unverified"]
