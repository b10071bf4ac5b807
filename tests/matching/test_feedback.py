"""Inspection reports back to the Party of exit (S11), in the same transaction as the result."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from riskhub.db.tenancy import acting_for
from riskhub.exchange import jws, keys
from riskhub.exchange.models import OutboxMessage, ReceivedDocument
from riskhub.inspections import service as inspections
from riskhub.inspections.schemas import InspectionIn
from riskhub.selectivity import service as selectivity
from riskhub.settings import get_settings
from tests.exchange.nodes import node, register
from tests.selectivity.test_service import load, with_item

MK_HUB = node("mk-hub", "MK")


def record(engine: Engine, declaration_id: int, reference: str, *, commit: bool = True) -> None:
    body = InspectionIn.model_validate(
        {"reference": reference, "kind": "physical", "inspector": "officer 7",
         "started_at": "2026-06-01T10:00:00Z", "finished_at": "2026-06-01T11:30:00Z",
         "outcome": "discrepancy", "additional_revenue_eur": 812.5,
         "findings": [{"category": "quantity_mass", "item_no": 1, "detail": "1,400 kg"}]}
    )  # fmt: skip
    with acting_for("RS"), Session(engine) as session:
        session.begin()
        [done] = inspections.record_many(
            session=session, party="RS", records=[(declaration_id, body)],
            recorder=inspections.Recorder(None, "customs", ()),
        )  # fmt: skip
        assert done.status == "created", done
        if commit:
            session.commit()
        else:
            session.rollback()


def declarations(engine: Engine, *, quoted: bool) -> int:
    """A Serbian import from North Macedonia, decided, quoting its export when ``quoted``."""
    body = with_item("E-1" if quoted else "E-2")
    if quoted:
        body["export_reference"] = "MK-TAB-E-00000001"
    (declaration_id,) = load(engine, body)
    selectivity.decide_pending(engine_=engine, party="RS")
    return declaration_id


def count(engine: Engine, model: type, *where: object) -> int:
    with Session(engine) as session:
        query = select(func.count()).select_from(model).where(*where)  # type: ignore[arg-type]
        return int(session.execute(query).scalar_one())


def test_a_co_hosted_exit_party_gets_the_report_filed(engine: Engine) -> None:
    """One hub for all CEFTA Parties: MK's copy is filed for MK, without the inspector's name."""
    record(engine, declarations(engine, quoted=True), "CR-1")
    with Session(engine) as session:
        doc = session.execute(select(ReceivedDocument)).scalar_one()
    assert (doc.party, doc.type, doc.sender_party, doc.key) == (
        "MK", "inspection_report", "RS", "E-1",
    )  # fmt: skip
    report = json.loads(doc.payload)
    assert report["export_reference"] == "MK-TAB-E-00000001"
    assert report["outcome"] == "discrepancy" and report["findings"] == ["quantity_mass"]
    assert "officer 7" not in doc.payload
    record(engine, declarations(engine, quoted=False), "CR-2")  # no export quoted: nothing
    assert count(engine, ReceivedDocument) == 1


@pytest.fixture
def rs_only(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("RISKHUB_NODE", "rs-hub")
    monkeypatch.setenv("RISKHUB_NODE_PARTIES", "RS")
    get_settings.cache_clear()
    register(engine, MK_HUB)
    yield
    get_settings.cache_clear()


def test_a_partner_exit_party_gets_it_queued_with_the_result_or_not_at_all(
    engine: Engine, rs_only: None
) -> None:
    declaration_id = declarations(engine, quoted=True)
    record(engine, declaration_id, "CR-1", commit=False)  # the result rolled back ...
    assert count(engine, OutboxMessage) == 0  # ... and so did its report
    record(engine, declaration_id, "CR-1")
    with Session(engine) as session:
        queued = session.execute(select(OutboxMessage)).scalar_one()
    assert (queued.receiver_node, queued.type, queued.audience) == (
        "mk-hub",
        "inspection_report",
        "MK",
    )
    body = json.loads(jws.b64url_decode(queued.token.split(".")[1]))
    assert body["sender_node"] == keys.identity().node == "rs-hub"
    assert body["payload"]["additional_revenue_eur"] == 812.5
