"""The exchange over the API: a partner pushes (signed, no token), a partner pulls (token)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from riskhub.access.distribution import Distribution
from riskhub.access.roles import Role
from riskhub.app import create_app
from riskhub.db.base import utcnow
from riskhub.exchange import jws, keys
from riskhub.exchange.envelope import TYP, read_receipt
from riskhub.exchange.messages import MessageType, Receipt, Rif
from riskhub.exchange.models import OutboxMessage, ReceivedDocument
from riskhub.exchange.outbox import Outgoing, enqueue
from riskhub.settings import get_settings
from tests.exchange.nodes import export, node, register, token

RS = node("rs-hub", "RS")
HU = node("hu-node", "HU")


@pytest.fixture
def mk_hub(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[keys.Identity]:
    """The hub under test speaks for MK as node mk-hub."""
    monkeypatch.setenv("RISKHUB_NODE", "mk-hub")
    monkeypatch.setenv("RISKHUB_NODE_PARTIES", "MK")
    get_settings.cache_clear()
    register(engine, RS)
    register(engine, HU, url=None)  # HU cannot take pushes: it pulls
    yield keys.identity()
    get_settings.cache_clear()


def test_a_partner_pushes_signed_messages_without_a_token(
    engine: Engine, mk_hub: keys.Identity
) -> None:
    good = token(RS, "mk-hub", export(), created_at=utcnow())
    bad = token(RS, "other-hub", export(), created_at=utcnow())
    with TestClient(create_app()) as client:
        answer = client.post("/api/v1/exchange/messages", json={"messages": [good, bad, good]})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["applied"], body["rejected"], body["duplicate"]) == (1, 1, 1)
    ring = {mk_hub.kid: mk_hub.as_partner()}
    statuses = [read_receipt(r, keyring=ring, node="mk-hub")[1]["status"] for r in body["receipts"]]
    assert statuses == ["applied", "rejected", "applied"]
    assert body["receipts"][2] == body["receipts"][0]  # a copy is answered with the first receipt
    with Session(engine) as session:
        assert session.execute(select(ReceivedDocument.party)).scalars().all() == ["MK"]


def test_a_partner_pulls_what_is_meant_for_it_and_settles_with_receipts(
    engine: Engine, mk_hub: keys.Identity, make_user: Callable[..., str]
) -> None:
    rif = Rif(rif_id="RIF-9", title="Counterfeit toys", risk_area="ipr", description="d")
    with Session(engine) as session, session.begin():
        queued = enqueue(
            session=session, identity=mk_hub, now=utcnow(), nodes=keys.partners(session=session),
            message=Outgoing(MessageType.RIF, rif, "MK", ["HU", "RS"], Distribution.CEFTA_EU),
        )  # fmt: skip
    assert queued == 2  # one for the pulling HU node, one pushed to RS
    hu = {"Authorization": f"Bearer {make_user('HU', Role.EU_PARTNER)}"}
    hr = {"Authorization": f"Bearer {make_user('HR', Role.EU_PARTNER)}"}
    with TestClient(create_app()) as client:
        assert client.get("/api/v1/exchange/inbox", headers=hr).json()["messages"] == []
        pulled = client.get("/api/v1/exchange/inbox", headers=hu).json()
        assert len(pulled["messages"]) == 1
        message = pulled["messages"][0]["token"]
        ring = {mk_hub.kid: mk_hub.as_partner()}
        assert jws.verify(jws.parse(message), ring[mk_hub.kid].public)
        again = client.get("/api/v1/exchange/inbox", headers=hu,
                           params={"since": pulled["next_cursor"]}).json()  # fmt: skip
        assert again["messages"] == []
        receipt = Receipt(token_sha256=_sha(message), status="applied", received_at=utcnow())
        signed = jws.sign(receipt.model_dump_json().encode(), HU.key, kid=HU.kid, typ=TYP)
        forged = jws.sign(receipt.model_dump_json().encode(), RS.key, kid=RS.kid, typ=TYP)
        # RS's key is registered, but RS does not speak for HU: it cannot settle HU's messages.
        refused = client.post("/api/v1/exchange/receipts", headers=hu, json={"receipts": [forged]})
        assert refused.json()["settled"] == 0 and refused.json()["problems"]
        settled = client.post("/api/v1/exchange/receipts", headers=hu, json={"receipts": [signed]})
        assert settled.json() == {"settled": 1, "problems": []}
    with Session(engine) as session:
        rows = {r.receiver_node: r.status for r in session.execute(select(OutboxMessage)).scalars()}
    assert rows == {"hu-node": "delivered", "rs-hub": "pending"}


def _sha(message: str) -> str:
    from riskhub.exchange.envelope import token_hash

    return token_hash(message)
