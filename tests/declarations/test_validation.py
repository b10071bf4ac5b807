"""Validation: each rule names the line, the field and the reason; good rows pass untouched."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from riskhub.declarations.problems import Problem, problems_list
from riskhub.declarations.readers import CsvReader
from riskhub.declarations.validation import HASH, ValidatedBatch, validate
from tests.helpers import rows, write_csv

NOW = datetime(2026, 11, 27, tzinfo=UTC)


def check(tmp_path: Path, records: list[dict[str, Any]]) -> ValidatedBatch:
    path = write_csv(tmp_path / "in.csv", records)
    return validate(CsvReader().read(path), now=NOW)


def only_problem(batch: ValidatedBatch) -> Problem:
    """The single problem found with a field (other rows of its declaration are collateral)."""
    found = [p for p in problems_list(batch.problems) if p.field]
    assert len(found) == 1, found
    return found[0]


def test_valid_declaration_is_accepted_typed(tmp_path: Path) -> None:
    batch = check(tmp_path, rows("R1", n_items=3))
    assert batch.problems.height == 0
    assert batch.rejected_rows == 0
    assert batch.declarations == 1
    first = batch.accepted.row(0, named=True)
    assert first["net_mass"] == 100.0
    assert first["lodged_at"] == datetime(2026, 6, 1, 8, 0)
    assert first["transport_mode"] == 3
    assert first["direction"] == "IMPORT"
    assert batch.accepted.get_column(HASH).n_unique() == 1


@pytest.mark.parametrize(
    ("override", "field", "reason"),
    [
        ({"net_mass": "-5"}, "net_mass", "negative mass: -5.0 kg"),
        ({"gross_mass": "50"}, "gross_mass", "gross mass 50.0 kg is less than net mass 100.0 kg"),
        ({"hs_code": "84713A"}, "hs_code", "HS code '84713A' must contain digits only"),
        ({"hs_code": "84713"}, "hs_code", "HS code '84713' has 5 digits; 6 to 10 are expected"),
        ({"hs_code": "770110"}, "hs_code", "HS code '770110' is in chapter 77, which does not exist"),
        ({"origin_country": "QQ"}, "origin_country", "unknown country code 'QQ'"),
        ({"party": "QQ"}, "party", "unknown Party code 'QQ'"),
        ({"declarant": "X" * 40}, "declarant", "is 40 characters long; at most 35 are allowed"),
        ({"direction": "IMPORTED"}, "direction", "direction 'IMPORTED' must be IMPORT, EXPORT or TRANSIT"),
        ({"customs_value_eur": "lots"}, "customs_value_eur", "'lots' is not a number"),
        ({"transport_mode": "12"}, "transport_mode", "transport mode 12 is not a WCO mode of transport (1-9)"),
        ({"incoterm": "XYZ"}, "incoterm", "unknown Incoterm 'XYZ'"),
        ({"procedure_code": "40"}, "procedure_code", "procedure code '40' must be 4 digits, e.g. 4000"),
        ({"lodged_at": "yesterday"}, "lodged_at", "'yesterday' is not a date and time (use ISO 8601, e.g. 2026-06-01T08:30:00Z)"),
        ({"lodged_at": "2027-03-01T00:00:00Z"}, "lodged_at", "lodgement time 2027-03-01 00:00 UTC is in the future"),
        ({"declarant": ""}, "declarant", "missing required field"),
        ({"importer": ""}, "importer", "missing: an import declaration names its importer"),
        ({"container_ids": "ABC"}, "container_ids", "container numbers 'ABC' must each be ISO 6346 (e.g. MSCU1234565)"),
        ({"extra": "[1, 2]"}, "extra", "must be a JSON object"),
        ({"duty_rate": "-1"}, "duty_rate", "duty rate -1.0% is outside 0-1000%"),
    ],
)  # fmt: skip
def test_each_rule_names_line_field_and_reason(
    tmp_path: Path, override: dict[str, str], field: str, reason: str
) -> None:
    batch = check(tmp_path, rows("R1", n_items=1, **override))
    problem = only_problem(batch)
    assert (problem.location, problem.field, problem.reason) == ("in.csv line 2", field, reason)
    assert batch.accepted.height == 0
    assert batch.rejected_rows == 1


def test_bad_item_rejects_its_whole_declaration_and_says_where(tmp_path: Path) -> None:
    records = rows("GOOD", n_items=2) + rows("BAD", n_items=3)
    records[3]["net_mass"] = "-1"  # BAD item 2, on line 5
    batch = check(tmp_path, records)
    found = problems_list(batch.problems)
    assert [(p.line, p.field) for p in found] == [(4, ""), (5, "net_mass"), (6, "")]
    assert found[0].reason == "not stored: in.csv line 5 of the same declaration has a problem"
    assert batch.accepted.get_column("reference").unique().to_list() == ["GOOD"]
    assert batch.rejected_rows == 3


def test_header_must_agree_across_items(tmp_path: Path) -> None:
    records = rows("R1", n_items=2)
    records[1]["office"] = "RS-HOR"
    batch = check(tmp_path, records)
    problem = only_problem(batch)
    assert batch.rejected_rows == 2
    assert (problem.line, problem.field) == (3, "office")
    assert problem.reason == (
        "'RS-HOR' differs from 'RS-PRE' on in.csv line 2, the first row of this declaration"
    )


def test_item_number_twice_is_rejected(tmp_path: Path) -> None:
    records = rows("R1", n_items=2)
    records[1]["item_no"] = "1"
    records[1]["hs_code"] = "640399"
    problem = only_problem(check(tmp_path, records))
    assert (
        problem.reason
        == "item 1 appears more than once in this declaration (first on in.csv line 2)"
    )


def test_identical_repeated_rows_count_once(tmp_path: Path) -> None:
    records = rows("R1", n_items=2)
    batch = check(tmp_path, records + records[:1])
    assert batch.problems.height == 0
    assert batch.duplicate_rows == 1
    assert batch.accepted.height == 2


def test_codes_are_normalised_before_checking(tmp_path: Path) -> None:
    batch = check(
        tmp_path,
        rows("R1", n_items=1, party=" rs ", hs_code="8471.30.00", origin_country="cn",
             direction="import"),
    )  # fmt: skip
    assert batch.problems.height == 0
    row = batch.accepted.row(0, named=True)
    assert (row["party"], row["hs_code"], row["origin_country"]) == ("RS", "84713000", "CN")


def test_fingerprint_ignores_formatting_but_not_values(tmp_path: Path) -> None:
    plain = check(tmp_path, rows("R1", customs_value_eur="5000", lodged_at="2026-06-01T08:00:00Z"))
    styled = check(
        tmp_path, rows("R1", customs_value_eur="5000.00", lodged_at="2026-06-01 10:00:00+02:00")
    )
    changed = check(tmp_path, rows("R1", customs_value_eur="4999"))
    fingerprint = [b.accepted.get_column(HASH)[0] for b in (plain, styled, changed)]
    assert fingerprint[0] == fingerprint[1]
    assert fingerprint[0] != fingerprint[2]


def test_same_reference_twice_in_nested_input_is_two_rounds() -> None:
    from riskhub.declarations.readers import RecordCollector
    from tests.helpers import nested

    collector = RecordCollector()
    collector.add(nested("R1"), line=1, where="line 1")
    collector.add(nested("R1", office="RS-HOR"), line=2, where="line 2")
    batch = validate(collector.batch(), now=NOW)
    rounds = list(batch.rounds())
    assert [r.get_column("office").unique().to_list() for r in rounds] == [["RS-PRE"], ["RS-HOR"]]


_fields = st.sampled_from(
    ["net_mass", "gross_mass", "customs_value_eur", "quantity", "known_revenue_eur"]
)


@settings(max_examples=40, deadline=None)
@given(
    n_items=st.integers(min_value=1, max_value=5),
    bad_item=st.integers(min_value=0, max_value=4),
    field=_fields,
    value=st.floats(min_value=-1e9, max_value=-0.01, allow_nan=False),
)
def test_any_negative_amount_is_caught_on_its_line(
    tmp_path_factory: pytest.TempPathFactory, n_items: int, bad_item: int, field: str,
    value: float,
) -> None:  # fmt: skip
    records = rows("GOOD", n_items=1) + rows("R1", n_items=n_items)
    target = 1 + min(bad_item, n_items - 1)
    records[target][field] = repr(value)
    batch = check(tmp_path_factory.mktemp("h"), records)
    flagged = {(p.line, p.field) for p in problems_list(batch.problems) if p.field}
    assert (target + 2, field) in flagged
    assert batch.accepted.get_column("reference").unique().to_list() == ["GOOD"]
    assert batch.rejected_rows == n_items


def test_nul_characters_are_rejected_not_stored() -> None:
    from riskhub.declarations.readers import RecordCollector
    from tests.helpers import nested

    collector = RecordCollector()
    collector.add(nested("R\x001", declarant="bad\x00id"), line=1, where="declaration")
    batch = validate(collector.batch(), now=NOW)
    assert batch.accepted.height == 0
    reasons = {(p.field, p.reason) for p in problems_list(batch.problems)}
    assert ("declarant", "contains characters that are not text (NUL or invalid bytes)") in reasons
    assert ("reference", "contains characters that are not text (NUL or invalid bytes)") in reasons
    assert all("\x00" not in (p.reference or "") for p in problems_list(batch.problems))
