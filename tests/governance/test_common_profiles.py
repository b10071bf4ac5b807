"""The common profiles' lifecycle through the API: every step, and every refused step."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from riskhub.access.roles import Role
from riskhub.app import create_app
from riskhub.db.base import utcnow
from riskhub.db.tenancy import acting_for
from riskhub.declarations import service as declarations
from riskhub.governance.common_profiles import publication, service
from riskhub.governance.common_profiles.service import LifecycleError
from riskhub.profiles import service as profiles
from riskhub.profiles.models import RiskProfile
from riskhub.reference.parties import CEFTA_PARTIES
from riskhub.selectivity import service as selectivity
from riskhub.selectivity.models import SelectivityDecision
from riskhub.settings import get_settings
from tests.conftest import MakeUser
from tests.helpers import nested

CODE = "CEFTA-TEST-001"


def document(code: str = CODE, **extra: str) -> str:
    lines = {
        "code": code,
        "title": "Heavy consignments of footwear",
        "threat": "undervaluation",
        "criteria": "{hs_code: {startswith: '64'}}",
        "action": "{channel: yellow}",
        "weight": "30",
        "distribution": "{level: cefta, tlp: GREEN}",
        **extra,
    }
    return "".join(f"{k}: {v}\n" for k, v in lines.items())


class Api:
    """Calls as users of several Parties and roles."""

    def __init__(self, client: TestClient, make_user: MakeUser) -> None:
        self.client, self.make_user = client, make_user
        self.tokens: dict[tuple[str, Role], str] = {}

    def __call__(self, party: str, role: Role, method: str, path: str, **kw: Any) -> Any:
        key = (party, role)
        if key not in self.tokens:
            offices = [f"{party}-PRE"] if role is Role.OFFICER else None
            self.tokens[key] = self.make_user(
                party, role, name=f"{role.value}-{party}", offices=offices
            )
        headers = {"Authorization": f"Bearer {self.tokens[key]}"}
        return self.client.request(method, f"/api/v1/common-profiles{path}", headers=headers, **kw)

    def draft(self, party: str = "RS", text: str | None = None) -> int:
        r = self(party, Role.ANALYST, "POST", "", json={"document": text or document()})
        assert r.status_code == 201, r.text
        return int(r.json()["id"])

    def vote(self, case: int, party: str, vote: str, comment: str = "") -> Any:
        body = {"vote": vote, "comment": comment}
        return self(party, Role.RMWG, "POST", f"/{case}/votes", json=body)

    def proposed(self, party: str = "RS", text: str | None = None) -> int:
        case = self.draft(party, text)
        assert self(party, Role.ANALYST, "POST", f"/{case}/propose").status_code == 200
        return case

    def published(self, text: str | None = None) -> int:
        case = self.proposed(text=text)
        for party in ("RS", "MK", "AL", "BA"):
            assert self.vote(case, party, "approve").status_code == 201
        assert self("MK", Role.RMWG, "POST", f"/{case}/adopt").status_code == 200
        assert self("AL", Role.RMWG, "POST", f"/{case}/publish").status_code == 200
        return case


@pytest.fixture
def api(engine: Engine, make_user: MakeUser) -> Iterator[Api]:
    with TestClient(create_app()) as client:
        yield Api(client, make_user)


def test_the_whole_lifecycle(api: Api, engine: Engine) -> None:
    case = api.draft()
    r = api("RS", Role.ANALYST, "POST", f"/{case}/propose")
    assert r.json()["status"] == "proposed" and r.json()["tally"]["quorum"] == 4
    for party in ("RS", "MK", "AL"):
        assert api.vote(case, party, "approve").status_code == 201
    assert api.vote(case, "ME", "reject", "duplicates our national profile").status_code == 201
    assert api.vote(case, "MD", "abstain").status_code == 201
    early = api("MK", Role.RMWG, "POST", f"/{case}/adopt")
    assert early.status_code == 409 and "3 of the 4 approvals" in early.json()["detail"]
    assert api.vote(case, "BA", "approve").status_code == 201
    adopted = api("MK", Role.RMWG, "POST", f"/{case}/adopt").json()
    assert adopted["status"] == "adopted"
    assert adopted["tally"] == {
        "approve": 4, "reject": 1, "abstain": 1, "not_voted": ["XK"], "quorum": 4,
        "approval_share": round(4 / 7, 4),
    }  # fmt: skip
    published = api("AL", Role.RMWG, "POST", f"/{case}/publish").json()
    assert published["status"] == "published" and published["activation_share"] == 0

    # Published, it judges nobody until a Party switches it on.
    assert not _judged(engine, "RS", "F-1")
    on = api("RS", Role.ANALYST, "PUT", f"/{case}/activation", json={"active": True})
    assert on.status_code == 200 and on.json()["active"] is True
    off = {"active": False, "reason": "our national profile covers footwear"}
    assert api("MK", Role.ANALYST, "PUT", f"/{case}/activation", json=off).status_code == 200
    assert _judged(engine, "RS", "F-2")
    assert not _judged(engine, "MK", "F-3")
    # The profile effectiveness review follows the same local decisions.
    assert f"XS/{CODE}" in _reviewed(api, "RS") and f"XS/{CODE}" not in _reviewed(api, "MK")

    detail = api("XS", Role.SECRETARIAT, "GET", f"/{case}").json()
    assert [v["party"] for v in detail["votes"]] == ["AL", "BA", "MD", "ME", "MK", "RS"]
    assert {d["party"]: d["active"] for d in detail["local_decisions"]} == {"MK": False, "RS": True}
    assert [e["event"] for e in detail["events"]] == [
        "drafted", "proposed", "voted", "voted", "voted", "voted", "voted", "voted", "adopted",
        "published", "activated", "declined",
    ]  # fmt: skip
    assert detail["activation_share"] == round(1 / 7, 4)
    adoption = api("XS", Role.SECRETARIAT, "GET", "/adoption").json()
    assert adoption["parties_approving_all"] == ["AL", "BA", "MK", "RS"]
    assert adoption["share_approving_all"] == round(4 / 7, 4)

    # Feedback follows the KPI rule: a Party sees its own figures; the RMWG every Party's,
    # but not those resting on fewer than MIN_GROUP controls.
    since = {"since": "2020-01-01"}
    own = api("RS", Role.ANALYST, "GET", f"/{case}/feedback", params=since).json()
    assert [(f["party"], f["matches"], f["selected"]) for f in own] == [("RS", 1, 1)]
    assert api("MK", Role.ANALYST, "GET", f"/{case}/feedback", params=since).json() == []
    assert api("MK", Role.RMWG, "GET", f"/{case}/feedback", params=since).json() == []
    late = api("RS", Role.ANALYST, "GET", f"/{case}/feedback", params={"until": "9999-12-31"})
    assert late.status_code == 400 and "2000 and 2100" in late.text

    # Review: keep, then revise (a new draft while version 1 stays in force), then withdraw.
    next_review = (date.today() + timedelta(days=200)).isoformat()
    kept = api("BA", Role.RMWG, "POST", f"/{case}/review",
               json={"outcome": "keep", "next_review": next_review})  # fmt: skip
    assert kept.status_code == 200 and kept.json()["review_due"] == next_review
    revised = api("BA", Role.RMWG, "POST", f"/{case}/review",
                  json={"outcome": "revise", "document": document(weight="40")})  # fmt: skip
    assert revised.status_code == 200
    assert (revised.json()["version"], revised.json()["status"]) == (2, "draft")
    gone = api("ME", Role.RMWG, "POST", f"/{case}/review",
               json={"outcome": "withdraw", "comment": "the trade moved to other goods"})  # fmt: skip
    assert gone.status_code == 200 and gone.json()["status"] == "withdrawn"
    assert not _judged(engine, "RS", "F-4")
    after = api("RS", Role.ANALYST, "GET", f"/{case}").json()["local_decisions"]
    assert [(d["party"], d["active"]) for d in after] == [("MK", False), ("RS", False)]
    assert after[1]["reason"] == "withdrawn by the RMWG: the trade moved to other goods"
    # Its revision published later waits for each Party's decision anew.
    revision = revised.json()["id"]
    assert api("BA", Role.RMWG, "POST", f"/{revision}/propose").status_code == 200
    for party in ("RS", "MK", "AL", "BA"):
        assert api.vote(revision, party, "approve").status_code == 201
    assert api("MK", Role.RMWG, "POST", f"/{revision}/adopt").status_code == 200
    assert api("MK", Role.RMWG, "POST", f"/{revision}/publish").status_code == 200
    assert not _judged(engine, "RS", "F-5")


def test_a_new_version_replaces_the_one_in_force(api: Api, engine: Engine) -> None:
    first = api.published()
    api("RS", Role.ANALYST, "PUT", f"/{first}/activation", json={"active": True})
    second = api.published(document(weight="40", title="Footwear, revised"))
    assert api("RS", Role.ANALYST, "GET", f"/{first}").json()["status"] == "superseded"
    assert api("RS", Role.ANALYST, "GET", f"/{second}").json()["version"] == 2
    with Session(engine) as session:
        (row,) = session.scalars(select(RiskProfile).where(RiskProfile.code == CODE))
        assert (row.status, row.weight, row.title) == ("active", 40, "Footwear, revised")


def test_a_party_votes_once(api: Api) -> None:
    case = api.proposed()
    assert api.vote(case, "RS", "abstain").status_code == 201
    again = api.vote(case, "RS", "approve")
    assert again.status_code == 409 and "RS already voted abstain" in again.json()["detail"]
    # A second member of the same Party is the same Party.
    api.tokens[("RS", Role.RMWG)] = api.make_user("RS", Role.RMWG, name="another RS member")
    assert api.vote(case, "RS", "approve").status_code == 409


def test_refused_steps_say_why(api: Api) -> None:
    case = api.draft()
    assert api.vote(case, "MK", "approve").status_code == 404  # another Party's draft
    mine = api.vote(case, "RS", "approve")
    assert mine.status_code == 409 and "only a proposed case" in mine.json()["detail"]
    assert api("RS", Role.RMWG, "POST", f"/{case}/publish").status_code == 409
    assert api("MK", Role.ANALYST, "POST", f"/{case}/propose").status_code == 404
    assert api("RS", Role.ANALYST, "POST", f"/{case}/propose").status_code == 200
    again = api("RS", Role.ANALYST, "POST", f"/{case}/propose")
    assert again.status_code == 409 and "is proposed" in again.json()["detail"]
    no_reason = api.vote(case, "MK", "reject")
    assert no_reason.status_code == 422 and "says why" in no_reason.text
    # Roles: an analyst or officer cannot vote or adopt; the Secretariat and EU partners neither.
    assert api("RS", Role.ANALYST, "POST", f"/{case}/adopt").status_code == 403
    assert (
        api("RS", Role.OFFICER, "POST", f"/{case}/votes", json={"vote": "approve"}).status_code
        == 403
    )
    assert api("XS", Role.SECRETARIAT, "POST", f"/{case}/adopt").status_code == 403
    assert api("HU", Role.EU_PARTNER, "GET", f"/{case}").status_code == 403
    # Activation before publication.
    act = api("RS", Role.ANALYST, "PUT", f"/{case}/activation", json={"active": True})
    assert act.status_code == 409 and "only the published version" in act.json()["detail"]
    # A second draft of the same code while one is under way.
    dup = api("MK", Role.ANALYST, "POST", "", json={"document": document()})
    assert dup.status_code == 409 and "already under way" in dup.json()["detail"]


def test_rejection_only_once_the_quorum_is_out_of_reach(api: Api) -> None:
    case = api.proposed()
    for party in ("RS", "MK", "AL"):
        api.vote(case, party, "reject", "not a risk at our borders")
    early = api("MK", Role.RMWG, "POST", f"/{case}/reject")
    assert early.status_code == 409 and "can still be reached" in early.json()["detail"]
    api.vote(case, "BA", "abstain")
    closed = api("MK", Role.RMWG, "POST", f"/{case}/reject").json()
    assert closed["status"] == "rejected" and closed["closed_reason"] == "0 approvals, 4 needed"
    assert api.vote(case, "ME", "approve").status_code == 409
    # Rejected, the code is free for a new draft.
    assert api.draft("MK") != case


def test_the_quorum_is_a_setting(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RISKHUB_COMMON_PROFILE_QUORUM", "2")
    get_settings.cache_clear()
    case = api.proposed()
    assert api("RS", Role.ANALYST, "GET", f"/{case}").json()["tally"]["quorum"] == 2
    api.vote(case, "RS", "approve")
    assert api("MK", Role.RMWG, "POST", f"/{case}/adopt").status_code == 409
    api.vote(case, "XK", "approve")
    assert api("MK", Role.RMWG, "POST", f"/{case}/adopt").json()["status"] == "adopted"


def test_drafts_are_checked_like_any_profile(api: Api) -> None:
    bad = api("RS", Role.ANALYST, "POST", "", json={"document": document(weight="300")})
    assert bad.status_code == 422 and "weight" in bad.text and "line" in bad.text
    own = document(distribution="{level: own}")
    refused = api("RS", Role.ANALYST, "POST", "", json={"document": own})
    assert refused.status_code == 409 and "cannot be 'own'" in refused.json()["detail"]
    eu = document(scope="{parties: [HU]}")
    assert api("RS", Role.ANALYST, "POST", "", json={"document": eu}).status_code == 409
    assert api("XS", Role.SECRETARIAT, "POST", "", json={"document": document()}).status_code == 403
    # A YAML-escaped NUL is refused where it stands, not passed on to the database.
    nul = api("RS", Role.ANALYST, "POST", "", json={"document": document(title='"Foot\\0wear"')})
    assert nul.status_code == 422 and "NUL" in nul.text and "line 2" in nul.text


def test_local_decisions_follow_scope_validity_and_reason(api: Api, engine: Engine) -> None:
    ending = (date.today() + timedelta(days=10)).isoformat()
    case = api.published(document(scope="{parties: [RS, MK, AL, BA]}", valid_to=ending))
    outside = api("ME", Role.ANALYST, "PUT", f"/{case}/activation", json={"active": True})
    assert outside.status_code == 409 and "does not judge ME" in outside.json()["detail"]
    silent = api("MK", Role.ANALYST, "PUT", f"/{case}/activation", json={"active": False})
    assert silent.status_code == 422
    assert (
        api("RS", Role.OFFICER, "PUT", f"/{case}/activation", json={"active": True}).status_code
        == 403
    )
    # Once the profile's validity has ended it cannot be switched on.
    later = utcnow() + timedelta(days=11)
    with (
        acting_for("RS"),
        Session(engine) as session,
        pytest.raises(LifecycleError, match="expired"),
    ):
        publication.decide_locally(session=session, party="RS", case_id=case, active=True,
                                   reason="", user_id=None, now=later)  # fmt: skip


def _reviewed(api: Api, party: str) -> list[str]:
    api(party, Role.ANALYST, "GET", "")  # makes the user
    headers = {"Authorization": f"Bearer {api.tokens[(party, Role.ANALYST)]}"}
    r = api.client.get("/api/v1/kpis/profiles", headers=headers, params={"since": "2026-01-01"})
    return [row["profile"] for row in r.json()["profiles"]]


def _judged(engine: Engine, party: str, reference: str) -> bool:
    """Whether the common profile fired on a new footwear declaration of ``party``."""
    office = {"RS": "RS-PRE", "MK": "MK-TAB"}[party]
    record = nested(reference, party=party, office=office)
    for item in record["items"]:
        item["hs_code"] = "640299"
    summary = declarations.ingest_records(
        engine=engine, records=[record], submitted_by_party=party, body_sha256=reference
    )
    selectivity.decide_pending(engine_=engine, party=party)
    with acting_for(party), Session(engine) as session:
        decision = session.scalars(
            select(SelectivityDecision).where(
                SelectivityDecision.declaration_id == summary.declarations[0]["id"]
            )
        ).one()
        return CODE in {r.get("profile") for r in json.loads(decision.reasons)}


def test_cefta_has_seven_voters() -> None:
    assert len(CEFTA_PARTIES) == 7


def test_members_voting_at_once_cast_one_vote_for_their_party(api: Api, app_engine: Engine) -> None:
    """Ten RS members vote at the same moment: one vote counts, nine are told it was cast."""
    case = api.proposed()
    start = threading.Barrier(10)

    def cast(i: int) -> str:
        start.wait()
        try:
            writer = app_engine.execution_options(sqlite_immediate=True)  # as the API writes
            with acting_for("RS"), Session(writer) as session, session.begin():
                service.vote(session=session, party="RS", case_id=case, choice="approve",
                             comment=f"member {i}", user_id=None, now=utcnow())  # fmt: skip
            return "cast"
        except (LifecycleError, IntegrityError):
            return "refused"

    with ThreadPoolExecutor(10) as pool:
        outcomes = sorted(pool.map(cast, range(10)))
    assert outcomes == ["cast"] + ["refused"] * 9
    tally = api("RS", Role.ANALYST, "GET", f"/{case}").json()["tally"]
    assert tally["approve"] == 1


def test_loading_the_library_again_keeps_each_partys_decision(engine: Engine) -> None:
    def load() -> None:
        with acting_for("XS"), Session(engine) as session, session.begin():
            profiles.import_profiles(session=session, party="XS", text=document(), activate=True)

    load()
    with acting_for("MK"), Session(engine) as session, session.begin():
        profiles.set_activation(session=session, party="MK", code=CODE, active=False, version=1,
                                reason="not our traffic", user_id=None)  # fmt: skip
    load()
    with Session(engine) as session:
        assert "MK" not in _users_of(session) and {"RS", "AL"} <= _users_of(session)


def _users_of(session: Session) -> set[str]:
    return {
        p for p in CEFTA_PARTIES if CODE in profiles.active_common_codes(session=session, party=p)
    }
