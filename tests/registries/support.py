"""Builders for the registry tests: LPCOs, declarations citing them, decisions through the API path."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from riskhub.db.base import utcnow
from riskhub.db.tenancy import acting_for
from riskhub.declarations import service as declarations
from riskhub.registries.lpco import service as lpcos
from riskhub.registries.lpco.models import Lpco
from riskhub.registries.lpco.schemas import LpcoIn
from riskhub.selectivity import service as selectivity
from riskhub.selectivity.models import SelectivityDecision
from riskhub.selectivity.pipeline import OfficeRates
from tests.helpers import nested

IMPORTER = "RS100000001"  # the importer of tests.helpers' declarations
LODGED = date(2026, 6, 1)  # and their lodgement day


def issue(engine: Engine, number: str = "RS-LIC-1", party: str = "RS", **terms: Any) -> int:
    """An active LPCO of ``party`` (defaults: licence for HS 8471, 1,000 kg, all of 2026)."""
    body = {
        "number": number, "kind": "licence", "agency": "market_surveillance",
        "holder": IMPORTER, "hs_scope": ["8471"], "allowance": 1000.0, "unit": "kg",
        "valid_from": "2026-01-01", "valid_to": "2026-12-31", **terms,
    }  # fmt: skip
    with acting_for(party), Session(engine) as session, session.begin():
        row = lpcos.issue_lpco(session=session, party=party, body=LpcoIn.model_validate(body),
                               issuer=lpcos.Issuer(actor="test"), now=utcnow())  # fmt: skip
        return row.id


def lpco(engine: Engine, lpco_id: int, party: str = "RS") -> Lpco:
    with acting_for(party), Session(engine) as session:
        row = session.get(Lpco, lpco_id)
        assert row is not None
        session.expunge(row)
        return row


def citing(reference: str, *refs: str | None, n_items: int = 1, **item: Any) -> dict[str, Any]:
    """A declaration of RS whose items cite ``refs`` (item values from ``item``)."""
    body = nested(reference, n_items=n_items)
    if "net_mass" in item:
        item.setdefault("gross_mass", float(item["net_mass"]) * 1.1)
    for entry in body["items"]:
        entry.update(item)
        entry["lpco_refs"] = [r for r in refs if r] or None
    return body


def submit(engine: Engine, *bodies: dict[str, Any], party: str = "RS") -> list[int]:
    """Store declarations as the API does; their ids."""
    with acting_for(party):
        summary = declarations.ingest_records(
            engine=engine, records=list(bodies), submitted_by_party=party,
            body_sha256=hashlib.sha256(json.dumps(bodies, default=str).encode()).hexdigest(),
        )  # fmt: skip
    assert not summary.problems, summary.problems
    return [d["id"] for d in summary.declarations]


def decide(engine: Engine, ids: list[int], party: str = "RS") -> None:
    """Decide as POST /api/v1/declarations does: one immediate transaction."""
    writer = engine.execution_options(sqlite_immediate=True)
    with acting_for(party), Session(writer) as session, session.begin():
        selectivity.decide_declarations(session=session, party=party, ids=ids)


def decision(engine: Engine, declaration_id: int, party: str = "RS") -> SelectivityDecision:
    with acting_for(party), Session(engine) as session:
        found = selectivity.decisions_for(session=session, party=party, ids=[declaration_id])
        row = found[declaration_id]
        session.expunge(row)
        return row


def reasons(row: SelectivityDecision) -> list[dict[str, Any]]:
    return list(json.loads(row.reasons))


def lpco_reasons(row: SelectivityDecision) -> list[dict[str, Any]]:
    return [r for r in reasons(row) if r.get("lpco")]


def no_random_control(engine: Engine, office: str = "RS-PRE", party: str = "RS") -> None:
    """Channels in these tests come from profiles only."""
    with acting_for(party), Session(engine) as session, session.begin():
        rates = OfficeRates(random_rate=0.0, random_rate_aeo=0.0)
        assert selectivity.set_office_rates(session=session, party=party, office=office,
                                            rates=rates)  # fmt: skip


def decided_ids(engine: Engine) -> list[int]:
    with engine.connect() as conn:
        return list(conn.execute(select(SelectivityDecision.declaration_id)).scalars())
