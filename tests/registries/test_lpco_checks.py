"""The LPCO checks of a decision: each failed check is a reason and a criteria field; drawdowns."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from riskhub.db.base import utcnow
from riskhub.db.tenancy import acting_for
from riskhub.profiles import service as profiles
from riskhub.registries.lpco import service as lpcos
from riskhub.registries.lpco.models import LpcoDrawdown
from riskhub.selectivity import service as selectivity
from tests.registries.support import (
    citing,
    decide,
    decision,
    issue,
    lpco,
    lpco_reasons,
    no_random_control,
    reasons,
    submit,
)

LIBRARY = Path(__file__).parents[2] / "src" / "riskhub" / "profiles" / "library"
PROBE = """\
code: RS-LPCO-PROBE
title: Probe of the most severe LPCO problem
threat: lpco
criteria: {lpco_problem: {in: [%s]}}
action: {channel: yellow}
weight: 10
"""


def starter_profiles(engine: Engine) -> None:
    """The starter library's LPCO registry profiles, active at RS."""
    text = (LIBRARY / "lpco_registry.yaml").read_text(encoding="utf-8")
    with acting_for("RS"), Session(engine) as session, session.begin():
        made = profiles.import_profiles(session=session, party="RS", text=text, activate=True)
        assert [m.outcome for m in made] == ["created", "created"], made


def probe(engine: Engine, problem: str) -> None:
    with acting_for("RS"), Session(engine) as session, session.begin():
        (made,) = profiles.import_profiles(
            session=session, party="RS", text=PROBE % problem, activate=True
        )
        assert made.outcome == "created", made.problems


