"""The governance pages over HTTP: RIFs, common profile votes, the risk register, joint actions.

Data is made through the API, as the governance tests do; the pages must then
show and refuse exactly what the API shows and refuses.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from riskhub.access.roles import Role
from riskhub.audit.models import AuditRecord
from riskhub.db.tenancy import acting_for
from riskhub.governance.risks.models import Risk
from tests.conftest import MakeUser
from tests.governance.test_common_profiles import document
from tests.governance.test_rifs import rif
from tests.web.conftest import sign_in

TODAY = date.today()
PAGES = ("/governance/rifs", "/governance/common-profiles", "/governance/risks",
         "/governance/joint-actions")  # fmt: skip


def api(client: TestClient, token: str, method: str, path: str, **kw: Any) -> Any:
    """Call the API as the token's user (the page session's cookie plays no part there)."""
    done = client.request(method, f"/api/v1{path}", headers={"Authorization": f"Bearer {token}"},
                          **kw)  # fmt: skip
    assert done.status_code < 300, done.text
    return done.json()


def audited(engine: Engine, party: str, action: str) -> list[str]:
    with acting_for(party), Session(engine) as session:
        rows = session.scalars(
            select(AuditRecord).where(AuditRecord.party == party, AuditRecord.action == action)
        )
        return [f"{r.object} {r.outcome}" for r in rows]


def test_each_governance_page_opens_for_its_roles_and_says_when_there_is_nothing(
    client: TestClient, make_user: MakeUser
) -> None:
    sign_in(client, make_user("RS", Role.ANALYST))
    empty = {"/governance/rifs": "No RIF has been raised by RS",
             "/governance/common-profiles": "No common profile is being drafted",
             "/governance/risks": "No risk has been recorded",
             "/governance/joint-actions": "No joint action with RS taking part"}  # fmt: skip
    for path, words in empty.items():
        page = client.get(path)
        assert page.status_code == 200 and words in page.text, path
    sign_in(client, make_user("ME", Role.OFFICER, offices=["ME-DOB"]))
    assert client.get("/governance/rifs").status_code == 200
    for path in PAGES[1:]:
        refused = client.get(path)
        assert refused.status_code == 403, path
        assert "The officer role does not open this page." in refused.text
    sign_in(client, make_user("XS", Role.SECRETARIAT))
    assert client.get("/governance/rifs").status_code == 403
    assert client.get("/governance/rifs/RS-RIF-2026-0001").status_code == 403
    assert all(client.get(path).status_code == 200 for path in PAGES[1:])
    sign_in(client, make_user("RS", Role.AUDITOR))
    assert all(client.get(path).status_code == 403 for path in PAGES)


def test_rifs_are_read_as_shared_and_receivers_give_their_feedback_in_the_page(
    client: TestClient, make_user: MakeUser, engine: Engine
) -> None:
    rs, mk = make_user("RS", Role.ANALYST), make_user("MK", Role.ANALYST)
    draft = api(client, rs, "POST", "/rifs", json=rif(title="Draft on handbags"))
    own = api(client, rs, "POST", "/rifs", json=rif(title="Kept home", distribution="own",
                                                    share=True))  # fmt: skip
    shared = api(client, rs, "POST", "/rifs", json=rif(share=True))
    sign_in(client, mk)
    listing = client.get("/governance/rifs").text
    assert shared["number"] in listing and "TLP:AMBER" in listing and "feedback owed" in listing
    assert draft["number"] not in listing and own["number"] not in listing
    for hidden in (draft["number"], own["number"], "RS-RIF-2000-0001"):
        gone = client.get(f"/governance/rifs/{hidden}")
        assert gone.status_code == 404 and "not shared with your administration" in gone.text
    page = client.get(f"/governance/rifs/{shared['number']}").text
    # Operators reach MK as pseudonyms only.
    assert "Obuca Trade" not in page and "RS100000001" not in page and "T-RS-" in page
    assert "Give MK's feedback" in page

    url = f"/governance/rifs/{shared['number']}/feedback"
    bad = client.post(url, data={"control_done": "yes", "outcome": "irregularity",
                                 "controls": "2", "detections": "3"})  # fmt: skip
    assert bad.status_code == 422 and "detections cannot exceed the controls done" in bad.text
    assert 'role="alert"' in bad.text
    done = client.post(url, data={"control_done": "yes", "outcome": "seizure", "controls": "12",
                                  "detections": "2", "value_detected_eur": "8400",
                                  "comment": "two trucks at Tabanovce"})  # fmt: skip
    assert done.status_code == 303 and done.headers["location"] == url.removesuffix("/feedback")
    assert "feedback given" in client.get("/governance/rifs").text
    assert audited(engine, "MK", "web.rif.feedback") == [f"rif:{shared['number']} seizure"]

    sign_in(client, rs)
    mine = client.get(f"/governance/rifs/{shared['number']}").text
    assert "Obuca Trade d.o.o." in mine and "two trucks at Tabanovce" in mine
    assert "1 feedback received" in client.get("/governance/rifs").text
    again = client.post(url, data={"control_done": "no", "outcome": "no_controls"})
    assert again.status_code == 409 and "not its originator" in again.text

    sign_in(client, make_user("MK", Role.OFFICER, offices=["MK-TAB"]))
    read_only = client.get(f"/governance/rifs/{shared['number']}").text
    assert "two trucks at Tabanovce" in read_only and "Send feedback" not in read_only
    assert (
        client.post(url, data={"control_done": "no", "outcome": "no_controls"}).status_code == 403
    )


def test_an_analyst_raises_and_shares_a_rif_from_the_page(
    client: TestClient, make_user: MakeUser, engine: Engine
) -> None:
    sign_in(client, make_user("AL", Role.ANALYST))
    form = {"title": "Cigarettes in tyres", "risk_area": "financial", "urgency": "urgent",
            "description": "Cigarettes hidden in spare tyres of coaches", "hs_codes": "2402",
            "valid_until": (TODAY + timedelta(days=60)).isoformat(), "distribution": "cefta",
            "tlp": "GREEN"}  # fmt: skip
    short = client.post("/governance/rifs", data={**form, "title": "Ci"})
    assert short.status_code == 422 and "title: should have at least 3 characters" in (short.text)
    assert 'value="Ci"' in short.text  # the form comes back as it was filled in
    past = client.post("/governance/rifs", data={**form, "valid_until": "2020-01-01"})
    assert past.status_code == 409 and "is already past" in past.text
    made = client.post("/governance/rifs", data=form)
    number = made.headers["location"].rsplit("/", 1)[1]
    assert made.status_code == 303 and re.fullmatch(r"AL-RIF-\d{4}-0001", number)
    assert 'id="rif-status">draft<' in client.get(f"/governance/rifs/{number}").text
    assert client.post(f"/governance/rifs/{number}/share").status_code == 303
    assert 'id="rif-status">shared<' in client.get(f"/governance/rifs/{number}").text
    sign_in(client, make_user("ME", Role.ANALYST))
    assert "Cigarettes in tyres" in client.get("/governance/rifs").text
    assert client.post(f"/governance/rifs/{number}/withdraw").status_code == 404
    assert audited(engine, "AL", "web.rif.share") == [f"rif:{number} shared"]


def _proposed(client: TestClient, token: str, code: str = "CEFTA-WEB-001") -> int:
    case = api(client, token, "POST", "/common-profiles", json={"document": document(code)})
    api(client, token, "POST", f"/common-profiles/{case['id']}/propose")
    return int(case["id"])


def test_rmwg_members_vote_once_per_party_and_adopt_only_at_the_quorum(
    client: TestClient, make_user: MakeUser, engine: Engine
) -> None:
    case = _proposed(client, make_user("RS", Role.ANALYST))
    url = f"/governance/common-profiles/{case}"
    sign_in(client, make_user("RS", Role.RMWG, name="Rada"))
    assert "0 of 4 approvals" in client.get("/governance/common-profiles").text
    page = client.get(url).text
    assert "RS's vote" in page and "Adopt" not in page and "CEFTA-WEB-001" in page
    assert client.get("/governance/common-profiles/CEFTA-WEB-001").text == page  # by code too
    assert client.post(f"{url}/vote", data={"choice": "approve"}).status_code == 303
    page = client.get(url).text
    assert "1 of 4 approvals" in page and "RS voted approve" in page
    assert audited(engine, "RS", "web.common_profile.vote") == [
        f"common_profile_case:{case} approve"
    ]
    early = client.post(f"{url}/adopt")
    assert early.status_code == 409
    assert "1 of the 4 approvals needed so far; not yet voted: AL, BA, MD, ME, MK, XK" in (
        early.text
    )

    sign_in(client, make_user("RS", Role.RMWG, name="Another RS member"))
    twice = client.post(f"{url}/vote", data={"choice": "reject", "comment": "too broad"})
    assert twice.status_code == 409 and "RS already voted approve" in twice.text
    assert "a Party votes once on each version" in twice.text

    sign_in(client, make_user("MK", Role.RMWG))
    bare = client.post(f"{url}/vote", data={"choice": "reject", "comment": "  "})
    assert bare.status_code == 422 and 'role="alert"' in bare.text
    assert "a rejection says why in the comment" in bare.text
    assert client.post(f"{url}/vote", data={"choice": "maybe"}).status_code == 422
    assert "1 of 4 approvals" in client.get(url).text  # neither counted

    sign_in(client, make_user("XS", Role.SECRETARIAT))
    assert "1 of 4 approvals" in client.get(url).text and "Cast the vote" not in (
        client.get(url).text
    )
    assert client.post(f"{url}/vote", data={"choice": "approve"}).status_code == 403
    sign_in(client, make_user("MK", Role.ANALYST))
    assert client.post(f"{url}/adopt").status_code == 403


def test_a_partys_draft_case_is_its_own(client: TestClient, make_user: MakeUser) -> None:
    mk = make_user("MK", Role.ANALYST)
    draft = api(client, mk, "POST", "/common-profiles", json={"document": document("MK-DRAFT")})
    sign_in(client, mk)
    assert client.get(f"/governance/common-profiles/{draft['id']}").status_code == 200
    sign_in(client, make_user("RS", Role.RMWG))
    for key in (str(draft["id"]), "MK-DRAFT", "999999"):
        gone = client.get(f"/governance/common-profiles/{key}")
        assert gone.status_code == 404 and "another Party&#39;s draft is its own" in gone.text
    assert "MK-DRAFT" not in client.get("/governance/common-profiles").text
    assert client.post(f"/governance/common-profiles/{draft['id']}/vote",
                       data={"choice": "approve"}).status_code == 404  # fmt: skip


def test_adopted_published_and_decided_locally_through_the_pages(
    client: TestClient, make_user: MakeUser, engine: Engine
) -> None:
    case = _proposed(client, make_user("RS", Role.ANALYST, name="Drafter"))
    url = f"/governance/common-profiles/{case}"
    for party in ("RS", "MK", "AL", "BA"):
        sign_in(client, make_user(party, Role.RMWG))
        assert client.post(f"{url}/vote", data={"choice": "approve"}).status_code == 303
    assert "The quorum is reached" in client.get(url).text
    assert client.post(f"{url}/adopt").status_code == 303
    assert 'id="case-status">adopted<' in client.get(url).text
    assert client.post(f"{url}/publish").status_code == 303
    assert 'id="case-status">published<' in client.get(url).text
    listing = client.get("/governance/common-profiles").text
    assert "4 of 7 CEFTA Parties (57%)" in listing and "AL, BA, MK, RS" in listing

    sign_in(client, make_user("MK", Role.ANALYST))
    bare = client.post(f"{url}/activation", data={"decision": "decline", "reason": ""})
    assert bare.status_code == 422 and "say why the profile is not" in bare.text
    declined = {"decision": "decline", "reason": "our national profile covers it"}
    assert client.post(f"{url}/activation", data=declined).status_code == 303
    sign_in(client, make_user("RS", Role.ANALYST))
    assert client.post(f"{url}/activation", data={"decision": "activate"}).status_code == 303
    page = client.get(url).text
    assert "our national profile covers it" in page and 'id="activation-share">14%' in page
    assert [e.split()[-1] for e in audited(engine, "RS", "web.common_profile.activation")] == [
        "activate"
    ]
    sign_in(client, make_user("AL", Role.RMWG, name="Late member"))
    late = client.post(f"{url}/adopt")
    assert late.status_code == 409 and "only a proposed case can be adopted" in late.text


def _risk(**over: Any) -> dict[str, Any]:
    return {"title": "Undervalued textiles", "category": "undervaluation", "likelihood": 4,
            "impact": 3, "owner": "Head of risk analysis", "treatment": "treat",
            "review_on": (TODAY + timedelta(days=90)).isoformat(), **over}  # fmt: skip


def test_the_register_shows_own_and_cefta_wide_risks_and_counts_the_others(
    client: TestClient, make_user: MakeUser, engine: Engine
) -> None:
    rs, mk = make_user("RS", Role.ANALYST), make_user("MK", Role.ANALYST)
    api(client, rs, "POST", "/risks", json=_risk())
    late = api(client, rs, "POST", "/risks", json=_risk(title="Ransomware on the transit system",
                                                        category="cybersecurity"))  # fmt: skip
    api(client, make_user("AL", Role.RMWG), "POST", "/risks",
        json=_risk(title="Cigarette smuggling on Corridor X", category="illicit_trade",
                   likelihood=5, impact=5))  # fmt: skip
    api(client, mk, "POST", "/risks", json=_risk(title="Counterfeit toys at the port"))
    with acting_for("RS"), Session(engine) as session, session.begin():
        session.execute(update(Risk).where(Risk.id == late["id"])
                        .values(review_on=TODAY - timedelta(days=1)))  # fmt: skip

    sign_in(client, rs)
    page = client.get("/governance/risks").text
    assert 'id="heatmap"' in page and "data-spec=" in page
    cells = re.search(r'<table id="heat-cells">.*?</table>', page, re.S)
    assert cells is not None
    rows = re.findall(r"<tr><td>(\d) \w[\w ]*</td><td>(\d) \w+</td><td>(\w+)</td>"
                      r'<td class="num">(\d+)</td></tr>', cells.group(0))  # fmt: skip
    assert rows == [("5", "5", "critical", "1"), ("4", "3", "high", "2")]
    assert "Counterfeit toys" not in page  # MK's register is MK's
    assert "Cigarette smuggling on Corridor X" in page and "CEFTA-wide" in page
    assert page.count("emerging threat</span>") == 2
    due = re.search(r'<ul id="due">(.*?)</ul>', page, re.S)
    assert due is not None and "RS-R-002" in due.group(1) and "was due" in due.group(1)
    assert 'id="overdue-count">1<' in page

    sign_in(client, make_user("XS", Role.SECRETARIAT))
    oversight = client.get("/governance/risks").text
    assert "Undervalued textiles" not in oversight and "Counterfeit toys" not in oversight
    assert "Cigarette smuggling on Corridor X" in oversight
    by_party = re.search(r'<table id="by-party">.*?</table>', oversight, re.S)
    assert by_party is not None
    rs_row = re.search(r"<th scope=\"row\">RS</th>(.*?)</tr>", by_party.group(0))
    assert rs_row is not None and rs_row.group(1).endswith('<td class="num">2</td>')


def _plan(client: TestClient, token: str, **over: Any) -> int:
    body = {"title": "Operation Clean Corridor", "goal": "Detect cigarette smuggling",
            "period_from": (TODAY - timedelta(days=2)).isoformat(),
            "period_to": (TODAY + timedelta(days=20)).isoformat(),
            "participants": ["MK", "HU"], **over}  # fmt: skip
    return int(api(client, token, "POST", "/joint-actions", json=body)["id"])


def test_joint_actions_are_seen_by_participants_and_reported_in_the_page(
    client: TestClient, make_user: MakeUser, engine: Engine
) -> None:
    action = _plan(client, make_user("RS", Role.ANALYST))
    url, mk = f"/governance/joint-actions/{action}", make_user("MK", Role.ANALYST)
    sign_in(client, make_user("BA", Role.ANALYST))
    assert "Operation Clean Corridor" not in client.get("/governance/joint-actions").text
    gone = client.get(url)
    assert gone.status_code == 404 and "joint action not found" in gone.text
    assert (
        client.post(f"{url}/report", data={"controls": "1", "detections": "0"}).status_code == 404
    )

    sign_in(client, mk)
    assert "Operation Clean Corridor" in client.get("/governance/joint-actions").text
    early = client.post(f"{url}/report", data={"controls": "10", "detections": "1"})
    assert early.status_code == 409 and "not validated by the RMWG yet" in early.text

    sign_in(client, make_user("BA", Role.RMWG))
    bare = client.post(f"{url}/decision", data={"decision": "reject", "note": ""})
    assert bare.status_code == 422 and "reason: " in bare.text
    assert client.post(f"{url}/decision", data={"decision": "validate"}).status_code == 303
    assert 'id="action-status">running<' in client.get(url).text

    sign_in(client, mk)
    wrong = client.post(f"{url}/report", data={"controls": "3", "detections": "5"})
    assert wrong.status_code == 422 and "detections cannot exceed controls" in wrong.text
    sent = {"controls": "40", "detections": "3", "seized_quantity": "1200", "seized_unit": "pcs",
            "seized_value_eur": "5400", "comment": "three vans"}  # fmt: skip
    assert client.post(f"{url}/report", data=sent).status_code == 303
    page = client.get(url).text
    assert "40 controls, 3 detections (7.5%), EUR 5,400 seized, 1200.0 pcs" in page
    assert "Not reported yet: RS, HU." in page
    assert audited(engine, "MK", "web.joint_action.report") == [
        f"joint_action:{action} 40 controls"
    ]

    sign_in(client, make_user("XS", Role.SECRETARIAT))
    listing = client.get("/governance/joint-actions").text
    assert "Operation Clean Corridor" in listing and "You see every action." in listing
    assert client.post(f"{url}/decision", data={"decision": "close",
                                                "note": "done"}).status_code == 403  # fmt: skip
