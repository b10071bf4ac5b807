"""Ingestion into the real test database: idempotency, amendments, bad rows next to good ones."""

from __future__ import annotations

from pathlib import Path

import orjson
import polars as pl
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from riskhub.declarations import service
from riskhub.declarations.models import Declaration, DeclarationVersion, IngestRun
from tests.helpers import nested, rows, write_csv


def load(engine: Engine, path: Path, **kwargs: object) -> service.IngestSummary:
    return service.ingest_path(engine=engine, path=path, **kwargs)  # type: ignore[arg-type]


def test_load_stores_declarations_with_items(engine: Engine, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "a.csv", rows("R1", n_items=3) + rows("R2", n_items=1))
    summary = load(engine, path)
    assert (summary.stored, summary.items, summary.rejected_rows) == (2, 4, 0)
    assert service.stats(engine=engine) == {
        "declarations": 2, "items": 4, "amendments": 0, "known_outcomes": 0, "rejected_rows": 0,
    }  # fmt: skip
    with Session(engine) as session:
        (decl,) = service.list_declarations(session=session, party="RS", reference="R1")
        full = service.get_declaration(session=session, party="RS", declaration_id=decl.id)
        assert full is not None
        assert [i.item_no for i in full.items] == [1, 2, 3]
        assert full.items[0].hs_code == "847130"
        assert full.lodged_at.isoformat() == "2026-06-01T08:00:00"
        assert full.version == 1


def test_same_file_twice_stores_nothing_twice(engine: Engine, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "a.csv", rows("R1") + rows("R2"))
    load(engine, path)
    again = load(engine, path)
    assert (again.stored, again.amended, again.unchanged, again.items) == (0, 0, 2, 0)
    assert service.stats(engine=engine)["declarations"] == 2
    assert service.stats(engine=engine)["items"] == 4


def test_changed_declaration_is_an_amendment_and_the_old_version_is_kept(
    engine: Engine, tmp_path: Path
) -> None:
    load(engine, write_csv(tmp_path / "v1.csv", rows("R1", n_items=2)))
    amended = rows("R1", n_items=1, customs_value_eur="4200", office="RS-HOR")
    summary = load(engine, write_csv(tmp_path / "v2.csv", amended))
    assert (summary.stored, summary.amended) == (0, 1)
    assert summary.declarations[0]["version"] == 2
    with Session(engine) as session:
        decl = session.scalars(select(Declaration)).one()
        assert (decl.version, decl.office, len(decl.items)) == (2, "RS-HOR", 1)
        assert decl.items[0].customs_value_eur == 4200.0
        old = session.scalars(select(DeclarationVersion)).one()
        document = orjson.loads(old.document)
    assert old.version == 1
    assert document["office"] == "RS-PRE"
    assert [i["customs_value_eur"] for i in document["items"]] == [5000.0, 5000.0]
    assert service.stats(engine=engine)["items"] == 1


