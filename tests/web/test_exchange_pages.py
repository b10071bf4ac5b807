"""The exchange monitor: the same counts as the exchange API, failures with reasons, findings."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from riskhub.access.distribution import Distribution
from riskhub.access.roles import Role
from riskhub.db.base import utcnow
from riskhub.declarations import service as declarations
from riskhub.exchange import jws, sender
from riskhub.exchange.envelope import TYP, token_hash
from riskhub.exchange.inbox import receive
from riskhub.exchange.keys import partners
from riskhub.exchange.messages import MessageType, Receipt
from riskhub.exchange.outbox import Outgoing, enqueue
from riskhub.exchange.transports import DirectTransport
from riskhub.matching import service as matching
from tests.conftest import MakeUser
from tests.exchange.nodes import export, node, register
from tests.helpers import nested
from tests.web.conftest import sign_in

RS, MK, ME, AL = (
    node("rs-hub", "RS"),
    node("mk-hub", "MK"),
    node("me-hub", "ME"),
    node("al-hub", "AL"),
)
REFUSAL = "the payload does not fit export_declaration"


def traffic(engine: Engine) -> datetime:
    """RS sends five exports: MK applies three, ME refuses one for good, AL cannot be reached."""
    register(engine, RS, MK, ME, AL)
    now = utcnow()
    with Session(engine) as session, session.begin():
        nodes = partners(session=session)
        for i, to in enumerate(("MK", "MK", "MK", "ME", "AL")):
            message = Outgoing(MessageType.EXPORT_DECLARATION,
                               export(f"RS-PRE-E-{i:08d}", destination_country=to), "RS", [to],
                               Distribution.GROUP, group=frozenset({"RS", to}))  # fmt: skip
            assert enqueue(session=session, identity=RS, message=message, now=now, nodes=nodes)

    def at_mk(tokens: Sequence[str]) -> list[str]:
        return receive(engine=engine, identity=MK, tokens=tokens, source="test").receipts

    def at_me(tokens: Sequence[str]) -> list[str]:
        receipts = [Receipt(token_sha256=token_hash(t), status="rejected", code="bad_payload",
                            reason=REFUSAL, received_at=now) for t in tokens]  # fmt: skip
        return [jws.sign(r.model_dump_json().encode(), ME.key, kid=ME.kid, typ=TYP)
                for r in receipts]  # fmt: skip

    transport = DirectTransport({"mk-hub": at_mk, "me-hub": at_me})  # no route to al-hub
    done = sender.send_due(engine=engine, transport=transport, now=now)
    assert (done["delivered"], done["rejected"], done["retry"]) == (3, 1, 1)
    return now


def _glance(page: str, prefix: str) -> dict[str, int]:
    found = re.findall(rf'<span id="{prefix}-([a-z_]+)"[^>]*>[a-z_]+: <span class="num">([0-9,]+)<',
                       page)  # fmt: skip
    return {name: int(n.replace(",", "")) for name, n in found}


def test_the_monitor_counts_what_the_exchange_api_counts_for_the_same_party(
    client: TestClient, make_user: MakeUser, engine: Engine
) -> None:
    now = traffic(engine)
    for party in ("RS", "MK"):
        token = make_user(party, Role.ANALYST)
        api = client.get("/api/v1/exchange/status",
                         headers={"Authorization": f"Bearer {token}"}).json()  # fmt: skip
        sign_in(client, token)
        page = client.get("/exchange").text
        assert _glance(page, "out") == api["outbox"], party
        assert _glance(page, "in") == api["inbox"], party
        assert _glance(page, "documents") == api["documents"], party
        if party == "RS":
            assert api["outbox"] == {"delivered": 3, "rejected": 1, "pending": 1}
            assert 'id="exchange-chart"' in page
            day = now.date().isoformat()
            # out: delivered, pending, failed; in: applied, duplicate.
            assert re.search(rf'<th scope="row">{day}</th><td class="num">3</td><td class="num">1'
                             r'</td><td class="num error">1</td><td class="num">0</td>', page)  # fmt: skip
            failures = re.search(r'<table id="failures">.*?</table>', page, re.S)
            assert failures and REFUSAL in failures.group(0)
            assert "no route to al-hub" in failures.group(0) and "me-hub" in failures.group(0)
            assert "mk-hub" not in failures.group(0)
        else:
            assert api["inbox"] == {"export_declaration": 3}
            # Row-level security lets MK read RS's messages meant for it; they are not MK's own.
            assert "MK has sent no message yet." in page
            assert 'id="outbox"' not in page and 'id="failures"' not in page


def test_who_opens_the_monitor_and_who_sees_the_findings(
    client: TestClient, make_user: MakeUser, engine: Engine, app_engine: Engine
) -> None:
    lodged = datetime(2026, 6, 1, 10)
    export_at_exit = nested("RS-PRE-E-00000077", n_items=1, party="RS", direction="EXPORT",
                            procedure_code="1000", office="RS-PRE",
                            lodged_at=lodged.isoformat() + "Z", destination_country="MK",
                            dispatch_country="RS", exporter="RS100000001",
                            importer="MK100000002")  # fmt: skip
    declarations.ingest_records(engine=engine, records=[export_at_exit], submitted_by_party="RS",
                                body_sha256="export-77")  # fmt: skip
    register(engine, MK)
    found = matching.run(engine=app_engine, identity=RS, party="RS", since=lodged - timedelta(days=1),
                         until=lodged + timedelta(days=1), now=lodged + timedelta(days=3),
                         sides=("exit",))  # fmt: skip
    assert sum(found.values())

    analyst = make_user("RS", Role.ANALYST)
    sign_in(client, analyst)
    page = client.get("/exchange").text
    findings = re.search(r'<table id="findings">.*?</table>', page, re.S)
    assert findings and "missing_entry" in findings.group(0)
    assert "RS-PRE-E-00000077" in findings.group(0)
    api = client.get("/api/v1/matching/findings",
                     headers={"Authorization": f"Bearer {analyst}"}).json()  # fmt: skip
    assert len(api) == 1 and api[0]["detail"] in findings.group(0).replace("&#39;", "'")
    assert "No failures" in page and "RS has sent no message yet." in page

    sign_in(client, make_user("RS", Role.PARTY_ADMIN))
    page = client.get("/exchange")
    assert page.status_code == 200
    assert "Matching findings" not in page.text and "RS-PRE-E-00000077" not in page.text
    sign_in(client, make_user("MK", Role.ANALYST))
    page = client.get("/exchange").text
    assert "No matching finding on MK's declarations." in page and "RS-PRE-E-00000077" not in page
    for party, role in (("RS", Role.OFFICER), ("RS", Role.AUDITOR), ("RS", Role.AGENCY_OFFICER),
                        ("XS", Role.SECRETARIAT), ("HU", Role.EU_PARTNER)):  # fmt: skip
        sign_in(client, make_user(party, role, offices=["RS-PRE"] if role is Role.OFFICER else None,
                                  agency="veterinary" if role is Role.AGENCY_OFFICER else None))  # fmt: skip
        refused = client.get("/exchange")
        assert refused.status_code == 403, role
        assert f"The {role.value} role does not open this page." in refused.text


def test_an_idle_party_is_told_so_in_plain_words(client: TestClient, make_user: MakeUser) -> None:
    sign_in(client, make_user("AL", Role.PARTY_ADMIN))
    page = client.get("/exchange")
    assert page.status_code == 200
    for sentence in ("None sent yet.", "None received yet.", "No message went out or came in",
                     "AL has sent no message yet.", "No message for AL has arrived yet."):  # fmt: skip
        assert sentence in page.text
    assert 'id="exchange-chart"' not in page.text
