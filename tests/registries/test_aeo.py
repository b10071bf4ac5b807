"""The AEO registry: CSV import with plain-worded rejections, idempotent upserts, holders by date."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import orjson
import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from riskhub.cli import app
from riskhub.cli.ingest import EXIT_SOME_REJECTED
from riskhub.db.tenancy import acting_for
from riskhub.registries.models import AeoAuthorisation
from riskhub.registries.service import aeo_holders, import_aeo
from riskhub.synth.generator import TrafficSpec, _is_risky, generate_aeo
from tests.conftest import TEST_DATABASE_URL, is_postgres

runner = CliRunner()
HEADER = "party,trader,kind,valid_from,valid_to\n"
GOOD = (
    "RS,RS100000001,AEOF,2024-01-15,\n"
    "RS,RS100000002,AEOC,2025-03-01,2026-06-30\n"
    "MK,MK100000003,AEOS,2023-07-01,\n"
)


def write(path: Path, body: str, header: str = HEADER) -> Path:
    path.write_text(header + body, encoding="utf-8")
    return path


def count(engine: Engine) -> int:
    with Session(engine) as session:
        return int(session.scalar(select(func.count(AeoAuthorisation.id))) or 0)


def holders(engine: Engine, party: str, on: date) -> frozenset[str]:
    with Session(engine) as session:
        return aeo_holders(connection_or_session=session, party=party, on=on)


def test_good_rows_land_beside_bad_ones_each_with_line_and_reason(
    engine: Engine, tmp_path: Path
) -> None:
    body = (
        "RS,RS100000001,AEOF,2024-01-15,\n"  # line 2
        "XX,RS100000009,AEOF,2024-01-15,\n"  # 3: unknown Party
        "rs, RS100000002 ,aeoc,2025-03-01,2026-06-30\n"  # 4: tidied, good
        "RS,RS100000004,AEOX,2024-01-15,\n"  # 5
        "RS,RS100000005,AEOS,15/01/2024,\n"  # 6
        "RS,RS100000006,AEOS,2024-05-01,2024-04-01\n"  # 7
        "RS,,AEOC,2024-01-01,\n"  # 8
        "RS,RS100000007,AEOC\n"  # 9: too few fields
        "\n"  # 10: blank, skipped
        "XS,XS100000001,AEOC,2024-01-01,\n"  # 11: the Secretariat
        "MK,MK100000003,AEOS,2023-07-01,\n"  # 12
    )
    result = import_aeo(engine=engine, path=write(tmp_path / "aeo.csv", body))
    assert (result.inserted, result.updated, result.unchanged) == (3, 0, 0)
    assert result.rejected_rows == 7
    assert [str(p) for p in result.problems] == [
        "line 3, field party: unknown Party code 'XX'",
        "line 5, field kind: kind 'AEOX' must be AEOC, AEOS or AEOF",
        "line 6, field valid_from: '15/01/2024' is not a date (use YYYY-MM-DD, e.g. 2026-06-01)",
        "line 7, field valid_to: valid to 2024-04-01 is before valid from 2024-05-01",
        "line 8, field trader: missing required field",
        "line 9: has 3 fields; the header has 5",
        "line 11, field party: 'XS' is the Secretariat, which grants no authorisations",
    ]
    assert holders(engine, "RS", date(2026, 6, 1)) == {"RS100000001", "RS100000002"}
    assert holders(engine, "MK", date(2026, 6, 1)) == {"MK100000003"}


def test_importing_again_changes_nothing_and_a_new_validity_updates(
    engine: Engine, tmp_path: Path
) -> None:
    path = write(tmp_path / "aeo.csv", GOOD)
    first = import_aeo(engine=engine, path=path)
    again = import_aeo(engine=engine, path=path)
    assert (first.inserted, first.unchanged) == (3, 0)
    assert (again.inserted, again.updated, again.unchanged, again.rejected_rows) == (0, 0, 3, 0)
    assert count(engine) == 3
    withdrawn = GOOD.replace(
        "RS,RS100000001,AEOF,2024-01-15,", "RS,RS100000001,AEOF,2024-01-15,2026-05-31"
    )
    changed = import_aeo(engine=engine, path=write(tmp_path / "v2.csv", withdrawn))
    assert (changed.inserted, changed.updated, changed.unchanged) == (0, 1, 2)
    assert count(engine) == 3
    assert holders(engine, "RS", date(2026, 6, 1)) == {"RS100000002"}


def test_holders_are_those_valid_on_the_day(engine: Engine, tmp_path: Path) -> None:
    import_aeo(engine=engine, path=write(tmp_path / "aeo.csv", GOOD))
    # Both ends of a validity are days it holds.
    assert holders(engine, "RS", date(2024, 1, 14)) == set()
    assert holders(engine, "RS", date(2024, 1, 15)) == {"RS100000001"}
    assert holders(engine, "RS", date(2026, 6, 30)) == {"RS100000001", "RS100000002"}
    assert holders(engine, "RS", date(2026, 7, 1)) == {"RS100000001"}
    # Another Party's authorisation is not this Party's.
    assert holders(engine, "AL", date(2026, 6, 1)) == set()
    assert "MK100000003" not in holders(engine, "RS", date(2026, 6, 1))


def test_a_trader_with_two_kinds_is_one_holder_and_conflicting_repeats_are_refused(
    engine: Engine, tmp_path: Path
) -> None:
    body = (
        "RS,RS100000001,AEOC,2024-01-15,\n"
        "RS,RS100000001,AEOS,2024-02-01,\n"
        "RS,RS100000001,AEOC,2024-01-15,\n"  # an exact repeat: kept once
        "RS,RS100000001,AEOS,2025-02-01,\n"  # the same key with other dates
    )
    result = import_aeo(engine=engine, path=write(tmp_path / "aeo.csv", body))
    assert (result.inserted, result.duplicate_rows, result.rejected_rows) == (2, 1, 1)
    (problem,) = result.problems
    assert (problem.line, problem.field) == (5, "kind")
    assert "line 3 with other dates" in problem.reason
    assert holders(engine, "RS", date(2026, 6, 1)) == {"RS100000001"}


def test_a_file_without_the_columns_stores_nothing_and_says_which_are_missing(
    engine: Engine, tmp_path: Path
) -> None:
    path = write(tmp_path / "aeo.csv", "RS,RS100000001,2024-01-15\n", header="party,eori,since\n")
    result = import_aeo(engine=engine, path=path)
    assert result.rejected_rows == 1
    (problem,) = result.problems
    assert problem.line == 1
    assert "lacks the column(s) trader, kind, valid_from" in problem.reason
    assert count(engine) == 0


def test_undecodable_bytes_reject_their_row_only(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "aeo.csv"
    path.write_bytes(HEADER.encode() + b"RS,RS1\xff,AEOC,2024-01-15,\n" + GOOD.encode())
    result = import_aeo(engine=engine, path=path)
    assert (result.inserted, result.rejected_rows) == (3, 1)
    assert str(result.problems[0]) == (
        "line 2, field trader: contains characters that are not text (NUL or invalid bytes)"
    )


def test_cli_import_exits_3_when_rows_were_rejected(engine: Engine, tmp_path: Path) -> None:
    good = runner.invoke(app, ["aeo", "import", "--json", str(write(tmp_path / "g.csv", GOOD))])
    assert good.exit_code == 0, good.output
    assert orjson.loads(good.stdout.strip().splitlines()[-1])["inserted"] == 3
    bad = write(tmp_path / "b.csv", GOOD + "RS,RS100000008,AEOX,2024-01-01,\n")
    result = runner.invoke(app, ["aeo", "import", str(bad)])
    assert result.exit_code == EXIT_SOME_REJECTED
    assert "line 5, field kind: kind 'AEOX' must be AEOC, AEOS or AEOF" in result.output
    assert count(engine) == 3


def test_synth_writes_aeo_holders_that_import_cleanly_and_are_never_risky(
    engine: Engine, tmp_path: Path
) -> None:
    out = tmp_path / "traffic" / "t.csv"
    made = runner.invoke(app, ["synth", "--days", "2", "--seed", "3", "--out", str(out)])
    assert made.exit_code == 0, made.output
    aeo_file = out.parent / "aeo.csv"
    loaded = runner.invoke(app, ["aeo", "import", "--json", str(aeo_file)])
    assert loaded.exit_code == 0, loaded.output
    summary = orjson.loads(loaded.stdout.strip().splitlines()[-1])
    expected = generate_aeo(TrafficSpec(days=2, seed=3))
    assert (summary["inserted"], summary["rejected_rows"]) == (expected.height, 0)
    day = date(2026, 6, 1)
    rs = holders(engine, "RS", day)
    assert rs and all(t.startswith("RS1") for t in rs)
    numbers = [int(t[2:]) - 100_000_000 for t in rs]
    assert not _is_risky(np.array(numbers)).any()


@pytest.mark.skipif(
    not (TEST_DATABASE_URL and is_postgres(TEST_DATABASE_URL)), reason="PostgreSQL only"
)
def test_the_app_role_sees_only_its_partys_authorisations(
    engine: Engine, app_engine: Engine, tmp_path: Path
) -> None:
    import_aeo(engine=engine, path=write(tmp_path / "aeo.csv", GOOD))
    on = date(2026, 6, 1)
    with app_engine.connect() as conn:
        assert aeo_holders(connection_or_session=conn, party="RS", on=on) == set()
    with acting_for("MK"), app_engine.connect() as conn:
        assert aeo_holders(connection_or_session=conn, party="RS", on=on) == set()
        assert aeo_holders(connection_or_session=conn, party="MK", on=on) == {"MK100000003"}
    # Under row-level security too: each Party's rows are written acting for that Party.
    result = import_aeo(engine=app_engine, path=write(tmp_path / "again.csv", GOOD))
    assert (result.unchanged, result.rejected_rows) == (3, 0)
