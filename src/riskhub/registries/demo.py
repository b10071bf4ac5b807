"""A short demonstration of the registries on demo data: LPCO checks and drawdown, AEO recognition.

``show`` issues a few LPCOs at one Party, submits declarations through the same
path as the API (store, then decide in one transaction that draws the
allowances), and returns printable lines: which were drawn, which exhausted the
licence, which failed a check and what channel each got; then a recognition
agreement gives a foreign AEO exporter priority passage.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from riskhub.db.base import utcnow
from riskhub.db.tenancy import acting_for
from riskhub.db.upsert import insert_for
from riskhub.declarations import service as declarations
from riskhub.registries import recognition
from riskhub.registries.lpco import service as lpcos
from riskhub.registries.lpco.schemas import LpcoIn
from riskhub.registries.models import AeoAuthorisation, AeoRecognition
from riskhub.selectivity import service as selectivity

OFFICE = {"RS": "RS-PRE", "MK": "MK-TAB", "AL": "AL-KAK", "ME": "ME-DOB"}
IMPORTER = "{party}100009001"
FOREIGN_AEO = "MK100009002"


def show(*, engine: Engine, party: str = "RS", day: date | None = None) -> list[str]:
    """Issue LPCOs at ``party``, exhaust one with declarations, recognise an AEO; the story."""
    day = day or (utcnow() - timedelta(days=1)).date()
    importer = IMPORTER.format(party=party)
    lines = [f"LPCO registry and AEO recognition at {party} ({day}):"]
    apples = _issue(engine, party, importer, day, "PHY-DEMO-APPLES", "certificate",
                    "phytosanitary", ["0808"], 1000.0, "kg")  # fmt: skip
    revoked = _issue(engine, party, importer, day, "VET-DEMO-MEAT", "certificate",
                     "veterinary", ["0201", "0202"], None, None)  # fmt: skip
    with acting_for(party), Session(engine) as session, session.begin():
        row = lpcos.find_lpco(session=session, party=party, number=revoked)
        if row is not None and row.status != lpcos.REVOKED:
            lpcos.change_status(session=session, party=party, lpco_id=row.id, action="revoke",
                                reason="establishment delisted after an outbreak",
                                issuer=lpcos.Issuer(actor="demo"), now=utcnow())  # fmt: skip
    lines.append(f"  issued {apples}: phytosanitary certificate for 1,000 kg of apples "
                 f"(HS 0808) held by {importer}; {revoked}: veterinary certificate, "
                 "then revoked")  # fmt: skip
    sends = [
        ("DEMO-LPCO-1", "080810", 400.0, apples, importer),
        ("DEMO-LPCO-2", "080810", 400.0, apples, importer),
        ("DEMO-LPCO-3", "080810", 400.0, apples, importer),  # only 200 kg left
        ("DEMO-LPCO-4", "020130", 150.0, revoked, importer),
        ("DEMO-LPCO-5", "080810", 50.0, f"PHY-{party}-NEVER-ISSUED", importer),
        ("DEMO-LPCO-6", "080810", 50.0, apples, f"{party}100009999"),
    ]
    for i, (reference, hs, kg, ref, trader) in enumerate(sends):
        at = datetime.combine(day, time(8, 0)) + timedelta(minutes=10 * i)
        lines += _declare(engine, party, reference, at, hs, kg, ref, trader)
    with acting_for(party), Session(engine) as session:
        row = lpcos.find_lpco(session=session, party=party, number=apples)
        if row is not None:
            lines.append(f"  {apples}: {row.used:,.0f} of {row.allowance or 0:,.0f} kg used")
    lines += _recognition(engine, party, day, importer)
    return lines


def _issue(engine: Engine, party: str, holder: str, day: date, name: str, kind: str,
           agency: str, hs: list[str], allowance: float | None,
           unit: str | None) -> str:  # fmt: skip
    # The type's prefix first (PHY-, VET-), as the starter library's SPS profiles expect.
    kind_prefix, rest = name.split("-", 1)
    number = f"{kind_prefix}-{party}-{rest}"
    body = LpcoIn.model_validate({
        "number": number, "kind": kind, "agency": agency, "holder": holder, "hs_scope": hs,
        "allowance": allowance, "unit": unit, "valid_from": day - timedelta(days=30),
        "valid_to": day + timedelta(days=335),
    })  # fmt: skip
    with acting_for(party), Session(engine) as session, session.begin():
        if lpcos.find_lpco(session=session, party=party, number=number) is None:
            lpcos.issue_lpco(session=session, party=party, body=body,
                             issuer=lpcos.Issuer(actor="demo"), now=utcnow())  # fmt: skip
    return number


def _declare(engine: Engine, party: str, reference: str, at: datetime, hs: str, kg: float,
             lpco: str | None, importer: str,
             exporter: str | None = None) -> list[str]:  # fmt: skip
    """Submit one declaration as the API does and describe its decision."""
    record = {
        "party": party, "reference": reference, "direction": "IMPORT", "procedure_code": "4000",
        "office": OFFICE.get(party, f"{party}-PRE"), "lodged_at": at.isoformat() + "Z",
        "declarant": f"{party}B10001", "importer": importer,
        "exporter": exporter or "MK100000002", "dispatch_country": "MK",
        "destination_country": party, "transport_mode": 3, "invoice_currency": "EUR",
        "items": [{
            "item_no": 1, "hs_code": hs, "description": "demo goods", "origin_country": "MK",
            "net_mass": kg, "gross_mass": kg * 1.1, "customs_value_eur": kg * 2,
            "lpco_refs": [lpco] if lpco else None,
        }],
    }  # fmt: skip
    sha = hashlib.sha256(json.dumps(record).encode()).hexdigest()
    stored = declarations.ingest_records(
        engine=engine, records=[record], submitted_by_party=party, body_sha256=sha
    )
    ids = [d["id"] for d in stored.declarations]
    if not ids:
        return [f"  {reference}: refused ({'; '.join(str(p.reason) for p in stored.problems)})"]
    writer = engine.execution_options(sqlite_immediate=True)
    with acting_for(party), Session(writer) as session, session.begin():
        selectivity.decide_declarations(session=session, party=party, ids=ids)
    with acting_for(party), Session(engine) as session:
        found = selectivity.decisions_for(session=session, party=party, ids=ids).get(ids[0])
    if found is None:
        return [f"  {reference}: not decided"]
    return [f"  {reference} ({kg:,.0f} kg, HS {hs}) -> {found.channel}"
            + ("" if not found.priority else ", priority lane")] + [
        f"      {r['sentence']}" for r in json.loads(found.reasons) if _shown(r)
    ]  # fmt: skip


def _shown(reason: dict[str, Any]) -> bool:
    return bool(reason.get("lpco") or reason.get("aeo") or reason.get("selected"))


def _recognition(engine: Engine, party: str, day: date, importer: str) -> list[str]:
    """``party`` recognises North Macedonia's AEOs: an MK AEO exporter gets priority passage."""
    partner = "MK" if party != "MK" else "RS"
    exporter = FOREIGN_AEO if partner == "MK" else "RS100009002"
    with acting_for(partner), Session(engine) as session, session.begin():
        session.execute(
            insert_for(session, AeoAuthorisation).values(
                party=partner, trader=exporter, kind="AEOF", valid_from=day - timedelta(days=400),
                valid_to=None, created_at=utcnow(),
            ).on_conflict_do_nothing(index_elements=["party", "trader", "kind"])
        )  # fmt: skip
    reference = f"MRA-{party}-{partner}-DEMO"
    with acting_for(party), Session(engine) as session, session.begin():
        r = AeoRecognition
        known = session.scalar(select(r.id).where(r.party == party, r.reference == reference))
        if known is None:
            recognition.add_recognition(
                session=session, party=party, partner=partner, reference=reference,
                valid_from=day - timedelta(days=10), valid_to=None, actor="demo", now=utcnow(),
            )  # fmt: skip
    at = datetime.combine(day, time(11, 0))
    said = f"  {party} recognises the AEOs of {recognition.partner_name(partner)} ({reference}):"
    return [said, *_declare(engine, party, "DEMO-AEO-1", at, "847130", 100.0, None, importer,
                            exporter)]  # fmt: skip
