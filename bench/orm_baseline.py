"""The side-by-side baseline for bench/ingest.py: a plain SQLAlchemy ORM ``session.add_all`` loop.

It reads the same CSV with the csv module, builds Declaration and DeclarationItem
objects, and adds them in batches, as one would without riskhub's bulk path. It
does no validation and no idempotency check, so it only does less work.
"""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from riskhub.declarations import fields
from riskhub.declarations.models import Declaration, DeclarationItem

_FLOATS = {
    "total_gross_mass",
    "weighbridge_mass",
    "net_mass",
    "gross_mass",
    "quantity",
    "customs_value_eur",
    "duty_rate",
}
_INTS = {"transport_mode", "item_no"}


def _value(name: str, text: str) -> Any:
    if text == "":
        return None
    if name in _FLOATS:
        return float(text)
    if name in _INTS:
        return int(text)
    if name in {"lodged_at", "arrival_at"}:
        return datetime.fromisoformat(text)
    if name == "preferential_origin":
        return text == "true"
    return text


def orm_load(engine: Engine, path: Path, *, max_items: int, batch: int = 5_000) -> int:
    """Load up to ``max_items`` item rows through the ORM; returns the items loaded."""
    now = datetime.now()
    loaded = 0
    current: dict[tuple[str, str], Declaration] = {}
    with path.open(newline="") as fh, Session(engine) as session:
        for row in csv.DictReader(fh):
            if loaded >= max_items:
                break
            key = (row["party"], row["reference"])
            decl = current.get(key)
            if decl is None:
                if len(current) >= batch:
                    session.add_all(current.values())
                    session.commit()
                    session.expunge_all()
                    current = {}
                decl = Declaration(
                    **{n: _value(n, row[n]) for n in fields.HEADER if n in row},
                    version=1,
                    content_hash="-",
                    created_at=now,
                    updated_at=now,
                )
                current[key] = decl
            decl.items.append(
                DeclarationItem(
                    party=row["party"], **{n: _value(n, row[n]) for n in fields.ITEM if n in row}
                )
            )
            loaded += 1
        session.add_all(current.values())
        session.commit()
    return loaded
