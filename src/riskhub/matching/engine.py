"""SEED cross-border matching: each export paired with the entry across the border, and compared.

A truck leaving one Party is declared twice: for export at the office of exit and
for import (or transit) at the office of entry on the other side. Each customs
administration sees only its half, so fraud that lives in the gap is invisible to
either alone: goods declared lighter, cheaper, under another subheading or of
another origin on entry than on exit, or an export that never arrives anywhere (a
"ghost export", typically made to reclaim VAT on goods sold at home). SEED pairs
the two halves and reports the discrepancies; this is that pairing, on whole
frames in polars, so that a year of the region's traffic takes seconds.

Pairing, strongest evidence first, each declaration used at most once:

1. the entry quotes the export's reference (``export_reference``);
2. otherwise the same vehicle registration: the nearest unpaired exit before the
   entry, within ``window_hours``;
3. otherwise the same (first) container number, likewise.

``matching.sql`` states the same rules in DuckDB SQL, as the baseline; keep the two
in step (a test compares them on generated traffic).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import polars as pl

from riskhub.db.base import naive_utc
from riskhub.matching.wording import number, plain, say, signed_pct

__all__ = ["FINDING_SCHEMA", "KINDS", "PAIR_SCHEMA", "Matching", "Tolerances", "match"]


@dataclass(frozen=True, slots=True)
class Tolerances:
    """How far apart the two sides may be before it is a finding ("beyond" is strictly more)."""

    window_hours: float = 72.0  # pairing by vehicle/container: entry at most this after the exit
    missing_after_hours: float = 48.0  # an exit with no entry after this: possible ghost export
    mass_pct: float = 5.0  # mass mismatch only when beyond BOTH pct and abs
    mass_abs_kg: float = 50.0
    value_pct: float = 10.0  # undervaluation: entry value lower than exit by more than BOTH
    value_abs_eur: float = 100.0
    weighbridge_pct: float = 5.0  # weighbridge vs declared gross at entry, beyond BOTH
    weighbridge_abs_kg: float = 100.0


KINDS = (
    "hs6_changed",
    "origin_changed",
    "mass_mismatch",
    "undervaluation",
    "item_count_changed",
    "missing_entry",
    "weighbridge_mismatch",
)

PAIR_SCHEMA: dict[str, pl.DataType] = {
    "exit_party": pl.String(),
    "exit_reference": pl.String(),
    "entry_party": pl.String(),
    "entry_reference": pl.String(),
    "paired_by": pl.String(),  # "export_reference", "vehicle" or "container"
}

FINDING_SCHEMA: dict[str, pl.DataType] = {
    "kind": pl.String(),
    "severity": pl.String(),
    "exit_party": pl.String(),
    "exit_reference": pl.String(),
    "entry_party": pl.String(),
    "entry_reference": pl.String(),
    "item_no": pl.Int64(),
    "paired_by": pl.String(),
    "exit_value": pl.Float64(),
    "entry_value": pl.Float64(),
    "difference_pct": pl.Float64(),
    "detail": pl.String(),
}

FINDING_ORDER = [*list(PAIR_SCHEMA)[:4], "kind", "item_no"]  # exit, entry, kind, item

# A finding is "high" when the difference is beyond this many times the tolerance.
HIGH_FACTOR = 3.0

# The columns of the declaration layout that matching reads. Only party and
# reference are required: a Party that does not send, say, container numbers still
# pairs by reference and vehicle.
INPUT_COLUMNS: dict[str, pl.DataType] = {
    "party": pl.String(),
    "reference": pl.String(),
    "lodged_at": pl.Datetime("us"),
    "arrival_at": pl.Datetime("us"),
    "vehicle_registration": pl.String(),
    "container_ids": pl.String(),
    "export_reference": pl.String(),
    "dispatch_country": pl.String(),
    "total_gross_mass": pl.Float64(),
    "weighbridge_mass": pl.Float64(),
    "item_no": pl.Int64(),
    "hs_code": pl.String(),
    "origin_country": pl.String(),
    "net_mass": pl.Float64(),
    "gross_mass": pl.Float64(),
    "customs_value_eur": pl.Float64(),
}
REQUIRED_COLUMNS = ("party", "reference")
CLAIM_COLUMNS: dict[str, pl.DataType] = {
    "party": pl.String(),
    "export_reference": pl.String(),
    "exporter": pl.String(),
    "amount_eur": pl.Float64(),
    "claimed_at": pl.Datetime("us"),
}
_FINGERPRINT_SEED = 0x5EED
FINGERPRINTS = ("fingerprint_low", "fingerprint_high")


@dataclass(frozen=True, slots=True)
class Matching:
    pairs: pl.DataFrame  # PAIR_SCHEMA, one row per pair, in no particular order
    findings: pl.DataFrame  # FINDING_SCHEMA, ordered by exit, entry, kind and item


def match(
    exits: pl.DataFrame,
    entries: pl.DataFrame,
    *,
    now: datetime,
    vat_claims: pl.DataFrame | None = None,
    tolerances: Tolerances = Tolerances(),
) -> Matching:
    """Pair exit declarations with entry declarations and report the discrepancies."""
    tol = tolerances
    exit_items, entry_items = conform(exits), conform(entries)
    x, n = pl.collect_all([declarations(exit_items), declarations(entry_items)])
    x = x.with_row_index("x_id")
    n = n.with_row_index("n_id")
    links = pair(x, n, tol)
    compared = ["items", "net", "gross", "value", *FINGERPRINTS]
    exit_side = x.lazy().select("x_id", *compared, exit_party="party", exit_reference="reference")
    entry_side = n.lazy().select(
        "n_id", pl.col(compared).name.suffix("_n"), entry_party="party", entry_reference="reference"
    )
    both = links.lazy().join(exit_side, on="x_id").join(entry_side, on="n_id").collect()
    parts = [
        _item_changes(both.lazy(), exit_items, entry_items),
        _mass(both.lazy(), tol),
        _undervaluation(both.lazy(), tol),
        _item_count(both.lazy()),
        _weighbridge(x.lazy(), n.lazy(), links.lazy(), tol),
        _missing(x.lazy(), links.lazy(), conform_claims(vat_claims), naive_utc(now), tol),
    ]
    findings = (
        pl.concat([_as_findings(p) for p in parts], how="vertical")
        .sort(FINDING_ORDER, nulls_last=True)
        .collect()
    )
    return Matching(pairs=both.select(*PAIR_SCHEMA), findings=findings)


# -- declarations --------------------------------------------------------------------


def conform(items: pl.DataFrame | pl.LazyFrame) -> pl.LazyFrame:
    """The matching columns of item rows, typed; absent optional columns are nulls."""
    lazy = items.lazy()
    schema = lazy.collect_schema()
    missing = [c for c in REQUIRED_COLUMNS if c not in schema]
    if missing:
        raise ValueError(f"item rows lack {', '.join(missing)}")
    return lazy.select(typed(name, dtype, schema) for name, dtype in INPUT_COLUMNS.items())


def typed(name: str, dtype: pl.DataType, schema: pl.Schema) -> pl.Expr:
    """Column ``name`` as matching reads it: cast to ``dtype``, times in UTC; null if absent."""
    if name not in schema:
        return pl.lit(None, dtype).alias(name)
    column = pl.col(name)
    given = schema[name]
    # Both sides of a border, and `now`, on one clock: UTC without a zone.
    if isinstance(given, pl.Datetime) and given.time_zone is not None:
        column = column.dt.convert_time_zone("UTC").dt.replace_time_zone(None)
    return column.cast(dtype)


def plate(column: pl.Expr) -> pl.Expr:
    """A vehicle or container number as both sides would agree on it: no spaces or dashes."""
    text = column.str.to_uppercase().str.replace_all(r"[^A-Z0-9]", "")
    return pl.when(text.str.len_bytes() > 0).then(text)


def _total(name: str) -> pl.Expr:
    # A sum of nothing declared is unknown, not zero (as SQL's SUM has it).
    return pl.when(pl.col(name).count() > 0).then(pl.col(name).sum())


def declarations(items: pl.LazyFrame) -> pl.LazyFrame:
    """One row per declaration of ``conform``-ed item rows: what matching compares.

    Nearly every pair declares the same items on both sides, so rather than join
    millions of items to compare codes and origins, each declaration carries a
    fingerprint of its items (two independent 31-bit sums of one hash per item, so
    the order of the rows does not matter); only pairs whose fingerprints differ
    have their items compared.
    """
    item = pl.struct("item_no", "hs_code", "origin_country").hash(seed=_FINGERPRINT_SEED)
    return (
        items.group_by("party", "reference")
        .agg(
            pl.coalesce("arrival_at", "lodged_at").first().alias("time"),
            pl.col("vehicle_registration").first(),
            pl.col("container_ids").first(),
            pl.col("export_reference").first(),
            pl.col("dispatch_country").first(),
            pl.col("total_gross_mass").first(),
            pl.col("weighbridge_mass").first(),
            pl.len().cast(pl.Int64).alias("items"),
            _total("net_mass").alias("net"),
            _total("gross_mass").alias("item_gross"),
            _total("customs_value_eur").alias("value"),
            (item % 2**31).cast(pl.Int64).sum().alias("fingerprint_low"),
            (item // 2**33).cast(pl.Int64).sum().alias("fingerprint_high"),
        )
        .with_columns(
            vehicle=plate(pl.col("vehicle_registration")),
            container=plate(pl.col("container_ids").str.split(";").list.first()),
            # The header total is the declared gross of the consignment; the items'
            # sum stands in when a Party does not send the header.
            gross=pl.coalesce("total_gross_mass", "item_gross"),
        )
        .drop("container_ids", "total_gross_mass", "item_gross")
    )


# -- pairing -------------------------------------------------------------------------


def pair(x: pl.DataFrame, n: pl.DataFrame, tol: Tolerances) -> pl.DataFrame:
    """(x_id, n_id, paired_by) of each pair; every exit and entry at most once."""
    entries = n.lazy().rename({"time": "n_time", "party": "n_party", "reference": "n_reference"})
    quoted = (
        entries.filter(pl.col("export_reference").is_not_null())
        .select("n_id", "export_reference", "dispatch_country", "n_time", "n_party", "n_reference")
        .join(
            x.lazy().select("x_id", "reference", x_party="party"),
            left_on="export_reference",
            right_on="reference",
        )
        # An entry that names where the goods came from pairs only with that Party's
        # export: another Party's export of the same number is not this consignment.
        .filter(
            pl.col("dispatch_country").is_null() | (pl.col("x_party") == pl.col("dispatch_country"))
        )
        .with_columns(contested=pl.col("n_id").is_duplicated() | pl.col("x_id").is_duplicated())
    )
    # Nearly every entry quotes an export no other entry quotes; sorting out only the
    # contested few spares sorting a million candidates.
    contested = (
        quoted.filter("contested")
        # Several Parties may number exports alike: the one the entry says the
        # goods came from is the one meant.
        .sort(
            pl.col("x_party") != pl.col("dispatch_country").fill_null(""),
            "x_party",
            nulls_last=True,
        )
        .unique("n_id", keep="first")
        .pipe(_one_entry_per_exit)
    )
    by_reference = (
        pl.concat([quoted.filter(~pl.col("contested")), contested])
        .select("x_id", "n_id", paired_by=pl.lit("export_reference"))
        .collect()
    )
    links = [by_reference]
    for key in ("vehicle", "container"):
        links.append(_pair_asof(x, n, pl.concat(links), key, tol))
    return pl.concat(links)


def _one_entry_per_exit(candidates: pl.LazyFrame) -> pl.LazyFrame:
    # Two entries claiming one exit: the first to arrive has it; the other is left
    # to pair by vehicle or container, or to stand alone.
    return candidates.sort("n_time", "n_party", "n_reference", nulls_last=True).unique(
        "x_id", keep="first"
    )


def _pair_asof(
    x: pl.DataFrame, n: pl.DataFrame, taken: pl.DataFrame, key: str, tol: Tolerances
) -> pl.DataFrame:
    """Unpaired entries to the nearest unpaired exit before them with the same ``key``.

    An entry that loses its exit to a nearer entry is not offered the exit before
    that: with a 72-hour window a truck rarely crosses twice unreferenced. The exit
    must be in the Party the entry says the goods came from (its dispatch country):
    the same truck's own exports home, or its trips elsewhere, are not this crossing.
    """
    exits = (
        x.lazy()
        .join(taken.lazy(), on="x_id", how="anti")
        .filter(pl.col(key).is_not_null() & pl.col("time").is_not_null())
        .select("x_id", key, came_from="party", x_time="time")
        .sort("x_time")
    )
    return (
        n.lazy()
        .join(taken.lazy(), on="n_id", how="anti")
        .filter(
            pl.col(key).is_not_null()
            & pl.col("time").is_not_null()
            & pl.col("dispatch_country").is_not_null()
        )
        .select(
            "n_id",
            key,
            came_from="dispatch_country",
            n_time="time",
            n_party="party",
            n_reference="reference",
        )
        .sort("n_time")
        .join_asof(
            exits,
            left_on="n_time",
            right_on="x_time",
            by=[key, "came_from"],
            strategy="backward",
            tolerance=timedelta(hours=tol.window_hours),
            check_sortedness=False,
        )
        .filter(pl.col("x_id").is_not_null())
        .pipe(_one_entry_per_exit)
        .select("x_id", "n_id", paired_by=pl.lit(key))
        .collect()
    )


# -- how findings read ---------------------------------------------------------------


def beyond(difference: pl.Expr, reference: pl.Expr, pct: float, abs_: float) -> pl.Expr:
    """|difference| beyond both the absolute and the relative tolerance.

    Multiplied out rather than divided, so that a reference of zero is infinitely
    far off and a difference exactly at the tolerance is inside it.
    """
    size = difference.abs()
    return (size > abs_) & (size * 100 > pct * reference.abs())


def severity(difference: pl.Expr, reference: pl.Expr, pct: float, abs_: float) -> pl.Expr:
    high = beyond(difference, reference, HIGH_FACTOR * pct, HIGH_FACTOR * abs_)
    return pl.when(high).then(pl.lit("high")).otherwise(pl.lit("warning"))


def pct_change(new: pl.Expr, old: pl.Expr) -> pl.Expr:
    return pl.when(old != 0).then((new - old) / old * 100)


def _as_findings(frame: pl.LazyFrame) -> pl.LazyFrame:
    """The finding columns, typed; a column a kind does not have is null."""
    have = frame.collect_schema()
    return frame.select(
        pl.col(c).cast(t) if c in have else pl.lit(None, t).alias(c)
        for c, t in FINDING_SCHEMA.items()
    )


# -- the findings --------------------------------------------------------------------


def _hs6(code: pl.Expr) -> pl.Expr:
    # "8528.72" and "852872" are the same subheading.
    return code.str.replace_all(r"[^0-9]", "").str.slice(0, 6)


def _item_changes(
    both: pl.LazyFrame, exit_items: pl.LazyFrame, entry_items: pl.LazyFrame
) -> pl.LazyFrame:
    """hs6_changed and origin_changed, per item number both sides declare."""
    keys = ["x_id", "exit_party", "exit_reference", "entry_party", "entry_reference", "paired_by"]
    changed = both.filter(
        (pl.col("fingerprint_low") != pl.col("fingerprint_low_n"))
        | (pl.col("fingerprint_high") != pl.col("fingerprint_high_n"))
    ).select(keys)
    columns = ["item_no", "hs_code", "origin_country"]
    exit_side = exit_items.select("party", "reference", *columns).join(
        changed, left_on=["party", "reference"], right_on=["exit_party", "exit_reference"]
    )
    entry_side = entry_items.select("party", "reference", *columns).join(
        changed.select("x_id", "entry_party", "entry_reference"),
        left_on=["party", "reference"],
        right_on=["entry_party", "entry_reference"],
    )
    items = (
        exit_side.rename({"party": "exit_party", "reference": "exit_reference"})
        .join(entry_side.select("x_id", *columns), on=["x_id", "item_no"], suffix="_n")
        .with_columns(
            hs_x=_hs6(pl.col("hs_code")),
            hs_n=_hs6(pl.col("hs_code_n")),
            origin_x=pl.col("origin_country").str.strip_chars().str.to_uppercase(),
            origin_n=pl.col("origin_country_n").str.strip_chars().str.to_uppercase(),
        )
    )

    def differ(a: str, b: str) -> pl.Expr:
        # An item without a code or origin on one side is not evidence of a change.
        return pl.all_horizontal(pl.col(a, b).str.len_bytes() > 0) & (pl.col(a) != pl.col(b))

    hs_cols = pl.col("item_no"), pl.col("hs_n"), pl.col("hs_x")
    o_cols = pl.col("item_no"), pl.col("origin_n"), pl.col("origin_x")
    hs = items.filter(differ("hs_x", "hs_n")).with_columns(
        kind=pl.lit("hs6_changed"),
        # A subheading has no tolerance: any change is beyond three times nothing.
        severity=pl.lit("high"),
        detail=say("Item {}: entry declares HS {}; the export declared HS {}.", *hs_cols),
    )
    origin = items.filter(differ("origin_x", "origin_n")).with_columns(
        kind=pl.lit("origin_changed"),
        severity=pl.lit("warning"),
        detail=say("Item {}: entry declares origin {}; the export declared origin {}.", *o_cols),
    )
    return pl.concat([_as_findings(hs), _as_findings(origin)])


def _mass(both: pl.LazyFrame, tol: Tolerances) -> pl.LazyFrame:
    """mass_mismatch on the net total, else on the gross total; the detail says which."""
    pct, abs_ = tol.mass_pct, tol.mass_abs_kg
    net_off = beyond(pl.col("net_n") - pl.col("net"), pl.col("net"), pct, abs_)
    gross_off = beyond(pl.col("gross_n") - pl.col("gross"), pl.col("gross"), pct, abs_)
    net_off, gross_off = net_off.fill_null(False), gross_off.fill_null(False)
    exit_value, entry_value = pl.col("exit_value"), pl.col("entry_value")
    return (
        both.filter(net_off | gross_off)
        .with_columns(
            measure=pl.when(net_off).then(pl.lit("net")).otherwise(pl.lit("gross")),
            exit_value=pl.when(net_off).then("net").otherwise("gross"),
            entry_value=pl.when(net_off).then("net_n").otherwise("gross_n"),
        )
        .with_columns(
            kind=pl.lit("mass_mismatch"),
            difference_pct=pct_change(entry_value, exit_value),
            severity=severity(entry_value - exit_value, exit_value, pct, abs_),
            detail=say(
                "Entry declares {} kg {}; the export declared {} kg ({}, tolerance {}).",
                number(entry_value, 1),
                pl.col("measure"),
                number(exit_value, 1),
                signed_pct(pct_change(entry_value, exit_value)).fill_null("from nothing"),
                pl.lit(f"{plain(pct)}% and {plain(abs_)} kg"),
            ),
        )
    )


def _undervaluation(both: pl.LazyFrame, tol: Tolerances) -> pl.LazyFrame:
    pct, abs_ = tol.value_pct, tol.value_abs_eur
    entry_value, exit_value = pl.col("value_n"), pl.col("value")
    lower = entry_value < exit_value
    off = lower & beyond(entry_value - exit_value, exit_value, pct, abs_)
    return both.filter(off.fill_null(False)).with_columns(
        kind=pl.lit("undervaluation"),
        exit_value=exit_value,
        entry_value=entry_value,
        difference_pct=pct_change(entry_value, exit_value),
        severity=severity(entry_value - exit_value, exit_value, pct, abs_),
        detail=say(
            "Entry declares a customs value of {} EUR; "
            "the export declared {} EUR ({}, tolerance {}).",
            number(entry_value, 2),
            number(exit_value, 2),
            signed_pct(pct_change(entry_value, exit_value)),
            pl.lit(f"{plain(pct)}% and {plain(abs_)} EUR"),
        ),
    )


def _item_count(both: pl.LazyFrame) -> pl.LazyFrame:
    return both.filter(pl.col("items") != pl.col("items_n")).with_columns(
        kind=pl.lit("item_count_changed"),
        severity=pl.lit("warning"),
        exit_value="items",
        entry_value="items_n",
        difference_pct=pct_change(pl.col("items_n"), pl.col("items")),
        detail=say(
            "Entry declares {} goods items; the export declared {}.",
            pl.col("items_n"),
            pl.col("items"),
        ),
    )


def _weighbridge(
    x: pl.LazyFrame, n: pl.LazyFrame, links: pl.LazyFrame, tol: Tolerances
) -> pl.LazyFrame:
    """Declared gross against the weighbridge at entry, paired or not.

    The weighed mass is the reference here, so it stands where the exit's figure
    stands in the other kinds (``exit_value``): difference_pct is declared against
    weighed.
    """
    pct, abs_ = tol.weighbridge_pct, tol.weighbridge_abs_kg
    weighed, declared = pl.col("weighbridge_mass"), pl.col("gross")
    exits = links.join(x.select("x_id", exit_party="party", exit_reference="reference"), on="x_id")
    return (
        n.filter(beyond(declared - weighed, weighed, pct, abs_).fill_null(False))
        .join(exits, on="n_id", how="left")
        .with_columns(
            kind=pl.lit("weighbridge_mismatch"),
            entry_party="party",
            entry_reference="reference",
            exit_value=weighed,
            entry_value=declared,
            difference_pct=pct_change(declared, weighed),
            severity=severity(declared - weighed, weighed, pct, abs_),
            detail=say(
                "The weighbridge weighed {} kg; the entry declares {} kg gross ({}, tolerance {}).",
                number(weighed, 0),
                number(declared, 1),
                signed_pct(pct_change(declared, weighed)).fill_null("from nothing"),
                pl.lit(f"{plain(pct)}% and {plain(abs_)} kg"),
            ),
        )
    )


def conform_claims(claims: pl.DataFrame | None) -> pl.LazyFrame:
    """VAT refund claims, one row per export: how many, how much, the first claimant and date."""
    if claims is None:
        frame = pl.LazyFrame(schema=CLAIM_COLUMNS)
    else:
        lazy = claims.lazy()
        schema = lazy.collect_schema()
        frame = lazy.select(typed(name, dtype, schema) for name, dtype in CLAIM_COLUMNS.items())
    return (
        frame.sort("claimed_at", "exporter", nulls_last=True)
        .group_by("party", reference="export_reference")
        .agg(
            pl.len().alias("claims"),
            pl.col("amount_eur").sum().alias("claimed_eur"),
            pl.col("claimed_at").first(),
            pl.col("exporter").first(),
        )
    )


def _missing(
    x: pl.LazyFrame, links: pl.LazyFrame, claims: pl.LazyFrame, now: datetime, tol: Tolerances
) -> pl.LazyFrame:
    """Exports with no entry once ``missing_after_hours`` have passed: possible ghost exports.

    An export whose time is unknown cannot be judged, and is not reported.
    """
    due = pl.lit(now) - timedelta(hours=tol.missing_after_hours)
    claimed = pl.col("claims").is_not_null()
    # say() leaves out a null value but not the words around it, hence the whens.
    vehicle = say(" (vehicle {})", pl.col("vehicle_registration"))
    vehicle = pl.when(pl.col("vehicle_registration").is_not_null()).then(vehicle)
    by = pl.when(pl.col("exporter").is_not_null()).then(say(" by {}", pl.col("exporter")))
    several = pl.when(pl.col("claims") > 1).then(say(" ({} claims)", pl.col("claims")))
    claim = pl.when(claimed).then(
        say(
            " A VAT refund of {} EUR was claimed on it{} on {}{}.",
            number(pl.col("claimed_eur"), 2),
            by,
            pl.col("claimed_at").dt.strftime("%Y-%m-%d"),
            several,
        )
    )
    return (
        x.join(links, on="x_id", how="anti")
        .filter(pl.col("time") <= due)
        .join(claims, on=["party", "reference"], how="left")
        .with_columns(
            kind=pl.lit("missing_entry"),
            severity=pl.when(claimed).then(pl.lit("high")).otherwise(pl.lit("warning")),
            exit_party="party",
            exit_reference="reference",
            # What is at stake: the goods' value, and the refund if one was claimed.
            exit_value="value",
            detail=say(
                "No entry declaration {} hours after the export{}.{}",
                (pl.lit(now) - pl.col("time")).dt.total_hours(),
                vehicle,
                claim,
            ),
        )
    )
