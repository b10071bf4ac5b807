"""The registries' part of the demo tells its story on an empty database, and again unchanged."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Engine

from riskhub.registries import demo


def test_demo_exhausts_a_licence_flags_the_failed_checks_and_gives_priority(
    engine: Engine,
) -> None:
    lines = demo.show(engine=engine, party="RS", day=date(2026, 6, 1))
    text = "\n".join(lines)
    assert "LPCO PHY-RS-DEMO-APPLES: 400 kg drawn for item 1; 600 of 1,000 kg left" in text
    assert "item 1 declares 400 kg, more than the 200 kg left of its allowance of 1,000 kg" in text
    assert "LPCO VET-RS-DEMO-MEAT (item 1) was revoked by the veterinary agency" in text
    assert "LPCO PHY-RS-NEVER-ISSUED (item 1) is not in RS's LPCO registry" in text
    assert "is held by RS100009001, not by the importer RS100009999" in text
    assert "PHY-RS-DEMO-APPLES: 800 of 1,000 kg used" in text
    assert "DEMO-AEO-1 (100 kg, HS 847130) -> " in text and "priority lane" in text
    # Run twice, the registry and the decisions stay as they were.
    assert demo.show(engine=engine, party="RS", day=date(2026, 6, 1))[-4:] == lines[-4:]
