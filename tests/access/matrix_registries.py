"""The access matrix's cases for the AEO and LPCO registries."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import Engine, update
from sqlalchemy.orm import Session

from riskhub.access.roles import Permission
from riskhub.db.base import utcnow
from riskhub.db.tenancy import acting_for
from riskhub.registries import recognition
from riskhub.registries.lpco import service as lpcos
from riskhub.registries.lpco.schemas import LpcoIn
from riskhub.registries.models import AeoRecognition
from tests.access.matrix_world import Case, World

AGENCY = "phytosanitary"  # the matrix's agency officers belong to it


def _lpco_body(world: World, party: str) -> dict[str, Any]:
    return {
        "number": f"{party}-PHY-M{next(world.counter)}", "kind": "certificate",
        "holder": f"{party}100000001", "hs_scope": ["0808"], "allowance": 100.0, "unit": "kg",
        "valid_from": "2026-01-01", "valid_to": "2026-12-31",
    }  # fmt: skip


def _lpco(status: str = "active") -> Any:
    def target(world: World, party: str) -> dict[str, Any]:
        body = LpcoIn.model_validate({**_lpco_body(world, party), "agency": AGENCY})
        with acting_for(party), Session(world.engine) as session, session.begin():
            row = lpcos.issue_lpco(session=session, party=party, body=body,
                                   issuer=lpcos.Issuer(actor="matrix"), now=utcnow())  # fmt: skip
            if status == "suspended":
                lpcos.change_status(session=session, party=party, lpco_id=row.id,
                                    action="suspend", reason="matrix",
                                    issuer=lpcos.Issuer(actor="matrix"), now=utcnow())  # fmt: skip
            return {"lpco_id": row.id}

    return target


def _recognition(world: World, party: str) -> dict[str, Any]:
    """A fresh open agreement of ``party`` (the one before is closed: they may not overlap)."""
    n = next(world.counter)
    start = date(2030, 1, 1) + timedelta(days=n)
    with acting_for(party), Session(world.engine) as session, session.begin():
        r = AeoRecognition
        session.execute(
            update(r)
            .where(r.party == party, r.valid_from >= date(2030, 1, 1))
            .values(valid_to=r.valid_from)
        )
        row = recognition.add_recognition(
            session=session, party=party, partner="EU", reference=f"MRA-{party}-{n}",
            valid_from=start, valid_to=None, actor="matrix", now=utcnow(),
        )  # fmt: skip
        return {"recognition_id": row.id}


def _recognition_body(world: World, party: str) -> dict[str, Any]:
    # One day each, long before the agreements above start.
    n = next(world.counter)
    day = (date(2001, 1, 1) + timedelta(days=n)).isoformat()
    return {"partner": "EU", "reference": f"MRA-{n}", "valid_from": day, "valid_to": day}


REASON = {"reason": "access matrix"}
READ, ISSUE = Permission.REGISTRIES_READ, Permission.LPCO_ISSUE
CASES: dict[tuple[str, str], Case] = {
    ("POST", "/api/v1/lpcos"): Case(ISSUE, 201, body=_lpco_body),
    ("GET", "/api/v1/lpcos"): Case(READ, 200),
    ("GET", "/api/v1/lpcos/{lpco_id}"): Case(READ, 200, target=_lpco()),
    ("GET", "/api/v1/lpcos/{lpco_id}/drawdowns"): Case(READ, 200, target=_lpco()),
    ("POST", "/api/v1/lpcos/{lpco_id}/suspend"): Case(
        ISSUE, 200, target=_lpco(), body=lambda w, p: REASON
    ),
    ("POST", "/api/v1/lpcos/{lpco_id}/reinstate"): Case(
        ISSUE, 200, target=_lpco("suspended"), body=lambda w, p: REASON
    ),
    ("POST", "/api/v1/lpcos/{lpco_id}/revoke"): Case(
        ISSUE, 200, target=_lpco(), body=lambda w, p: REASON
    ),
    ("GET", "/api/v1/aeo/authorisations"): Case(READ, 200),
    ("GET", "/api/v1/aeo/recognitions"): Case(READ, 200),
    ("POST", "/api/v1/aeo/recognitions"): Case(Permission.AEO_MANAGE, 201, body=_recognition_body),
    ("POST", "/api/v1/aeo/recognitions/{recognition_id}/end"): Case(
        Permission.AEO_MANAGE,
        200,
        target=_recognition,
        body=lambda w, p: {"last_day": "2099-12-31"},
    ),
    ("GET", "/api/v1/aeo/kpis"): Case(Permission.AGGREGATES_READ, 200),
}


def check_no_leak(path: str, party: str, payload: Any, engine: Engine) -> None:
    """Lists of this area hold only what ``party`` may see."""
    if path in ("/api/v1/lpcos", "/api/v1/aeo/recognitions", "/api/v1/aeo/authorisations"):
        assert all(row["party"] == party for row in payload), payload
    if path == "/api/v1/aeo/kpis" and party not in ("XS",):
        # A Party's own numbers only; the Secretariat and the RMWG see every Party's.
        shown = {r["party"] for r in payload["priority_passage"]["parties"]}
        assert shown <= {party} or len(shown) > 2, shown
