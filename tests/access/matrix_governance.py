"""The access matrix's cases for RIFs and common risk profiles.

RIFs belong to the Party that raised them: another Party reads one only when it
is shared with it. Common profile cases belong to the RMWG: every Party's
members see them, except another Party's draft, so only the routes that read a
case by id (or act on a draft) have a foreign variant.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import yaml
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from riskhub.access.models import SharingGroup, SharingGroupMember
from riskhub.access.roles import Permission
from riskhub.db.base import utcnow
from riskhub.db.tenancy import acting_for
from riskhub.exchange.messages import CommonProfile
from riskhub.exchange.messages import Rif as RifMessage
from riskhub.exchange.models import ReceivedDocument
from riskhub.governance.common_profiles import publication
from riskhub.governance.common_profiles import service as cases
from riskhub.governance.common_profiles.models import CommonProfileCase
from riskhub.governance.rifs import service as rifs
from riskhub.governance.rifs.schemas import RifIn
from riskhub.reference.parties import CEFTA_PARTIES
from tests.access.matrix_world import Case, World

RAISER = "AL"  # raises the RIFs shared with the Parties under test


def _rif_body(**extra: Any) -> dict[str, Any]:
    return {
        "title": "Cigarettes in furniture",
        "risk_area": "financial",
        "description": "Cigarettes hidden in sofa frames.",
        "hs_codes": ["9401"],
        "valid_until": (date.today() + timedelta(days=30)).isoformat(),
        **extra,
    }


def _raise(world: World, party: str, *, group_for: str | None = None) -> int:
    """A RIF of ``party`` (a draft), or shared with ``group_for`` only."""
    body = _rif_body()
    if group_for is not None:
        name = f"matrix-{group_for}"
        with Session(world.engine) as session, session.begin():
            if (
                session.scalars(select(SharingGroup).where(SharingGroup.name == name)).first()
                is None
            ):
                group = SharingGroup(name=name)
                session.add(group)
                session.flush()
                for member in sorted({party, group_for}):
                    session.add(SharingGroupMember(group_id=group.id, member=member))
        body |= {"share": True, "distribution": "group", "group": name}
    with acting_for(party), Session(world.engine) as session, session.begin():
        row = rifs.raise_rif(session=session, party=party, body=RifIn(**body), user_id=None,
                             now=utcnow())  # fmt: skip
        return row.id


def _own_draft_rif(world: World, party: str) -> dict[str, Any]:
    return {"rif_id": _raise(world, party if party in CEFTA_PARTIES else RAISER)}


def _rif_shared_with(world: World, party: str) -> dict[str, Any]:
    raiser = RAISER if party != RAISER else "BA"
    return {"rif_id": _raise(world, raiser, group_for=party)}


def _document(world: World, code: str | None = None) -> str:
    return (
        f"code: {code or f'CEFTA-M{next(world.counter)}'}\ntitle: Footwear\nthreat: undervaluation\n"
        "criteria: {hs_code: {startswith: '64'}}\naction: {channel: yellow}\nweight: 20\n"
        "distribution: {level: cefta, tlp: GREEN}\n"
    )


def _case(world: World, drafter: str, *, to: str = "draft", votes: str = "approve") -> int:
    """A fresh case drafted by ``drafter``, taken as far as ``to``."""
    now = utcnow()
    with acting_for(drafter), Session(world.engine) as session, session.begin():
        case = cases.draft(session=session, party=drafter, text=_document(world), user_id=None,
                           now=now)  # fmt: skip
        if to != "draft":
            cases.propose(session=session, party=drafter, case_id=case.id, user_id=None, now=now)
        case_id = case.id
    if to in ("voted", "adopted", "published"):
        for voter in ("AL", "BA", "ME", "XK"):
            comment = "no" if votes == "reject" else ""
            with acting_for(voter), Session(world.engine) as session, session.begin():
                cases.vote(session=session, party=voter, case_id=case_id, choice=votes,
                           comment=comment, user_id=None, now=now)  # fmt: skip
    with acting_for(drafter), Session(world.engine) as session, session.begin():
        if to in ("adopted", "published"):
            cases.adopt(session=session, party=drafter, case_id=case_id, user_id=None, now=now)
        if to == "published":
            publication.publish(session=session, party=drafter, case_id=case_id, user_id=None,
                                now=now)  # fmt: skip
    return case_id


_drafted: dict[str, str] = {}  # the code of the draft a target just made, for its body


def _draft_to_edit(world: World, party: str) -> dict[str, Any]:
    drafter = party if party in CEFTA_PARTIES else RAISER
    case_id = _case(world, drafter)
    with Session(world.engine) as session:
        case = session.get(CommonProfileCase, case_id)
        assert case is not None
        _drafted["code"] = case.code
    return {"case_id": case_id}


def _edited(world: World, party: str) -> dict[str, Any]:
    return {"document": _document(world, code=_drafted["code"]).replace("weight: 20", "weight: 25")}


def _received(world: World, party: str) -> dict[str, Any]:
    """A common profile the RMWG's hub sent to ``party`` over the exchange."""
    code = f"CEFTA-R{next(world.counter)}"
    document = yaml.safe_load(_document(world)) | {"code": code}
    payload = CommonProfile(code=code, action="publish", version=1, document=document)
    now = utcnow()
    with acting_for(party), Session(world.engine) as session, session.begin():
        session.add(
            ReceivedDocument(
                party=party, type="common_profile", sender_party="XS", origin_node="cefta-hub",
                key=code, distribution="cefta", tlp="GREEN", forwardable=False,
                payload=payload.model_dump_json(), sent_at=now, received_at=now,
            )
        )  # fmt: skip
    return {"code": code}


