"""The message schemas partners read are the ones the hub checks against."""

from __future__ import annotations

import json
from pathlib import Path

from riskhub.exchange.messages import PAYLOADS, json_schemas

DOC = Path(__file__).parents[2] / "docs" / "exchange-schemas.json"


def test_the_published_schemas_are_current() -> None:
    assert json.loads(DOC.read_text()) == json_schemas(), (
        "run: riskhub exchange schemas --out docs/exchange-schemas.json"
    )
    assert set(json.loads(DOC.read_text())) == {t.value for t in PAYLOADS}
