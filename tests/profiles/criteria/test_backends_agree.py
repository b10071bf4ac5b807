"""Random criteria over random rows: polars, SQL on DuckDB and Python give the same hits.

The trees are built directly (not through the parser), over fields of the right type,
with values drawn from the same small pools as the rows, so equality and exact ties
(a value equal to a threshold, a product equal to another field) happen often. Every
drawn tree must pass the validators, so the generator cannot drift into trees the
backends are never given.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from typing import Any

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from riskhub.profiles.criteria import tree as t
from riskhub.profiles.criteria import validators
from riskhub.profiles.criteria.vocabulary import VOCABULARY, FieldType

from .support import DuckFrame, frame_of, polars_hits, python_hits

ROWS = 200
NULL_SHARE = 0.15

COUNTRIES = ["CN", "BD", "RS", "MK", "TR", "DE", "IT"]
HS_CODES = ["6204420000", "620462", "6109100010", "8471300000", "0101210000", "61091000", "620342"]
TRADERS = ["RS100", "RS200", "MK300", "CN900", "O'Hara"]
OFFICES = ["RS-PRE", "RS-HOR", "RS-BAT"]
LPCO = ["PHYTO-1", "PHYTO", "XPHYTO-5", "CITES-2", "VET-3", ""]
# Floats: zero, negatives, halves and values whose ratios and products meet exactly.
FLOATS = [-10.0, -5.0, -0.5, 0.0, 0.5, 1.0, 2.0, 2.5, 3.0, 5.0, 10.0, 20.0, 50.0, 55.0, 100.0,
          110.0, 1000.0, 1100.0, 0.1, 0.3, 1e-9, 123456.789]  # fmt: skip
# Whole numbers: 55 = 50 * 1.1, 99 = 90 * 1.1, 110 = 100 * 1.1 and 63 = 90 * 0.7 exactly, but
# not in floating point (50 * 1.1 = 55.00000000000001), which is how the engine computes.
INTEGERS = [-3, 0, 1, 2, 3, 5, 10, 50, 55, 63, 90, 99, 100, 110]
FACTORS = [1.0, 0.5, 0.7, 0.95, 1.1, 2.0, 0.1, -1.0, 0.0, 3]
START = datetime(2026, 11, 28)

TEXT_VALUES: dict[str, list[str]] = {
    "direction": ["IMPORT", "EXPORT", "TRANSIT"],
    "origin_country": COUNTRIES,
    "dispatch_country": COUNTRIES,
    "destination_country": ["RS", "MK", "AL"],
    "hs_code": HS_CODES,
    "office": OFFICES,
    "importer": TRADERS,
    "exporter": TRADERS,
    "declarant": TRADERS,
    "supplementary_unit": ["p/st", "l", "m2"],
    "description": ["Dresses", "Men's shirts", "laptops", ""],
    "trader": TRADERS,  # derived
}
FLOAT_FIELDS = ["customs_value_eur", "net_mass", "quantity", "total_gross_mass",
                "weighbridge_mass", "duty_rate", "unit_value_deviation_pct",
                "reference_unit_value_kg"]  # fmt: skip
INT_FIELDS = ["transport_mode", "item_no", "trader_hits_365d", "trader_declarations_90d"]
DERIVED_NUMBERS = ["unit_value_kg", "unit_value_unit", "mass_difference_pct"]
NUMBER_FIELDS = FLOAT_FIELDS + INT_FIELDS + DERIVED_NUMBERS
BOOL_FIELDS = ["preferential_origin", "new_trader", "new_route", "dispatch_differs_from_origin"]
DATETIME_FIELDS = ["lodged_at", "arrival_at"]
LIST_FIELDS = ["lpco_refs", "container_ids"]
THRESHOLDS = FLOATS + INTEGERS + [15.0, 150.0, -20.0, 25.0, 1.5, -100.0]

LISTS: dict[str, frozenset[str]] = {
    "traders": frozenset({"RS100", "MK300", "O'Hara"}),
    "no_traders": frozenset(),
    "asia": frozenset({"CN", "BD"}),
    "textiles": frozenset({"6204420000", "620462", "61091000"}),
    "offices": frozenset({"RS-PRE"}),
}
KINDS = {"traders": "trader", "no_traders": "trader", "asia": "country", "textiles": "hs",
         "offices": "office"}  # fmt: skip
LISTS_FOR = {"trader": ["traders", "no_traders"], "country": ["asia"], "hs": ["textiles"],
             "office": ["offices"]}  # fmt: skip


def test_pools_name_fields_of_the_right_type() -> None:
    for name in TEXT_VALUES:
        assert VOCABULARY[name].type in (FieldType.TEXT, FieldType.CODE), name
    for name in NUMBER_FIELDS:
        assert VOCABULARY[name].type is FieldType.NUMBER, name
    for name in BOOL_FIELDS:
        assert VOCABULARY[name].type is FieldType.BOOL, name
    for name in DATETIME_FIELDS:
        assert VOCABULARY[name].type is FieldType.DATETIME, name
    for name in LIST_FIELDS:
        assert VOCABULARY[name].type is FieldType.LIST, name


# -- rows -------------------------------------------------------------------------------------


def random_rows(rng: random.Random) -> list[dict[str, Any]]:
    def maybe(value: Any) -> Any:
        return None if rng.random() < NULL_SHARE else value

    def moment() -> datetime:
        # A week across a month's end; often on the minute, so on the hour now and then.
        seconds = rng.choice([0, 0, rng.randrange(60)])
        return START + timedelta(minutes=rng.randrange(7 * 24 * 60), seconds=seconds)

    rows = []
    for _ in range(ROWS):
        row: dict[str, Any] = {
            name: maybe(rng.choice(values))
            for name, values in TEXT_VALUES.items()
            if name != "trader"
        }
        for name in FLOAT_FIELDS:
            value = rng.choice(FLOATS) if rng.random() < 0.8 else rng.uniform(-1e3, 1e5)
            row[name] = maybe(value)
        for name in INT_FIELDS:
            row[name] = maybe(rng.choice(INTEGERS))
        for name in BOOL_FIELDS[:-1]:
            row[name] = maybe(rng.random() < 0.5)
        for name in DATETIME_FIELDS:
            row[name] = maybe(moment())
        for name in LIST_FIELDS:
            row[name] = maybe(";".join(rng.sample(LPCO, rng.randrange(1, 3))))
        rows.append(row)
    return rows


EQUALITY: list[t.CompareOp] = ["eq", "ne"]
ORDER: list[t.CompareOp] = ["eq", "ne", "gt", "gte", "lt", "lte"]


# -- trees ------------------------------------------------------------------------------------


def number() -> st.SearchStrategy[int | float]:
    return st.one_of(
        st.sampled_from(THRESHOLDS),
        st.floats(-1e4, 1e5, allow_nan=False, allow_infinity=False),
        st.integers(-10, 200),
    )


@st.composite
def text_leaf(draw: st.DrawFn) -> t.Node:
    name = draw(st.sampled_from(sorted(TEXT_VALUES)))
    pool = TEXT_VALUES[name]
    if name in ("description", "supplementary_unit", "declarant", "importer", "exporter",
                "trader"):  # fmt: skip
        pool = [*pool, draw(st.text(alphabet="RSMK'O0123 ", max_size=6))]
    kinds = ["eq", "in", "missing", "startswith"]
    list_kind = VOCABULARY[name].list_kind
    if list_kind in LISTS_FOR:
        kinds.append("list")
    kind = draw(st.sampled_from(kinds))
    if kind == "eq":
        return t.Compare(name, draw(st.sampled_from(EQUALITY)), draw(st.sampled_from(pool)))
    if kind == "in":
        values = draw(st.lists(st.sampled_from(pool), min_size=1, max_size=4))
        return t.InValues(name, tuple(values), draw(st.booleans()))
    if kind == "list":
        assert list_kind is not None
        return t.InList(name, draw(st.sampled_from(LISTS_FOR[list_kind])), draw(st.booleans()))
    if kind == "startswith":
        lengths = [2, 4, 6, 8, 10] if name == "hs_code" else [0, 1, 2, 3, 4, 7]
        codes = [v for v in pool if len(v) >= 2] or pool
        prefixes = [
            draw(st.sampled_from(codes))[: draw(st.sampled_from(lengths))]
            for _ in range(draw(st.integers(1, 3)))
        ]
        if name == "hs_code":
            prefixes = [p for p in prefixes if len(p) in lengths] or ["62"]
        return t.StartsWith(name, tuple(prefixes))
    return t.Missing(name, draw(st.booleans()))


@st.composite
def number_leaf(draw: st.DrawFn) -> t.Node:
    name = draw(st.sampled_from(draw(st.sampled_from([FLOAT_FIELDS, INT_FIELDS, DERIVED_NUMBERS]))))
    kind = draw(
        st.sampled_from(["compare", "compare", "field", "field", "between", "in", "missing"])
    )
    op = draw(st.sampled_from(ORDER))
    if kind == "compare":
        return t.Compare(name, op, draw(number()))
    if kind == "field":
        # Often a field of the same storage (whole numbers against whole numbers).
        group = INT_FIELDS if name in INT_FIELDS else NUMBER_FIELDS
        other = draw(st.sampled_from(draw(st.sampled_from([group, NUMBER_FIELDS]))))
        factor = float(draw(st.sampled_from(FACTORS)))
        return t.Compare(name, op, t.FieldRef(other, factor))
    if kind == "between":
        low, high = sorted([draw(number()), draw(number())])
        return t.Between(name, low, high)
    if kind == "in":
        values = draw(st.lists(number(), min_size=1, max_size=4))
        return t.InValues(name, tuple(values), draw(st.booleans()))
    return t.Missing(name, draw(st.booleans()))


@st.composite
def bool_leaf(draw: st.DrawFn) -> t.Node:
    name = draw(st.sampled_from(BOOL_FIELDS))
    if draw(st.integers(0, 3)) == 0:
        return t.Missing(name, draw(st.booleans()))
    return t.Compare(name, draw(st.sampled_from(EQUALITY)), draw(st.booleans()))


@st.composite
def datetime_leaf(draw: st.DrawFn) -> t.Node:
    name = draw(st.sampled_from(DATETIME_FIELDS))
    kind = draw(st.sampled_from(["dates", "weekday", "hour", "missing"]))
    if kind == "dates":
        days = sorted(draw(st.integers(-2, 9)) for _ in range(2))
        first, last = (date(2026, 11, 28) + timedelta(days=d) for d in days)
        return t.DateWindow(name, first, last)
    if kind == "weekday":
        chosen = draw(st.sets(st.integers(1, 7), min_size=1, max_size=7))
        return t.Weekday(name, tuple(sorted(chosen)))
    if kind == "hour":
        start = draw(st.integers(0, 23))
        end = draw(st.integers(0, 24).filter(lambda h: h != start))
        return t.HourWindow(name, start, end)
    return t.Missing(name, draw(st.booleans()))


@st.composite
def list_leaf(draw: st.DrawFn) -> t.Node:
    name = draw(st.sampled_from(LIST_FIELDS))
    if draw(st.integers(0, 3)) == 0:
        return t.Missing(name, draw(st.booleans()))
    prefix = draw(st.sampled_from(["PHYTO", "PHYTO-1", "CITES", "VET-3", "X", "HYTO", "P"]))
    return t.Contains(name, prefix)


# Numbers twice: they have the most ways to go wrong (derived fields, factors, ties, dtypes).
LEAVES = st.one_of(
    number_leaf(), number_leaf(), text_leaf(), bool_leaf(), datetime_leaf(), list_leaf()
)


def trees(depth: int = 3) -> st.SearchStrategy[t.Node]:
    """Nested all/any/not, ``depth`` levels of them at most, over leaves."""
    if depth == 0:
        return LEAVES
    inner = st.one_of(LEAVES, trees(depth - 1))
    return st.one_of(
        st.lists(inner, min_size=1, max_size=5).map(lambda c: t.All(tuple(c))),
        st.lists(inner, min_size=1, max_size=5).map(lambda c: t.AnyOf(tuple(c))),
        inner.map(t.Not),
    )


# -- the property -----------------------------------------------------------------------------


@settings(
    max_examples=120,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    seed=st.integers(0, 2**32 - 1),
    nodes=st.lists(st.one_of(LEAVES, trees()), min_size=1, max_size=12),
)
def test_backends_give_identical_hits(seed: int, nodes: list[t.Node]) -> None:
    # The rows come from a seeded generator (hundreds of draws each are too many for
    # Hypothesis to shrink); the trees are drawn and shrunk by Hypothesis.
    frame = frame_of(random_rows(random.Random(seed)))
    duck = DuckFrame(frame)
    try:
        for node in nodes:
            assert validators.validate(node, KINDS) == [], node
            by_polars = polars_hits(frame, node, LISTS)
            by_python = python_hits(frame, node, LISTS)
            by_sql = duck.hits(node, LISTS)
            differ = [
                (i, by_polars[i], by_sql[i], by_python[i])
                for i in range(frame.height)
                if not by_polars[i] == by_sql[i] == by_python[i]
            ]
            assert not differ, _explain(frame, node, differ)
    finally:
        duck.close()


def _explain(frame: pl.DataFrame, node: t.Node, differ: list[tuple[int, bool, bool, bool]]) -> str:
    i, p, s, y = differ[0]
    used = sorted(n for n in t.fields_used(node) if n in frame.columns)
    derived = sorted(t.fields_used(node) - set(frame.columns))
    row = {k: v for k, v in frame.row(i, named=True).items() if k in used}
    return (
        f"{len(differ)} rows differ; row {i}: polars={p} sql={s} python={y}\n"
        f"tree: {node!r}\nrow: {row}\nderived from: {derived}"
    )


def test_the_random_rows_hold_nulls_ties_and_zero_divisors() -> None:
    """The row generator produces what the property needs to see."""
    frame = frame_of(random_rows(random.Random(7)))
    assert frame.height == ROWS
    for name in frame.columns:
        if name in (*TEXT_VALUES, *FLOAT_FIELDS, *INT_FIELDS, *BOOL_FIELDS[:-1]):
            assert 0 < frame[name].null_count() < ROWS, name
    assert (frame["net_mass"] == 0).sum() > 0
    assert (frame["net_mass"] < 0).sum() > 0
    assert (frame["total_gross_mass"] == frame["weighbridge_mass"]).sum() > 0
    assert frame["lodged_at"].dt.hour().n_unique() > 20