def _received_rif(world: World, party: str) -> dict[str, Any]:
    """A RIF a partner hub (AL's) sent to ``party``."""
    number = f"AL-RIF-2026-{next(world.counter):04d}"
    payload = RifMessage(rif_id=number, title="Cigarettes", risk_area="financial",
                         description="Cigarettes in sofas.", hs_codes=["9401"])  # fmt: skip
    now = utcnow()
    with acting_for(party), Session(world.engine) as session, session.begin():
        session.add(
            ReceivedDocument(
                party=party, type="rif", sender_party="AL", origin_node="al-hub", key=number,
                distribution="cefta", tlp="AMBER", forwardable=False,
                payload=payload.model_dump_json(), sent_at=now, received_at=now,
            )
        )  # fmt: skip
    return {"number": number}


def _readable_case(world: World, party: str) -> dict[str, Any]:
    # A Party's draft is its own object; the Secretariat's "own" view is a proposed case.
    if party in CEFTA_PARTIES:
        return {"case_id": _case(world, party)}
    return {"case_id": _case(world, RAISER, to="proposed")}


def _at(to: str, votes: str = "approve") -> Any:
    return lambda w, p: {"case_id": _case(w, RAISER, to=to, votes=votes)}


CASES: dict[tuple[str, str], Case] = {
    ("GET", "/api/v1/rifs"): Case(Permission.RIFS_READ, 200),
    ("POST", "/api/v1/rifs"): Case(Permission.RIFS_WRITE, 201, body=lambda w, p: _rif_body()),
    ("GET", "/api/v1/rifs/{rif_id}"): Case(Permission.RIFS_READ, 200, target=_own_draft_rif),
    ("GET", "/api/v1/rifs/received"): Case(Permission.RIFS_READ, 200),
    ("PUT", "/api/v1/rifs/received/{number}/feedback"): Case(
        Permission.RIFS_WRITE, 200, target=_received_rif,
        body=lambda w, p: {"control_done": False, "outcome": "no_controls"},
    ),
    ("POST", "/api/v1/rifs/{rif_id}/share"): Case(
        Permission.RIFS_WRITE, 200, target=_own_draft_rif,
        body=lambda w, p: {"distribution": "cefta"},
    ),
    ("POST", "/api/v1/rifs/{rif_id}/withdraw"): Case(
        Permission.RIFS_WRITE, 200, target=_own_draft_rif
    ),
    ("PUT", "/api/v1/rifs/{rif_id}/feedback"): Case(
        Permission.RIFS_WRITE, 200, target=_rif_shared_with,
        body=lambda w, p: {"control_done": True, "outcome": "no_irregularity", "controls": 3},
    ),
    ("POST", "/api/v1/rifs/{rif_id}/common-profile"): Case(
        Permission.RIFS_WRITE, 201, target=_own_draft_rif
    ),
    ("GET", "/api/v1/common-profiles"): Case(Permission.GOVERNANCE_READ, 200),
    ("POST", "/api/v1/common-profiles"): Case(
        Permission.COMMON_PROFILES_DRAFT, 201, body=lambda w, p: {"document": _document(w)}
    ),
    ("GET", "/api/v1/common-profiles/adoption"): Case(Permission.GOVERNANCE_READ, 200),
    ("GET", "/api/v1/common-profiles/received"): Case(Permission.GOVERNANCE_READ, 200),
    ("PUT", "/api/v1/common-profiles/received/{code}/activation"): Case(
        Permission.COMMON_PROFILES_ACTIVATE, 200, target=_received,
        body=lambda w, p: {"active": True},
    ),
    ("PUT", "/api/v1/common-profiles/{case_id}"): Case(
        Permission.COMMON_PROFILES_DRAFT, 200, target=_draft_to_edit, body=_edited
    ),
    ("GET", "/api/v1/common-profiles/{case_id}"): Case(
        Permission.GOVERNANCE_READ, 200, target=_readable_case
    ),
    ("GET", "/api/v1/common-profiles/{case_id}/feedback"): Case(
        Permission.GOVERNANCE_READ, 200, target=_readable_case
    ),
    ("POST", "/api/v1/common-profiles/{case_id}/propose"): Case(
        Permission.COMMON_PROFILES_DRAFT, 200, target=lambda w, p: {"case_id": _case(w, p)}
        if p in CEFTA_PARTIES else {"case_id": _case(w, RAISER)},
    ),
    ("POST", "/api/v1/common-profiles/{case_id}/votes"): Case(
        Permission.RMWG_DECIDE, 201, target=_at("proposed"), foreign_variant=False,
        body=lambda w, p: {"vote": "abstain"},
    ),
    ("POST", "/api/v1/common-profiles/{case_id}/adopt"): Case(
        Permission.RMWG_DECIDE, 200, target=_at("voted"), foreign_variant=False
    ),
    ("POST", "/api/v1/common-profiles/{case_id}/reject"): Case(
        Permission.RMWG_DECIDE, 200, target=_at("voted", votes="reject"), foreign_variant=False
    ),
    ("POST", "/api/v1/common-profiles/{case_id}/publish"): Case(
        Permission.RMWG_DECIDE, 200, target=_at("adopted"), foreign_variant=False
    ),
    ("PUT", "/api/v1/common-profiles/{case_id}/activation"): Case(
        Permission.COMMON_PROFILES_ACTIVATE, 200, target=_at("published"), foreign_variant=False,
        body=lambda w, p: {"active": True},
    ),
    ("POST", "/api/v1/common-profiles/{case_id}/review"): Case(
        Permission.RMWG_DECIDE, 200, target=_at("published"), foreign_variant=False,
        body=lambda w, p: {"outcome": "keep"},
    ),
}  # fmt: skip


def check_no_leak(path: str, party: str, payload: Any, engine: Engine) -> None:
    """Lists of this area hold only what ``party`` may see."""
    if path == "/api/v1/rifs":
        assert all(r["party"] == party or r["status"] != "draft" for r in payload), payload
        for r in payload:
            if r["party"] != party:
                assert all(o["name"] is None for o in r["operators"]), r
    if path == "/api/v1/common-profiles":
        assert all(r["status"] != "draft" or r["drafted_by_party"] == party for r in payload)
    if path == "/api/v1/rifs/received":
        with Session(engine) as session:
            mine = set(
                session.scalars(
                    select(ReceivedDocument.key).where(
                        ReceivedDocument.party == party, ReceivedDocument.type == "rif"
                    )
                )
            )
        assert {r["number"] for r in payload} <= mine
    if path == "/api/v1/common-profiles/received":
        codes = {r["code"] for r in payload}
        with Session(engine) as session:
            mine = set(
                session.scalars(
                    select(ReceivedDocument.key).where(
                        ReceivedDocument.party == party, ReceivedDocument.type == "common_profile"
                    )
                )
            )
        assert codes <= mine, (codes, mine)
