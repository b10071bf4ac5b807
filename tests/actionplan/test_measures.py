"""The Action Plan KPIs riskhub measures itself move with what the hub records."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from riskhub.actionplan.measures import measure_all
from riskhub.db.tenancy import acting_for
from riskhub.declarations import service as declarations
from riskhub.exchange.models import ReceivedDocument
from riskhub.selectivity import service as selectivity
from tests.helpers import nested

OFFICES = {"RS": "RS-PRE", "MK": "MK-TAB", "AL": "AL-KAK", "BA": "BA-RAC", "ME": "ME-DOB"}
DAY = date(2026, 6, 15)


def _lodge(engine: Engine, party: str) -> None:
    record = nested(f"AP-{party}", party=party, office=OFFICES[party],
                    lodged_at="2026-06-01T08:00:00Z")  # fmt: skip
    declarations.ingest_records(engine=engine, records=[record], submitted_by_party=party,
                                body_sha256=party)  # fmt: skip
    selectivity.decide_pending(engine_=engine, party=party)


def test_an_empty_hub_meets_no_target(app_engine: Engine) -> None:
    found = measure_all(engine=app_engine, today=DAY)
    assert {code: m.value for code, m in found.items()} == {
        "S3": 0.0, "S4": 0.0, "S6": 0.0, "S9": 0, "M1": 0, "S10": 0, "S11": 0, "L4": 0.0, "L7": 0,
        "M5": 0, "M6": 0,
    }  # fmt: skip
    assert not any(m.met for m in found.values())


def test_participation_selectivity_and_reports_are_counted(
    engine: Engine, app_engine: Engine
) -> None:
    for party in ("RS", "MK", "AL", "BA"):
        _lodge(engine, party)
    with acting_for("RS"), Session(engine) as session, session.begin():
        session.add(
            ReceivedDocument(
                party="RS", type="inspection_report", sender_party="MK", origin_node="hub",
                key="E-1", distribution="group", tlp="AMBER", forwardable=False, payload="{}",
                sent_at=datetime(2026, 6, 2), received_at=datetime(2026, 6, 2),
            )
        )  # fmt: skip
    found = measure_all(engine=app_engine, today=DAY)
    assert (found["L4"].value, found["L4"].met) == (round(4 / 7, 4), True)
    assert (found["S9"].value, found["S9"].met) == (4, True)
    assert (found["M1"].value, found["M1"].met) == (4, False)  # five BCPs/CCPs needed
    assert (found["S11"].value, found["S11"].met) == (1, True)
    # Decisions older than the window no longer count as selectivity at work.
    later = measure_all(engine=app_engine, today=date(2026, 12, 1))
    assert later["S9"].value == 0 and later["L4"].value == round(4 / 7, 4)


def _received(engine: Engine, party: str, sender: str, kind: str, key: str, on: datetime) -> None:
    with acting_for(party), Session(engine) as session, session.begin():
        session.add(
            ReceivedDocument(
                party=party, type=kind, sender_party=sender, origin_node="eu", key=key,
                distribution="group", tlp="AMBER", forwardable=False, payload="{}",
                sent_at=on, received_at=on,
            )
        )  # fmt: skip


def test_s10_counts_the_crossings_with_an_eu_member_state_exchanging_pre_arrival_data(
    engine: Engine, app_engine: Engine
) -> None:
    june = datetime(2026, 6, 2)
    _received(engine, "RS", "HU", "export_declaration", "HU-1", june)  # Horgoš–Röszke
    _received(engine, "BA", "HR", "export_declaration", "HR-1", june)  # Gradiška–Stara Gradiška
    _received(engine, "BA", "MK", "export_declaration", "MK-1", june)  # not an EU MS
    _received(engine, "ME", "HR", "inspection_report", "HR-2", june)  # not pre-arrival data
    found = measure_all(engine=app_engine, today=DAY)
    assert (found["S10"].value, found["S10"].met) == (2, False)  # six crossings needed
    assert measure_all(engine=app_engine, today=date(2026, 12, 1))["S10"].value == 0