def drawdowns(engine: Engine) -> list[tuple[str, int, int, float]]:
    d = LpcoDrawdown
    with acting_for("RS"), engine.connect() as conn:
        rows = conn.execute(
            select(d.reference, d.item_no, d.declaration_version, d.amount).order_by(d.reference)
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


def change(engine: Engine, lpco_id: int, action: str) -> None:
    with acting_for("RS"), Session(engine) as session, session.begin():
        lpcos.change_status(session=session, party="RS", lpco_id=lpco_id, action=action,
                            reason="test", issuer=lpcos.Issuer(actor="t"), now=utcnow())  # fmt: skip


def test_a_valid_lpco_passes_and_its_allowance_is_drawn(app_engine: Engine) -> None:
    licence = issue(app_engine)
    (declaration,) = submit(app_engine, citing("D1", "RS-LIC-1"))  # net mass 100 kg
    decide(app_engine, [declaration])
    (reason,) = lpco_reasons(decision(app_engine, declaration))
    assert reason == {
        "lpco": "RS-LIC-1", "item_no": 1, "drawn": 100.0,
        "sentence": "LPCO RS-LIC-1: 100 kg drawn for item 1; 900 of 1,000 kg left",
    }  # fmt: skip
    assert lpco(app_engine, licence).used == 100.0
    assert drawdowns(app_engine) == [("D1", 1, 1, 100.0)]


CASES: dict[str, tuple[dict[str, Any], str, str]] = {
    # problem: (terms of the LPCO, or an action on it; the reason's sentence; starter profile)
    "unknown": ({"cite": "RS-LIC-404"},
                "LPCO RS-LIC-404 (item 1) is not in RS's LPCO registry", "CEFTA-LPCO-REG-001"),
    "revoked": ({"action": "revoke"},
                "LPCO RS-LIC-1 (item 1) was revoked by the market surveillance agency",
                "CEFTA-LPCO-REG-001"),
    "suspended": ({"action": "suspend"},
                  "LPCO RS-LIC-1 (item 1) is suspended by the market surveillance agency",
                  "CEFTA-LPCO-REG-001"),
    "expired": ({"valid_to": "2026-05-31"},
                "LPCO RS-LIC-1 (item 1) expired on 2026-05-31", "CEFTA-LPCO-REG-002"),
    "not_yet_valid": ({"valid_from": "2026-06-02"},
                      "LPCO RS-LIC-1 (item 1) is valid only from 2026-06-02, after lodgement "
                      "on 2026-06-01", "CEFTA-LPCO-REG-002"),
    "holder_mismatch": ({"holder": "RS100000999"},
                        "LPCO RS-LIC-1 (item 1) is held by RS100000999, not by the importer "
                        "RS100000001", "CEFTA-LPCO-REG-002"),
    "outside_hs_scope": ({"hs_scope": ["0808", "0809"]},
                         "LPCO RS-LIC-1 (item 1) covers HS 0808, 0809, not 847130",
                         "CEFTA-LPCO-REG-002"),
    "amount_not_declared": ({"unit": "units"},
                            "LPCO RS-LIC-1 counts units but item 1 declares no quantity",
                            "CEFTA-LPCO-REG-002"),
    "allowance_exceeded": ({"allowance": 60.0},
                           "LPCO RS-LIC-1: item 1 declares 100 kg, more than the 60 kg left of "
                           "its allowance of 60 kg", "CEFTA-LPCO-REG-002"),
}  # fmt: skip


@pytest.mark.parametrize("problem", sorted(CASES))
def test_each_failed_check_is_a_reason_a_criteria_field_and_a_starter_profile_hit(
    app_engine: Engine, problem: str
) -> None:
    setup, sentence, profile = CASES[problem]
    terms = {k: v for k, v in setup.items() if k not in ("cite", "action")}
    licence = issue(app_engine, **terms)
    if "action" in setup:
        if setup["action"] == "revoke":
            change(app_engine, licence, "suspend")  # revoked from suspended, too
        change(app_engine, licence, setup["action"])
    no_random_control(app_engine)
    starter_profiles(app_engine)
    probe(app_engine, problem)
    (declaration,) = submit(app_engine, citing("D1", setup.get("cite", "RS-LIC-1")))
    decide(app_engine, [declaration])
    found = decision(app_engine, declaration)
    assert lpco_reasons(found) == [
        {"lpco": setup.get("cite", "RS-LIC-1"), "item_no": 1, "problem": problem,
         "sentence": sentence}
    ]  # fmt: skip
    selected = {r["profile"] for r in reasons(found) if r.get("selected")}
    assert selected == {profile, "RS-LPCO-PROBE"}
    assert found.channel == ("red" if profile.endswith("001") else "yellow")
    # Nothing is drawn for an item that failed a check.
    assert lpco(app_engine, licence).used == 0.0
    assert drawdowns(app_engine) == []


def test_without_a_registry_nothing_is_checked(app_engine: Engine) -> None:
    starter_profiles(app_engine)
    no_random_control(app_engine)
    (declaration,) = submit(app_engine, citing("D1", "LIC-RS-123456"))
    decide(app_engine, [declaration])
    found = decision(app_engine, declaration)
    assert lpco_reasons(found) == []
    assert found.channel == "green"


def test_the_most_severe_problem_is_the_field_and_all_are_listed(app_engine: Engine) -> None:
    licence = issue(app_engine, holder="RS100000999")
    change(app_engine, licence, "suspend")
    probe(app_engine, "suspended")
    (declaration,) = submit(app_engine, citing("D1", "RS-LIC-404", "RS-LIC-1"))
    decide(app_engine, [declaration])
    found = decision(app_engine, declaration)
    # Suspended outranks unknown; each LPCO cited gives its own reason.
    assert [r["problem"] for r in lpco_reasons(found)] == ["unknown", "suspended"]
    assert any(r.get("profile") == "RS-LPCO-PROBE" for r in reasons(found))


def test_allowance_is_first_come_first_served_and_an_overdraw_draws_nothing(
    app_engine: Engine,
) -> None:
    licence = issue(app_engine, allowance=250.0)
    ids = submit(app_engine, *(citing(f"D{i}", "RS-LIC-1") for i in range(1, 4)))
    decide(app_engine, ids)  # one submission of three: lodgement order, then id
    problems = [[r.get("problem") for r in lpco_reasons(decision(app_engine, i))] for i in ids]
    assert problems == [[None], [None], ["allowance_exceeded"]]
    assert lpco(app_engine, licence).used == 200.0
    (small,) = submit(app_engine, citing("D4", "RS-LIC-1", net_mass=50))
    decide(app_engine, [small])
    assert lpco(app_engine, licence).used == 250.0
    assert [r[0] for r in drawdowns(app_engine)] == ["D1", "D2", "D4"]


def test_redeciding_and_amending_replace_the_drawdown_never_draw_twice(app_engine: Engine) -> None:
    licence = issue(app_engine, allowance=500.0)
    (declaration,) = submit(app_engine, citing("D1", "RS-LIC-1"))
    decide(app_engine, [declaration])
    decide(app_engine, [declaration])  # the same version again: decided once, drawn once
    assert lpco(app_engine, licence).used == 100.0
    # An amendment: version 2 declares 300 kg and replaces the 100 kg of version 1.
    submit(app_engine, citing("D1", "RS-LIC-1", net_mass=300))
    decide(app_engine, [declaration])
    assert lpco(app_engine, licence).used == 300.0
    assert drawdowns(app_engine) == [("D1", 1, 2, 300.0)]
    # Version 3 no longer cites the LPCO: its amount goes back.
    submit(app_engine, citing("D1", None, net_mass=300))
    decide(app_engine, [declaration])
    assert lpco(app_engine, licence).used == 0.0
    assert drawdowns(app_engine) == []


def test_an_amendment_that_no_longer_fits_gives_back_its_earlier_draw(app_engine: Engine) -> None:
    licence = issue(app_engine, allowance=150.0)
    (declaration,) = submit(app_engine, citing("D1", "RS-LIC-1"))
    decide(app_engine, [declaration])
    submit(app_engine, citing("D1", "RS-LIC-1", net_mass=200))
    decide(app_engine, [declaration])
    (reason,) = lpco_reasons(decision(app_engine, declaration))
    assert reason["problem"] == "allowance_exceeded"
    assert "more than the 150 kg left" in reason["sentence"]  # its own 100 kg count as left
    assert lpco(app_engine, licence).used == 0.0


def test_value_and_unit_allowances_draw_customs_value_and_quantity(app_engine: Engine) -> None:
    value = issue(app_engine, "RS-EUR-1", allowance=12000.0, unit="eur")
    units = issue(app_engine, "RS-PCS-1", allowance=10.0, unit="units")
    body = citing("D1", "RS-EUR-1", "RS-PCS-1", n_items=2, quantity=4)
    ids = submit(app_engine, body)
    decide(app_engine, ids)
    assert lpco(app_engine, value).used == 10000.0  # 2 items of 5,000 EUR
    assert lpco(app_engine, units).used == 8.0


def test_the_batch_path_checks_and_draws_alike(engine: Engine) -> None:
    licence = issue(engine, allowance=150.0)
    submit(engine, *(citing(f"D{i}", "RS-LIC-1") for i in range(1, 3)))
    summary = selectivity.decide_pending(engine_=engine, party="RS")
    assert summary.decided == 2
    assert lpco(engine, licence).used == 100.0
    assert [r[0] for r in drawdowns(engine)] == ["D1"]
