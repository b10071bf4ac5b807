"""The DuckDB SQL baseline finds what the polars engine finds: the benchmark compares like with like."""

from __future__ import annotations

from datetime import timedelta

import polars as pl
import pytest

from riskhub.matching import FINDING_SCHEMA, Matching, Tolerances, match
from riskhub.matching.sql import match_sql
from riskhub.synth.claims import vat_claims
from riskhub.synth.generator import TrafficSpec, generate
from tests.matching import LATER, T0, declaration, entry, frame

KEY = ["kind", "exit_party", "exit_reference", "entry_party", "entry_reference", "item_no"]
SAME = [*KEY, "severity", "paired_by"]


def assert_same(polars_result: Matching, sql_result: Matching) -> None:
    a, b = polars_result.findings, sql_result.findings
    assert dict(b.schema) == FINDING_SCHEMA
    # Same order too: both sort by exit, entry, kind and item.
    assert a.select(SAME).equals(b.select(SAME))
    # The values agree but for the last bits (each engine sums items in its own order).
    for column in ("exit_value", "entry_value", "difference_pct"):
        assert a.get_column(column).is_null().equals(b.get_column(column).is_null())
        both = a.select(column).with_columns(other=b.get_column(column)).drop_nulls()
        assert ((both[column] - both["other"]).abs() <= 1e-6 * both[column].abs() + 1e-9).all()
    pairs = polars_result.pairs.sort(pl.all())
    assert pairs.equals(sql_result.pairs.sort(pl.all()))


@pytest.fixture(scope="module")
def traffic() -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, object]:
    rows = generate(TrafficSpec(days=30, trucks_per_day=300, seed=3))
    now = rows.get_column("arrival_at").max() + timedelta(days=3)  # type: ignore[operator]
    exits = rows.filter(pl.col("direction") == "EXPORT")
    entries = rows.filter(pl.col("direction") != "EXPORT")
    return exits, entries, vat_claims(rows, seed=3), now


def test_sql_equals_polars_on_generated_traffic(traffic) -> None:
    exits, entries, claims, now = traffic
    a = match(exits, entries, now=now, vat_claims=claims)
    b = match_sql(exits, entries, now=now, vat_claims=claims)
    assert a.findings.height > 300
    assert_same(a, b)
    # The sentences too, where no rounding of a last bit can tip a digit.
    assert (a.findings["detail"] == b.findings["detail"]).mean() > 0.99  # type: ignore[operator]


def test_sql_equals_polars_with_traffic_unreferenced_and_cut_short(traffic) -> None:
    """Entries that quote no reference pair by vehicle and container; an early `now`
    leaves recent exits unjudged; tight tolerances find more."""
    exits, entries, claims, now = traffic
    unquoted = entries.with_columns(
        export_reference=pl.when(pl.col("reference").str.ends_with("3")).then(None)
        .otherwise(pl.col("export_reference"))
    )  # fmt: skip
    early = now - timedelta(days=10)
    tight = Tolerances(mass_pct=0.5, mass_abs_kg=5, value_pct=1, value_abs_eur=10,
                       weighbridge_pct=0.5, weighbridge_abs_kg=10, window_hours=6)  # fmt: skip
    a = match(exits, unquoted, now=early, vat_claims=claims, tolerances=tight)
    b = match_sql(exits, unquoted, now=early, vat_claims=claims, tolerances=tight)
    assert set(a.pairs.get_column("paired_by")) >= {"export_reference", "vehicle"}
    assert_same(a, b)


CASES = {
    "vehicle window": (
        [declaration("RS", "RS-E-1"), declaration("RS", "RS-E-2", at=T0 + timedelta(hours=20))],
        [entry("BA", "BA-I-1", at=T0 + timedelta(hours=25)),
         entry("BA", "BA-I-2", at=T0 + timedelta(hours=26)),
         entry("BA", "BA-I-3", at=T0 + timedelta(hours=200))],
    ),
    "contested reference": (
        [declaration("MK", "E-1"), declaration("RS", "E-1")],
        [entry("BA", "BA-I-1", export_reference="E-1", dispatch="RS", vehicle=None),
         entry("BA", "BA-I-2", export_reference="E-1", dispatch="RS", vehicle=None,
               at=T0 + timedelta(hours=1))],
    ),
    "container and items": (
        [declaration("RS", "RS-E-1", vehicle="A", container="MSCU1234567",
                     items=[{"hs_code": "852872"}, {"origin_country": "TR"}])],
        [entry("BA", "BA-I-1", vehicle="B", container="MSCU 1234567", weighbridge=5000.0,
               items=[{"hs_code": "8528.59"}, {"origin_country": "BA", "net_mass": 10.0}, {}],
               at=T0 + timedelta(hours=2))],
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", CASES)
def test_sql_equals_polars_on_edge_cases(case: str) -> None:
    exits, entries = CASES[case]
    a = match(frame(*exits), frame(*entries), now=LATER)
    b = match_sql(frame(*exits), frame(*entries), now=LATER)
    assert a.findings.height > 0
    assert_same(a, b)
