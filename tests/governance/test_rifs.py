"""Risk Information Forms: raise, share as distributed, minimised operators, feedback, to a profile."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from riskhub.access.roles import Role
from riskhub.app import create_app
from riskhub.db.base import utcnow
from riskhub.db.tenancy import acting_for
from riskhub.exchange import jws
from riskhub.exchange.models import OutboxMessage
from riskhub.governance.common_profiles import from_rif
from riskhub.governance.rifs import service
from riskhub.governance.rifs.models import Rif
from riskhub.profiles.document import read_profile
from riskhub.settings import get_settings
from tests.conftest import TEST_DATABASE_URL, MakeUser
from tests.exchange.nodes import node, register


def rif(**overrides: Any) -> dict[str, Any]:
    body = {
        "title": "Footwear undervalued through a transit country",
        "risk_area": "financial",
        "description": "Sports footwear declared at a fifth of its price.",
        "modus_operandi": "Invoices issued in the transit country at low prices.",
        "indicators": ["unit value under 3 EUR/pair", "new importer"],
        "hs_codes": ["6402", "6404"],
        "origin_country": "CN",
        "dispatch_country": "TR",
        "transport_mode": "road",
        "operators": [{"role": "importer", "id": "RS100000001", "name": "Obuca Trade d.o.o."}],
        "detection_technique": "price comparison with the EU's reference values",
        "seized_value_eur": 125000,
        "recommended_control": "Ask for the original invoice and proof of payment",
        "urgency": "urgent",
        "valid_until": (date.today() + timedelta(days=90)).isoformat(),
    }
    return {**body, **overrides}


class Api:
    def __init__(self, client: TestClient, make_user: MakeUser) -> None:
        self.client, self.make_user = client, make_user
        self.tokens: dict[tuple[str, Role], str] = {}

    def __call__(self, party: str, method: str, path: str = "", role: Role = Role.ANALYST,
                 **kw: Any) -> Any:  # fmt: skip
        if (party, role) not in self.tokens:
            self.tokens[(party, role)] = self.make_user(party, role)
        headers = {"Authorization": f"Bearer {self.tokens[(party, role)]}"}
        return self.client.request(method, f"/api/v1/rifs{path}", headers=headers, **kw)


@pytest.fixture
def api(engine: Engine, make_user: MakeUser) -> Iterator[Api]:
    with TestClient(create_app()) as client:
        yield Api(client, make_user)


def test_a_draft_stays_home_until_shared(api: Api) -> None:
    made = api("RS", "POST", json=rif())
    assert made.status_code == 201
    body = made.json()
    assert body["status"] == "draft" and body["number"].startswith(f"RS-RIF-{date.today().year}-")
    assert api("MK", "GET", f"/{body['id']}").status_code == 404
    assert api("MK", "GET").json() == []
    shared = api("RS", "POST", f"/{body['id']}/share", json={"distribution": "cefta"})
    assert shared.status_code == 200 and shared.json()["status"] == "shared"
    seen = api("MK", "GET", f"/{body['id']}").json()
    assert seen["title"] == body["title"] and seen["hs_codes"] == ["6402", "6404"]


def test_operators_are_minimised_for_other_parties(api: Api) -> None:
    made = api("RS", "POST", json=rif(share=True)).json()
    own = made["operators"][0]
    assert own == {"role": "importer", "id": "RS100000001", "name": "Obuca Trade d.o.o."}
    (theirs,) = api("MK", "GET", f"/{made['id']}").json()["operators"]
    assert theirs["role"] == "importer" and theirs["name"] is None
    assert theirs["id"].startswith("T-RS-") and "RS100000001" not in theirs["id"]
    (al,) = api("AL", "GET", f"/{made['id']}").json()["operators"]
    assert al["id"] == theirs["id"]  # one stable pseudonym for every reader


def test_distribution_decides_who_reads(api: Api, engine: Engine) -> None:
    eu_only = api("RS", "POST", json=rif(share=True, distribution="own")).json()
    assert api("MK", "GET", f"/{eu_only['id']}").status_code == 404
    wide = api("RS", "POST", json=rif(share=True, distribution="cefta_eu")).json()
    assert api("HU", "GET", f"/{wide['id']}", role=Role.EU_PARTNER).status_code == 403
    assert api("MK", "GET", f"/{wide['id']}").status_code == 200
    assert api("XS", "GET", f"/{wide['id']}", role=Role.SECRETARIAT).status_code == 403
    bad = api("RS", "POST", json=rif(distribution="group"))
    assert bad.status_code == 422 and "sharing group" in bad.text
    nowhere = api("RS", "POST", json=rif(share=True, distribution="group", group="no-such"))
    assert nowhere.status_code == 409 and "not a member of a sharing group" in nowhere.text
    nul = api("RS", "POST", json=rif(share=True, distribution="group", group="a\x00b"))
    assert nul.status_code == 422
    far = api("RS", "POST", json=rif(valid_until="2101-01-01"))
    assert far.status_code == 422 and "valid_until" in far.text


def test_feedback_is_given_by_receivers_and_read_by_the_originator(api: Api) -> None:
    made = api("RS", "POST", json=rif(share=True)).json()
    path = f"/{made['id']}/feedback"
    done = {"control_done": True, "outcome": "irregularity", "controls": 12, "detections": 2,
            "value_detected_eur": 8400.0, "comment": "two trucks undervalued"}  # fmt: skip
    assert api("MK", "PUT", path, json=done).status_code == 200
    none = {"control_done": False, "outcome": "no_controls", "comment": "no such traffic"}
    assert api("AL", "PUT", path, json=none).status_code == 200
    own = api("RS", "PUT", path, json=done)
    assert own.status_code == 409 and "not its originator" in own.json()["detail"]
    by_owner = api("RS", "GET", f"/{made['id']}").json()["feedback"]
    assert [(f["party"], f["detections"]) for f in by_owner] == [("AL", 0), ("MK", 2)]
    assert [f["party"] for f in api("MK", "GET", f"/{made['id']}").json()["feedback"]] == ["MK"]
    # Giving it again amends the Party's one answer.
    done["detections"] = 3
    assert api("MK", "PUT", path, json=done).status_code == 200
    by_owner = api("RS", "GET", f"/{made['id']}").json()["feedback"]
    assert [(f["party"], f["detections"]) for f in by_owner] == [("AL", 0), ("MK", 3)]


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"control_done": False, "outcome": "irregularity"}, "no_controls"),
        ({"controls": 1, "detections": 2}, "cannot exceed"),
        ({"controls": 2, "detections": 1, "outcome": "no_irregularity"}, "irregularity or seizure"),
        ({"comment": "bad\x00text"}, "NUL"),
    ],
)
def test_inconsistent_feedback_is_refused(api: Api, change: dict[str, Any], words: str) -> None:
    made = api("RS", "POST", json=rif(share=True)).json()
    body = {"control_done": True, "outcome": "seizure", "controls": 1, "detections": 1, **change}
    r = api("MK", "PUT", f"/{made['id']}/feedback", json=body)
    assert r.status_code == 422 and words in r.text


def test_expired_or_withdrawn_rifs_cannot_be_shared_or_turned_into_profiles(
    api: Api, engine: Engine
) -> None:
    past = api("RS", "POST", json=rif(valid_until=(date.today() - timedelta(days=1)).isoformat()))
    assert past.status_code == 409 and "already past" in past.json()["detail"]
    made = api("RS", "POST", json=rif()).json()
    later = utcnow() + timedelta(days=91)
    with acting_for("RS"), Session(engine) as session:
        with pytest.raises(service.RifError, match="expired on"):
            service.share(session=session, party="RS", rif_id=made["id"],
                          sharing=service.SharingIn(), now=later)  # fmt: skip
        with pytest.raises(service.RifError, match="expired on"):
            from_rif.draft_from_rif(session=session, party="RS", rif_id=made["id"], user_id=None,
                                    now=later)  # fmt: skip
    assert api("RS", "POST", f"/{made['id']}/withdraw").json()["status"] == "withdrawn"
    again = api("RS", "POST", f"/{made['id']}/share", json={})
    assert again.status_code == 409 and "withdrawn" in again.json()["detail"]
    assert api("RS", "POST", f"/{made['id']}/common-profile").status_code == 409
    assert api("MK", "POST", f"/{made['id']}/withdraw").status_code == 404


def test_feedback_overdue_after_thirty_days(api: Api, engine: Engine) -> None:
    made = api("RS", "POST", json=rif(share=True)).json()
    assert api("MK", "GET", f"/{made['id']}").json()["feedback_overdue"] is False
    with acting_for("MK"), Session(engine) as session:
        row = service.get_rif(session=session, party="MK", rif_id=made["id"])
        assert row is not None
        later = utcnow() + timedelta(days=service.FEEDBACK_DAYS + 1)
        assert service.view(session=session, party="MK", row=row, now=later)["feedback_overdue"]
        assert not service.view(session=session, party="RS", row=row, now=later)["feedback_overdue"]


def test_a_rif_becomes_a_draft_common_profile_in_one_step(api: Api) -> None:
    made = api("RS", "POST", json=rif(share=True)).json()
    case = api("MK", "POST", f"/{made['id']}/common-profile")
    assert case.status_code == 201
    body = case.json()
    assert body["status"] == "draft" and body["drafted_by_party"] == "MK"
    assert body["source_rif_id"] == made["id"] and body["code"] == f"CEFTA-{made['number']}"
    # Shared with a few, or under TLP:RED, only its originator may widen it into a profile.
    red = api("RS", "POST", json=rif(share=True, tlp="RED")).json()
    narrow = api("MK", "POST", f"/{red['id']}/common-profile")
    assert narrow.status_code == 409 and "only RS, which raised it" in narrow.json()["detail"]
    own = api("RS", "POST", f"/{red['id']}/common-profile")
    assert own.status_code == 201 and "tlp: AMBER" in _document_of(api, own.json()["id"])
    bare = api("RS", "POST", json=rif(share=True, hs_codes=[], origin_country=None,
                                      dispatch_country=None)).json()  # fmt: skip
    refused = api("RS", "POST", f"/{bare['id']}/common-profile")
    assert refused.status_code == 409 and "names no goods" in refused.json()["detail"]


def _document_of(api: Api, case_id: int) -> str:
    token = api.tokens[("RS", Role.ANALYST)]
    headers = {"Authorization": f"Bearer {token}"}
    return str(
        api.client.get(f"/api/v1/common-profiles/{case_id}", headers=headers).json()["document"]
    )


def test_the_drafted_profile_targets_the_rif(engine: Engine) -> None:
    with acting_for("RS"), Session(engine) as session, session.begin():
        row = service.raise_rif(session=session, party="RS", body=service.RifIn(**rif()),
                                user_id=None, now=utcnow())  # fmt: skip
        document = from_rif.document_for(row)
        valid_until = row.valid_until
    read = read_profile(from_rif.yaml.safe_dump(document), lists={})
    assert read.ok, read.problems
    assert read.document is not None and read.document.action.channel == "red"  # urgent
    assert read.document.valid_to == valid_until
    assert "Ask for the original invoice" in read.document.action.checklist[0]
    assert document["criteria"] == {
        "all": [
            {"hs_code": {"startswith": ["6402", "6404"]}},
            {"origin_country": "CN"},
            {"dispatch_country": "TR"},
        ]
    }


def test_partner_hubs_get_a_shared_rif_without_operators(
    api: Api, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RISKHUB_NODE_PARTIES", "RS;AL")
    get_settings.cache_clear()
    register(engine, node("mk-hub", "MK"), node("hu-hub", "HU"))
    made = api("RS", "POST", json=rif()).json()
    assert _queued(engine) == []  # a draft goes nowhere
    api("RS", "POST", f"/{made['id']}/share", json={"distribution": "cefta"})
    ((receiver, token),) = _queued(engine)  # CEFTA only: not Hungary's hub
    assert receiver == "mk-hub"
    payload = json.loads(jws.b64url_decode(token.split(".")[1]))["payload"]
    assert payload["rif_id"] == made["number"] and payload["hs_codes"] == ["6402", "6404"]
    assert (
        "RS100000001" not in token
        and "Obuca" not in jws.b64url_decode(token.split(".")[1]).decode()
    )


def _queued(engine: Engine) -> list[tuple[str, str]]:
    with Session(engine) as session:
        rows = session.execute(
            select(OutboxMessage.receiver_node, OutboxMessage.token).where(
                OutboxMessage.type == "rif"
            )
        )
        return [(r, t) for r, t in rows]


@pytest.mark.skipif(not TEST_DATABASE_URL, reason="PostgreSQL only: row-level security")
def test_the_database_itself_hides_draft_rifs(api: Api, app_engine: Engine) -> None:
    made = api("RS", "POST", json=rif()).json()  # a draft, distribution cefta

    def seen_by_mk() -> list[int]:
        with acting_for("MK"), Session(app_engine) as session:
            return list(session.scalars(select(Rif.id)))

    assert seen_by_mk() == []
    api("RS", "POST", f"/{made['id']}/share", json={"distribution": "cefta"})
    assert seen_by_mk() == [made["id"]]
