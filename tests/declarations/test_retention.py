"""Retention: traders' identities leave old declarations (and their old versions); the rest stays."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import orjson
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from riskhub.declarations import service
from riskhub.declarations.models import Declaration, DeclarationVersion
from riskhub.declarations.retention import PURGED, cutoff, purge_personal_data
from tests.helpers import rows, write_csv


def test_identities_older_than_the_period_are_purged(engine: Engine, tmp_path: Path) -> None:
    old = rows("OLD", lodged_at="2015-03-01T10:00:00Z", seller="S1", carrier="C1")
    new = rows("NEW", lodged_at="2024-03-01T10:00:00Z", seller="S2")
    service.ingest_path(engine=engine, path=write_csv(tmp_path / "v1.csv", old + new))
    amended = rows("OLD", lodged_at="2015-03-01T10:00:00Z", seller="S1", carrier="C1",
                   customs_value_eur="4000")  # fmt: skip
    service.ingest_path(engine=engine, path=write_csv(tmp_path / "v2.csv", amended))

    clock = datetime(2026, 6, 1)  # an injected "now": ten years back is 2016-06-01
    assert purge_personal_data(engine=engine, years=10, now=clock) == 1
    assert purge_personal_data(engine=engine, years=10, now=clock) == 0  # nothing twice

    with Session(engine) as session:
        by_ref = {d.reference: d for d in session.scalars(select(Declaration))}
        version = session.scalars(select(DeclarationVersion)).one()
    purged, kept = by_ref["OLD"], by_ref["NEW"]
    assert (purged.declarant, purged.importer, purged.exporter, purged.seller, purged.carrier) == (
        PURGED, None, None, None, None,
    )  # fmt: skip
    assert purged.personal_data_purged_at == clock
    assert purged.office == "RS-PRE" and purged.version == 2
    assert (kept.declarant, kept.importer, kept.seller) == ("RSB10001", "RS100000001", "S2")
    document = orjson.loads(version.document)
    assert (document["importer"], document["seller"], document["declarant"]) == (None, None, PURGED)
    assert [i["customs_value_eur"] for i in document["items"]] == [5000.0, 5000.0]


def test_cutoff_handles_leap_days() -> None:
    assert cutoff(datetime(2028, 2, 29, 12), 10) == datetime(2018, 2, 28, 12)
    assert cutoff(datetime(2026, 11, 27), 7) == datetime(2019, 11, 27)


def test_an_amendment_after_the_purge_is_purged_again(engine: Engine, tmp_path: Path) -> None:
    old = rows("OLD", lodged_at="2015-03-01T10:00:00Z")
    service.ingest_path(engine=engine, path=write_csv(tmp_path / "v1.csv", old))
    clock = datetime(2026, 6, 1)
    assert purge_personal_data(engine=engine, years=10, now=clock) == 1
    amended = rows("OLD", lodged_at="2015-03-01T10:00:00Z", carrier="C9")
    service.ingest_path(engine=engine, path=write_csv(tmp_path / "v2.csv", amended))
    assert purge_personal_data(engine=engine, years=10, now=clock) == 1
    with Session(engine) as session:
        decl = session.scalars(select(Declaration)).one()
    assert (decl.importer, decl.carrier, decl.declarant) == (None, None, PURGED)
