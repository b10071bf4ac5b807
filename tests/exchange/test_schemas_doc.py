"""The message schemas partners read are the ones the hub checks against."""

from __future__ import annotations

import json
from pathlib import Path

from riskhub.exchange.envelope import published_schemas
from riskhub.exchange.messages import PAYLOADS

DOC = Path(__file__).parents[2] / "docs" / "exchange-schemas.json"


def test_the_published_schemas_are_current() -> None:
    assert json.loads(DOC.read_text()) == published_schemas(), (
        "run: riskhub exchange schemas --out docs/exchange-schemas.json"
    )
    assert set(json.loads(DOC.read_text())) == {"envelope", *(t.value for t in PAYLOADS)}
