"""Retention of personal data: traders' identities are removed once the period has passed.

The declaration itself (goods, values, offices, dates) stays for statistics and
risk analysis; who declared, imported, exported, sold or carried it does not.
Earlier versions kept on amendment are cleaned the same way.
"""

from __future__ import annotations

from datetime import datetime

import orjson
from sqlalchemy import Engine, select, update

from riskhub.access.distribution import TRADER_FIELDS
from riskhub.declarations.models import Declaration, DeclarationVersion

PURGED = "(purged)"  # the declarant column is required, so it keeps a marker


def cutoff(now: datetime, years: int) -> datetime:
    """The same calendar moment ``years`` before ``now`` (29 February becomes the 28th)."""
    try:
        return now.replace(year=now.year - years)
    except ValueError:
        return now.replace(year=now.year - years, day=28)


def purge_personal_data(*, engine: Engine, years: int, now: datetime) -> int:
    """Remove traders' identities from declarations lodged more than ``years`` ago."""
    limit = cutoff(now, years)
    blank = {name: None for name in TRADER_FIELDS if name != "declarant"}
    with engine.begin() as conn:
        ids = [
            i
            for (i,) in conn.execute(
                select(Declaration.id).where(
                    Declaration.lodged_at < limit, Declaration.personal_data_purged_at.is_(None)
                )
            )
        ]
        for start in range(0, len(ids), 2_000):
            batch = ids[start : start + 2_000]
            conn.execute(
                update(Declaration)
                .where(Declaration.id.in_(batch))
                .values(**blank, declarant=PURGED, personal_data_purged_at=now)
            )
            versions = conn.execute(
                select(DeclarationVersion.id, DeclarationVersion.document).where(
                    DeclarationVersion.declaration_id.in_(batch)
                )
            ).all()
            for version_id, document in versions:
                cleaned = orjson.loads(document)
                cleaned.update(blank, declarant=PURGED)
                conn.execute(
                    update(DeclarationVersion)
                    .where(DeclarationVersion.id == version_id)
                    .values(document=orjson.dumps(cleaned).decode())
                )
    return len(ids)