def test_amendments_inside_one_jsonl_file_are_applied_in_order(
    engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "a.jsonl"
    path.write_bytes(
        b"\n".join(
            orjson.dumps(d)
            for d in (nested("R1"), nested("R1", office="RS-HOR"), nested("R1", office="RS-BAT"))
        )
    )
    summary = load(engine, path)
    assert (summary.stored, summary.amended) == (1, 2)
    with Session(engine) as session:
        decl = session.scalars(select(Declaration)).one()
        assert (decl.version, decl.office) == (3, "RS-BAT")
        versions = session.scalars(select(DeclarationVersion.version)).all()
        assert sorted(versions) == [1, 2]


def test_good_rows_land_beside_bad_ones_and_each_bad_one_is_kept(
    engine: Engine, tmp_path: Path
) -> None:
    records = rows("OK1") + rows("BAD", n_items=2, hs_code="12AB") + rows("OK2")
    path = write_csv(tmp_path / "mixed.csv", records)
    summary = load(engine, path)
    assert (summary.stored, summary.rejected_rows) == (2, 2)
    assert {p.location for p in summary.problems} == {"mixed.csv line 4", "mixed.csv line 5"}
    assert service.stats(engine=engine)["rejected_rows"] == 2
    # Loading the same file again keeps its rejections once.
    load(engine, path)
    assert service.stats(engine=engine)["rejected_rows"] == 2


def test_party_isolation_in_reads(engine: Engine, tmp_path: Path) -> None:
    load(
        engine, write_csv(tmp_path / "a.csv", rows("R1") + rows("R1", party="MK", office="MK-TAB"))
    )
    with Session(engine) as session:
        mk = service.list_declarations(session=session, party="MK")
        assert [d.party for d in mk] == ["MK"]
        rs_id = service.list_declarations(session=session, party="RS")[0].id
        assert service.get_declaration(session=session, party="MK", declaration_id=rs_id) is None
    assert service.stats(engine=engine, party="MK")["declarations"] == 1


def test_run_record_counts_what_happened(engine: Engine, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "a.csv", rows("R1") + rows("R2", net_mass="-1"))
    summary = load(engine, path, chunk_declarations=1)
    with Session(engine) as session:
        run = session.get(IngestRun, summary.run_id)
        assert run is not None
        assert (run.status, run.stored, run.items, run.rejected_rows) == ("finished", 1, 2, 2)


def test_parquet_and_kcs_like_labels_are_stored_as_known_outcomes(
    engine: Engine, tmp_path: Path
) -> None:
    records = rows("R1", known_outcome="undervaluation", known_critical="true") + rows("R2")
    path = tmp_path / "l.parquet"
    pl.DataFrame(records).write_parquet(path)
    load(engine, path)
    assert service.known_outcomes_by_kind(engine=engine) == {"undervaluation": 2}
    assert service.stats(engine=engine)["known_outcomes"] == 2


def test_many_chunks_give_the_same_result_as_one(engine: Engine, tmp_path: Path) -> None:
    records = [r for k in range(30) for r in rows(f"R{k}", n_items=1 + k % 3)]
    path = write_csv(tmp_path / "many.csv", records)
    summary = load(engine, path, chunk_declarations=7)
    assert (summary.stored, summary.items) == (30, len(records))
    assert service.stats(engine=engine)["items"] == len(records)


def test_a_changed_known_outcome_is_an_amendment(engine: Engine, tmp_path: Path) -> None:
    service.ingest_path(
        engine=engine, path=write_csv(tmp_path / "a.csv", rows("R1", known_outcome="compliant"))
    )
    again = service.ingest_path(
        engine=engine,
        path=write_csv(tmp_path / "b.csv", rows("R1", known_outcome="undervaluation")),
    )
    assert again.amended == 1
    assert service.known_outcomes_by_kind(engine=engine) == {"undervaluation": 2}


def test_the_same_bad_body_from_two_parties_is_kept_for_each(engine: Engine) -> None:
    bad = [{"reference": "X", "items": [{"item_no": 1}]}]
    for party in ("RS", "MK"):
        summary = service.ingest_records(
            engine=engine, records=bad, submitted_by_party=party, body_sha256="same-bytes"
        )
        assert summary.rejected_rows == 1
        assert service.stats(engine=engine, party=party)["rejected_rows"] == 1


def test_implausible_dates_and_item_numbers_are_rejected(engine: Engine, tmp_path: Path) -> None:
    records = rows("OLD", n_items=1, lodged_at="0001-06-01T00:00:00Z") + rows(
        "BIG", n_items=1, item_no="3000000000"
    )
    summary = service.ingest_path(engine=engine, path=write_csv(tmp_path / "odd.csv", records))
    reasons = {p.field: p.reason for p in summary.problems}
    assert reasons["lodged_at"] == "0001-06-01 is not a plausible date (years 1900-2100)"
    assert reasons["item_no"] == "item number 3000000000 must be between 1 and 99999"
    assert summary.stored == 0


def test_two_submissions_of_the_same_new_declaration_at_once_store_it_once(
    engine: Engine, app_engine: Engine
) -> None:
    """Both callers find it absent at first; the per-Party lock makes the second wait and see it."""
    from concurrent.futures import ThreadPoolExecutor

    from riskhub.db.tenancy import acting_for
    from tests.helpers import nested

    def submit(i: int) -> str:
        with acting_for("RS"):
            summary = service.ingest_records(
                engine=app_engine, records=[nested("RACE")], submitted_by_party="RS",
                body_sha256=f"call-{i}",
            )  # fmt: skip
        return str(summary.declarations[0]["status"])

    with ThreadPoolExecutor(max_workers=4) as pool:
        statuses = sorted(pool.map(submit, range(4)))
    assert statuses == ["stored", "unchanged", "unchanged", "unchanged"]
    assert service.stats(engine=engine)["declarations"] == 1
