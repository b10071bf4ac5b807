"""The access matrix's cases for the risk register and joint enforcement actions.

A risk of Party P is in P's register (XS: the CEFTA-wide one); another Party's
risk is a 404 to everyone, the RMWG and the Secretariat included. Joint actions
are seen by their participants, the RMWG and the Secretariat, so the
"another Party's object" variant is meaningful only where the RMWG and the
Secretariat hold no permission (reporting); the routes the RMWG uses on every
Party's actions are tested across Parties in tests/governance/test_joint_actions.py.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from riskhub.access.roles import Permission, Role
from riskhub.db.tenancy import acting_for
from riskhub.governance.joint_actions import service as actions
from riskhub.governance.joint_actions.schemas import ActionIn
from riskhub.governance.risks import service as risks
from riskhub.governance.risks.schemas import RiskIn
from riskhub.reference.parties import CEFTA_PARTIES, SECRETARIAT_PARTY
from tests.access.matrix_world import Case, World

TODAY = date.today()


def risk_body(world: World, party: str) -> dict[str, Any]:
    return {
        "title": f"Undervalued textiles {next(world.counter)}",
        "category": "undervaluation",
        "likelihood": 4,
        "impact": 3,
        "owner": "Head of risk analysis",
        "treatment": "treat",
        "indicators": "hs_code: {startswith: '61'}",
        "review_on": (TODAY + timedelta(days=90)).isoformat(),
    }


def _risk(world: World, party: str) -> dict[str, Any]:
    """A risk in ``party``'s register (XS: the CEFTA-wide one), made as its keeper would."""
    role = Role.RMWG if party == SECRETARIAT_PARTY else Role.ANALYST
    author = risks.Author(None, party, role, "matrix")
    with acting_for(party), Session(world.engine) as session, session.begin():
        row = risks.add_risk(
            session=session, author=author, data=RiskIn.model_validate(risk_body(world, party))
        )
        return {"risk_id": row.id}


def action_body(
    world: World, party: str, *, started: bool = False, participants: tuple[str, ...] = ("RS", "MK")
) -> dict[str, Any]:
    start = TODAY - timedelta(days=1) if started else TODAY + timedelta(days=7)
    return {
        "title": f"Operation {next(world.counter)}",
        "goal": "Cigarette smuggling on the corridor",
        "period_from": start.isoformat(),
        "period_to": (TODAY + timedelta(days=30)).isoformat(),
        "participants": list(participants),
        "agencies": ["customs", "border police"],
        "profiles": ["XS/CEFTA-EXC-001"],
        "rifs": [1],
    }


def _action(world: World, party: str, *, state: str = "planned") -> dict[str, Any]:
    """An action proposed by ``party`` (the Secretariat's: by RS) in ``state``."""
    owner = party if party in CEFTA_PARTIES else "RS"
    proposer = actions.Actor(None, owner, Role.ANALYST, "matrix")
    rmwg = actions.Actor(None, owner, Role.RMWG, "matrix")
    # With AL, a Party no user of the matrix belongs to: another Party's action stays foreign.
    body = ActionIn.model_validate(
        action_body(world, owner, started=state == "running", participants=(owner, "AL"))
    )
    with acting_for(owner), Session(world.engine) as session, session.begin():
        row = actions.plan(session=session, actor=proposer, data=body)
        if state != "planned":
            actions.validate(session=session, actor=rmwg, action_id=row.id)
        return {"action_id": row.id}


def _report_body(world: World, party: str) -> dict[str, Any]:
    return {"controls": 40, "detections": 3, "seized_value_eur": 1200.0, "comment": "ok"}


CASES: dict[tuple[str, str], Case] = {
    ("GET", "/api/v1/risks"): Case(Permission.GOVERNANCE_READ, 200),
    ("POST", "/api/v1/risks"): Case(Permission.RISKS_WRITE, 201, body=risk_body),
    ("GET", "/api/v1/risks/heatmap"): Case(Permission.GOVERNANCE_READ, 200),
    ("GET", "/api/v1/risks/due-for-review"): Case(Permission.PROFILES_READ, 200),
    ("GET", "/api/v1/risks/{risk_id}"): Case(Permission.GOVERNANCE_READ, 200, target=_risk),
    ("PATCH", "/api/v1/risks/{risk_id}"): Case(
        Permission.RISKS_WRITE, 200, target=_risk, body=lambda w, p: {"likelihood": 5},
        # An RMWG member reads their own Party's register but keeps the CEFTA-wide one.
        role_status={Role.RMWG: 403},
    ),
    ("POST", "/api/v1/risks/{risk_id}/candidate"): Case(
        Permission.PROFILES_WRITE, 201, target=_risk,
        body=lambda w, p: {"code": f"CAND-{next(w.counter)}"},
    ),
    ("GET", "/api/v1/joint-actions"): Case(Permission.GOVERNANCE_READ, 200),
    ("POST", "/api/v1/joint-actions"): Case(
        Permission.JOINT_ACTIONS_WRITE, 201, body=lambda w, p: action_body(w, p)
    ),
    ("GET", "/api/v1/joint-actions/{action_id}"): Case(
        Permission.GOVERNANCE_READ, 200, target=_action, foreign_variant=False
    ),
    ("POST", "/api/v1/joint-actions/{action_id}/validate"): Case(
        Permission.RMWG_DECIDE, 200, target=_action, body=lambda w, p: {"comment": "agreed"},
        foreign_variant=False,
    ),
    ("POST", "/api/v1/joint-actions/{action_id}/reject"): Case(
        Permission.RMWG_DECIDE, 200, target=_action,
        body=lambda w, p: {"reason": "overlaps another operation"}, foreign_variant=False,
    ),
    ("POST", "/api/v1/joint-actions/{action_id}/close"): Case(
        Permission.RMWG_DECIDE, 200,
        target=lambda w, p: _action(w, p, state="running"),
        body=lambda w, p: {"summary": "done"}, foreign_variant=False,
    ),
    # Only participants report; another Party's action (it does not take part) is a 404.
    ("PUT", "/api/v1/joint-actions/{action_id}/report"): Case(
        Permission.JOINT_ACTIONS_WRITE, 201,
        target=lambda w, p: _action(w, p, state="running"), body=_report_body,
    ),
}  # fmt: skip


def check_no_leak(path: str, party: str, payload: Any, engine: Engine) -> None:
    """Lists of this area hold only what ``party`` may see."""
    if path == "/api/v1/risks":
        assert all(r["party"] in (party, SECRETARIAT_PARTY) for r in payload), payload
    if path == "/api/v1/risks/heatmap":
        assert set(payload["parties"]) <= {party, SECRETARIAT_PARTY}, payload
        # Other Parties' registers reach the RMWG and the Secretariat as counts only.
        for grid in payload["by_party"].values():
            assert all(isinstance(n, int) for row in grid for n in row)
    if path == "/api/v1/risks/due-for-review":
        assert payload["party"] == party
