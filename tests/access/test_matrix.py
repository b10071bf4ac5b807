"""Every API route × every role × two Parties: the status, no foreign rows, one audit record each.

The routes come from the application's own OpenAPI document, so a new route
that is not described here fails ``test_every_route_is_in_the_matrix``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from riskhub.access.roles import Permission, Role, allows
from riskhub.app import create_app
from riskhub.audit.models import AuditRecord
from riskhub.db.tenancy import acting_for
from riskhub.declarations import service as declarations
from riskhub.exchange.models import ReceivedDocument
from riskhub.inspections import checklists
from riskhub.inspections.schemas import ChecklistIn
from riskhub.matching.models import MatchingFinding
from riskhub.profiles import service as profiles
from riskhub.selectivity import service as selectivity
from tests.access import matrix_capacity, matrix_governance, matrix_registries, matrix_risks
from tests.access.matrix_world import OFFICE, Case, World, foreign_of, parties_of
from tests.helpers import nested

AREAS = (matrix_capacity, matrix_governance, matrix_registries, matrix_risks)


def _decl_body(world: World, party: str) -> Any:
    body = nested(f"M{next(world.counter)}", office=OFFICE[party])
    del body["party"]
    return body


def _profile(code: str) -> str:
    return (
        f"code: {code}\ntitle: Heavy consignments\nthreat: mass\n"
        "criteria: {net_mass: {gt: 1000}}\naction: {channel: yellow}\nweight: 10\n"
    )


def _declaration_target(world: World, party: str) -> dict[str, Any]:
    return {"declaration_id": world.declaration.get(party, world.declaration["RS"])}


def _inspection_body(world: World, party: str) -> Any:
    return {
        "reference": f"CR-{next(world.counter)}",
        "kind": "documentary",
        "inspector": "officer 1",
        "started_at": "2026-06-01T09:00:00Z",
        "finished_at": "2026-06-01T09:30:00Z",
        "outcome": "no_discrepancy",
    }


CHECKLIST = {"title": "Seals", "channels": ["red"], "items": [{"key": "seal", "text": "Seal ok"}]}


def _profile_target(world: World, party: str) -> dict[str, Any]:
    return {"profile_id": world.profile.get(party, world.profile["RS"])}


MATRIX: dict[tuple[str, str], Case] = {
    ("GET", "/api/v1/me"): Case(None, 200),
    ("GET", "/api/v1/parties"): Case(None, 200),
    ("GET", "/api/v1/users"): Case(Permission.USERS_MANAGE, 200),
    ("POST", "/api/v1/users"): Case(
        Permission.USERS_MANAGE, 201,
        body=lambda w, p: {"name": f"new-{next(w.counter)}", "role": "analyst"},
    ),
    ("PUT", "/api/v1/users/{user_id}/role"): Case(
        Permission.USERS_MANAGE, 200, target=lambda w, p: {"user_id": w.victim_user(p)},
        body=lambda w, p: {"role": "rmwg"},
    ),
    ("POST", "/api/v1/users/{user_id}/disable"): Case(
        Permission.USERS_MANAGE, 200, target=lambda w, p: {"user_id": w.victim_user(p)}
    ),
    ("POST", "/api/v1/users/{user_id}/tokens"): Case(
        Permission.USERS_MANAGE, 201, target=lambda w, p: {"user_id": w.victim_user(p)}
    ),
    ("DELETE", "/api/v1/tokens/{token_id}"): Case(
        Permission.USERS_MANAGE, 204, target=lambda w, p: {"token_id": w.victim_token(p)}
    ),
    ("POST", "/api/v1/declarations"): Case(Permission.DECLARATIONS_SUBMIT, 201, body=_decl_body),
    ("GET", "/api/v1/declarations"): Case(Permission.DECLARATIONS_READ, 200),
    ("GET", "/api/v1/declarations/stats"): Case(Permission.DECLARATIONS_READ, 200),
    ("GET", "/api/v1/declarations/{declaration_id}"): Case(
        Permission.DECLARATIONS_READ, 200,
        target=lambda w, p: {"declaration_id": w.declaration.get(p, w.declaration["RS"])},
    ),
    ("GET", "/api/v1/aggregates/declarations"): Case(Permission.AGGREGATES_READ, 200),
    ("GET", "/api/v1/audit"): Case(Permission.AUDIT_READ, 200),
    ("GET", "/api/v1/declarations/{declaration_id}/decision"): Case(
        Permission.DECISIONS_READ, 200,
        target=lambda w, p: {"declaration_id": w.declaration.get(p, w.declaration["RS"])},
        role_status={Role.AGENCY_OFFICER: 404},  # the world's decisions notify customs only
    ),
    ("GET", "/api/v1/decisions"): Case(Permission.DECISIONS_READ, 200),
    ("GET", "/api/v1/profiles"): Case(Permission.PROFILES_READ, 200),
    ("POST", "/api/v1/profiles"): Case(
        Permission.PROFILES_WRITE, 201,
        body=lambda w, p: {"document": _profile(f"NEW-{next(w.counter)}")},
    ),
    ("POST", "/api/v1/profiles/backtest"): Case(
        Permission.PROFILES_WRITE, 200,
        body=lambda w, p: {"document": _profile("DRAFT-1"), "since": "2020-01-01"},
    ),
    ("GET", "/api/v1/profiles/{profile_id}"): Case(
        Permission.PROFILES_READ, 200, target=_profile_target
    ),
    ("GET", "/api/v1/profiles/{profile_id}/versions"): Case(
        Permission.PROFILES_READ, 200, target=_profile_target
    ),
    ("PUT", "/api/v1/profiles/{profile_id}/status"): Case(
        Permission.PROFILES_WRITE, 200, target=_profile_target,
        body=lambda w, p: {"status": "suspended"},
    ),
    ("GET", "/api/v1/lists"): Case(Permission.PROFILES_READ, 200),
    ("PUT", "/api/v1/lists/{name}"): Case(
        Permission.PROFILES_WRITE, 200, target=lambda w, p: {"name": "watch"},
        body=lambda w, p: {"kind": "trader", "entries": [f"{p}100000001"]},
        foreign_variant=False,
    ),
    ("GET", "/api/v1/offices/selectivity"): Case(Permission.SELECTIVITY_MANAGE, 200),
    ("PUT", "/api/v1/offices/{office}/selectivity"): Case(
        Permission.SELECTIVITY_MANAGE, 200, target=lambda w, p: {"office": OFFICE[p]},
        body=lambda w, p: {"random_rate": 0.03, "random_rate_aeo": 0.01, "target_red": 0.05,
                           "target_yellow": 0.1, "red_capacity_per_day": 40},
    ),
    ("POST", "/api/v1/declarations/{declaration_id}/inspections"): Case(
        Permission.INSPECTIONS_RECORD, 201, target=_declaration_target, body=_inspection_body,
        role_status={Role.AGENCY_OFFICER: 404},
    ),
    ("GET", "/api/v1/declarations/{declaration_id}/inspections"): Case(
        Permission.INSPECTIONS_READ, 200, target=_declaration_target,
        role_status={Role.AGENCY_OFFICER: 404},
    ),
    ("GET", "/api/v1/declarations/{declaration_id}/checklist"): Case(
        Permission.INSPECTIONS_RECORD, 200, target=_declaration_target,
        role_status={Role.AGENCY_OFFICER: 404},
    ),
    ("PUT", "/api/v1/declarations/{declaration_id}/release-times"): Case(
        Permission.DECLARATIONS_SUBMIT, 200, target=_declaration_target,
        body=lambda w, p: {"arrival_at": "2026-06-01T07:00:00Z"},
    ),
    ("GET", "/api/v1/declarations/{declaration_id}/release-times"): Case(
        Permission.INSPECTIONS_READ, 200, target=_declaration_target,
        role_status={Role.AGENCY_OFFICER: 404},
    ),
    ("GET", "/api/v1/checklists"): Case(Permission.CHECKLISTS_READ, 200),
    ("PUT", "/api/v1/checklists/{code}"): Case(
        Permission.PROFILES_WRITE, 200, target=lambda w, p: {"code": "SEALS"},
        body=lambda w, p: CHECKLIST, foreign_variant=False,
    ),
    ("GET", "/api/v1/checklists/{checklist_id}/versions"): Case(
        Permission.CHECKLISTS_READ, 200,
        target=lambda w, p: {"checklist_id": w.checklist.get(p, w.checklist["RS"])},
    ),
    ("GET", "/api/v1/profiles/{profile_id}/feedback"): Case(
        Permission.PROFILES_READ, 200, target=_profile_target
    ),
    ("GET", "/api/v1/kpis"): Case(Permission.AGGREGATES_READ, 200),
    ("GET", "/api/v1/kpis/profiles"): Case(Permission.PROFILES_READ, 200),
    ("GET", "/api/v1/kpis/pilot"): Case(
        Permission.AGGREGATES_READ, 400,  # the world has no traffic at these offices
        query={"offices": "RS-BAT", "start": "2026-06-01", "since": "2026-05-01",
               "until": "2026-06-30"},
    ),
    # Partner nodes push signed messages: no API token (the signatures say who sent them).
    ("POST", "/api/v1/exchange/messages"): Case(None, 422, body=lambda w, p: {"messages": []}),
    ("GET", "/api/v1/exchange/inbox"): Case(Permission.EXCHANGE_PULL, 200),
    ("POST", "/api/v1/exchange/receipts"): Case(
        Permission.EXCHANGE_PULL, 200, body=lambda w, p: {"receipts": ["not.a.receipt"]}
    ),
    ("GET", "/api/v1/exchange/status"): Case(Permission.EXCHANGE_READ, 200),
    ("GET", "/api/v1/exchange/documents"): Case(Permission.EXCHANGE_READ, 200),
    ("GET", "/api/v1/matching/findings"): Case(Permission.FINDINGS_READ, 200),
}  # fmt: skip
for _area in AREAS:
    MATRIX.update(_area.CASES)


def api_routes() -> set[tuple[str, str]]:
    spec = create_app().openapi()
    return {
        (method.upper(), path)
        for path, operations in spec["paths"].items()
        if path.startswith("/api/")
        for method in operations
    }


def test_every_route_is_in_the_matrix() -> None:
    assert api_routes() == set(MATRIX), "describe each new route in MATRIX"


@pytest.fixture
def world(engine: Engine, make_user: Callable[..., str]) -> World:
    w = World(engine)
    for role in Role:
        for party in parties_of(role):
            offices = [OFFICE[party]] if role is Role.OFFICER else None
            agency = "phytosanitary" if role is Role.AGENCY_OFFICER else None
            w.tokens[(role, party)] = make_user(party, role, offices=offices, agency=agency)
    for party in ("RS", "MK", "HU", "HR"):
        body = nested(f"OWN-{party}", party=party, office=OFFICE[party])
        summary = declarations.ingest_records(
            engine=engine, records=[body], submitted_by_party=party, body_sha256=party
        )
        w.declaration[party] = summary.declarations[0]["id"]
        selectivity.decide_pending(engine_=engine, party=party)
        with acting_for(party), Session(engine) as session, session.begin():
            (made,) = profiles.import_profiles(session=session, party=party, text=_profile("OWN"))
            assert made.id is not None
            w.profile[party] = made.id
            row, _ = checklists.save_checklist(
                session=session, party=party, code="OWN-CHECKS",
                body=ChecklistIn.model_validate(CHECKLIST), user_id=None,
            )  # fmt: skip
            w.checklist[party] = row.id
            session.add(
                MatchingFinding(
                    party=party, kind="undervaluation", severity="high", exit_party="AL",
                    exit_reference=f"X-{party}", entry_party=party, entry_reference=f"E-{party}",
                    item_no=0, paired_by="export_reference", detail="lower at entry",
                    detected_at=datetime(2026, 6, 1), found_by="local",
                )
            )  # fmt: skip
            session.add(
                ReceivedDocument(
                    party=party, type="rif", sender_party="AL", origin_node="al-hub",
                    key=f"K-{party}", distribution="cefta", tlp="AMBER", forwardable=False,
                    payload="{}", sent_at=datetime(2026, 6, 1), received_at=datetime(2026, 6, 1),
                )
            )  # fmt: skip
    return w


def audit_count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count(AuditRecord.id))).scalar_one())


def expected(case: Case, role: Role, *, own: bool) -> int:
    if case.permission is not None and not allows(role, case.permission):
        return 403
    return case.role_status.get(role, case.status) if own else 404


def check_no_leak(path: str, party: str, payload: Any, engine: Engine) -> None:
    """Lists hold only the caller's rows; counts are the caller's counts."""
    if path == "/api/v1/offices/selectivity":
        assert all(row["office"].startswith(party + "-") for row in payload), payload
    if path == "/api/v1/lists":
        assert all(r["party"] == party or r["distribution"] != "own" for r in payload), payload
    if path == "/api/v1/profiles":
        # Profiles shared by their owners are listed too; never another Party's own.
        assert all(r["party"] == party or r["distribution"] != "own" for r in payload), payload
    elif isinstance(payload, list) and path in (
        "/api/v1/matching/findings",
        "/api/v1/declarations",
        "/api/v1/users",
        "/api/v1/audit",
    ):
        assert all(row["party"] == party for row in payload), payload
    if path == "/api/v1/exchange/documents":
        assert all(row["key"] == f"K-{party}" for row in payload), payload
    if path == "/api/v1/declarations/stats":
        assert payload == declarations.stats(engine=engine, party=party)
    if "aggregates" in path:
        assert all(set(row) == {"party", "declarations", "items"} for row in payload)
    for area in AREAS:
        area.check_no_leak(path, party, payload, engine)


def test_matrix(world: World, engine: Engine) -> None:
    failures: list[str] = []
    calls = 0
    with TestClient(create_app()) as client:
        for (method, path), case in MATRIX.items():
            for role in Role:
                for party in parties_of(role):
                    headers = {"Authorization": f"Bearer {world.tokens[(role, party)]}"}
                    variants = [(True, party)]
                    if case.target is not None and case.foreign_variant:
                        variants.append((False, foreign_of(party)))
                    for own, owner in variants:
                        params = case.target(world, owner) if case.target else {}
                        body = case.body(world, party) if case.body else None
                        before = audit_count(engine)
                        response = client.request(
                            method, path.format(**params), headers=headers, json=body,
                            params=case.query,
                        )  # fmt: skip
                        calls += 1
                        want = expected(case, role, own=own)
                        where = f"{method} {path} as {role.value}@{party} on {owner}'s object"
                        if response.status_code != want:
                            failures.append(f"{where}: {response.status_code}, expected {want}")
                            continue
                        if audit_count(engine) != before + 1:
                            failures.append(f"{where}: not exactly one audit record")
                        if response.status_code == 200:
                            check_no_leak(path, party, response.json(), engine)
    print(f"access matrix: {len(MATRIX)} routes, {len(Role)} roles, {calls} calls")
    assert not failures, "\n".join(failures)
