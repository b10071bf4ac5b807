"""Revenue a control recovered, as a known outcome: stored from every format, checked, served."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import polars as pl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from riskhub.access.roles import Role
from riskhub.app import create_app
from riskhub.declarations import service
from riskhub.declarations.models import KnownOutcome
from riskhub.declarations.readers import CsvReader
from riskhub.declarations.validation import HASH, validate
from tests.conftest import MakeUser
from tests.helpers import ITEM, nested, rows, write_csv

NOW = datetime(2026, 11, 27, tzinfo=UTC)


def stored_outcomes(engine: Engine) -> list[tuple[int, str | None, bool | None, float | None]]:
    with Session(engine) as session:
        return [
            (o.item_no, o.outcome, o.critical, o.revenue_eur)
            for o in session.scalars(select(KnownOutcome).order_by(KnownOutcome.item_no))
        ]


def write(path: Path, records: list[dict[str, Any]]) -> Path:
    """The same flat rows as CSV, Parquet, or nested JSON Lines (one declaration per line)."""
    if path.suffix == ".csv":
        return write_csv(path, records)
    if path.suffix == ".parquet":
        pl.DataFrame(records).write_parquet(path)
        return path
    header = {k: v for k, v in records[0].items() if k not in ITEM and k != "item_no"}
    header = {k: v for k, v in header.items() if not k.startswith("known_")}
    items = [{k: v for k, v in r.items() if k not in header} for r in records]
    path.write_bytes(orjson.dumps({**header, "items": items}) + b"\n")
    return path


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".jsonl"])
def test_revenue_is_stored_from_every_file_format(
    engine: Engine, tmp_path: Path, suffix: str
) -> None:
    records = rows("R1", known_outcome="undervaluation", known_revenue_eur="1234.5")
    records[1] = {**records[1], "known_outcome": "compliant", "known_revenue_eur": "0"}
    summary = service.ingest_path(engine=engine, path=write(tmp_path / f"a{suffix}", records))
    assert (summary.stored, summary.rejected_rows) == (1, 0), summary.problems
    assert stored_outcomes(engine) == [
        (1, "undervaluation", None, 1234.5),
        (2, "compliant", None, 0.0),
    ]


def test_a_negative_revenue_is_rejected_on_its_line_and_good_rows_still_land(
    engine: Engine, tmp_path: Path
) -> None:
    records = (
        rows("GOOD", known_outcome="undervaluation", known_revenue_eur="80")
        + rows("BAD", n_items=1, known_outcome="undervaluation", known_revenue_eur="-12.5")
        + rows("NAN", n_items=1, known_outcome="compliant", known_revenue_eur="inf")
    )
    summary = service.ingest_path(engine=engine, path=write_csv(tmp_path / "r.csv", records))
    assert (summary.stored, summary.rejected_rows) == (1, 2)
    assert [str(p) for p in summary.problems] == [
        "r.csv line 4, field known_revenue_eur: negative revenue: -12.5 EUR",
        "r.csv line 5, field known_revenue_eur: 'inf' is not a number",
    ]
    assert [p.line for p in summary.problems] == [4, 5]
    assert stored_outcomes(engine) == [
        (1, "undervaluation", None, 80.0),
        (2, "undervaluation", None, 80.0),
    ]


def test_revenue_alone_is_kept_as_a_known_outcome(engine: Engine, tmp_path: Path) -> None:
    records = rows("R1", n_items=1, known_revenue_eur="310.25") + rows("R2", n_items=1)
    summary = service.ingest_path(engine=engine, path=write_csv(tmp_path / "a.csv", records))
    assert (summary.stored, summary.rejected_rows) == (2, 0)
    assert stored_outcomes(engine) == [(1, None, None, 310.25)]
    assert service.stats(engine=engine)["known_outcomes"] == 1
    # Counting by kind lists kinds only; a result that names none is not one.
    assert service.known_outcomes_by_kind(engine=engine) == {}


def test_fingerprints_without_revenue_are_those_stored_before_it_existed(tmp_path: Path) -> None:
    # Hashes computed by riskhub before known_revenue_eur was a field: reloading
    # what was stored then must find it unchanged, not amend every declaration.
    before = {
        "plain": ("2bf2627ebd56b66f102c836e693dd7fb8ecd32551bec968b3762084f6bbb815f", {}),
        "labelled": (
            "e6b50f97e1adf7a2b7c3a92cb52023dd9e6aa59548d031b201c84bd2ed4c95ec",
            {"known_outcome": "undervaluation", "known_critical": "true"},
        ),
    }
    for name, (expected, extra) in before.items():
        path = write_csv(tmp_path / f"{name}.csv", rows("R1", **extra))
        batch = validate(CsvReader().read(path), now=NOW)
        assert batch.accepted.get_column(HASH).unique().to_list() == [expected], name
    with_revenue = write_csv(
        tmp_path / "revenue.csv",
        rows("R1", known_outcome="undervaluation", known_critical="true", known_revenue_eur="5"),
    )
    batch = validate(CsvReader().read(with_revenue), now=NOW)
    assert batch.accepted.get_column(HASH)[0] != before["labelled"][0]


def test_a_changed_revenue_is_an_amendment(engine: Engine, tmp_path: Path) -> None:
    first = rows("R1", known_outcome="undervaluation", known_revenue_eur="100")
    service.ingest_path(engine=engine, path=write_csv(tmp_path / "a.csv", first))
    again = rows("R1", known_outcome="undervaluation", known_revenue_eur="150")
    summary = service.ingest_path(engine=engine, path=write_csv(tmp_path / "b.csv", again))
    assert (summary.amended, summary.unchanged) == (1, 0)
    assert [r for *_, r in stored_outcomes(engine)] == [150.0, 150.0]


@pytest.fixture
def client(engine: Engine) -> Iterator[TestClient]:
    with TestClient(create_app()) as c:
        yield c


def test_revenue_round_trips_through_the_api(client: TestClient, make_user: MakeUser) -> None:
    headers = {"Authorization": f"Bearer {make_user('RS', Role.ANALYST)}"}
    body = nested("R1")
    body["items"][0].update(known_outcome="misclassification", known_revenue_eur=977.4)
    body["items"][1].update(known_revenue_eur=12)
    created = client.post("/api/v1/declarations", json=body, headers=headers)
    assert created.status_code == 201, created.json()
    (status,) = created.json()["declarations"]
    got = client.get(f"/api/v1/declarations/{status['id']}", headers=headers).json()
    assert got["outcomes"] == [
        {"item_no": 1, "outcome": "misclassification", "critical": None, "revenue_eur": 977.4},
        {"item_no": 2, "outcome": None, "critical": None, "revenue_eur": 12.0},
    ]

    bad = nested("R2", n_items=1)
    bad["items"][0].update(known_outcome="undervaluation", known_revenue_eur=-1)
    refused = client.post("/api/v1/declarations", json=bad, headers=headers)
    assert refused.status_code == 422
    assert refused.json()["problems"] == [
        {
            "location": "declaration item 1",
            "field": "known_revenue_eur",
            "reason": "negative revenue: -1.0 EUR",
        }
    ]
