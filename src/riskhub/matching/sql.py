"""SEED matching in DuckDB SQL: the baseline the polars engine is measured against.

The obvious way to build cross-border matching is a SQL database: group the items
into declarations, join exits to entries on the quoted reference, ASOF-join the
rest by vehicle and container, and compare. This module is that, written as
plainly as SQL allows and run by DuckDB (in process, all cores), so that the
benchmark compares ``engine.match`` with a fair, fast alternative rather than a
straw man, and a test holds the two to the same findings.

Same rules as ``engine`` (read its docstring); where the engine avoids work (item
fingerprints, sorting only contested candidates) this states the comparison
directly and leaves the planning to DuckDB.
"""

from __future__ import annotations

from datetime import datetime

import duckdb
import polars as pl

from riskhub.db.base import naive_utc
from riskhub.matching.engine import (
    CLAIM_COLUMNS,
    FINDING_SCHEMA,
    HIGH_FACTOR,
    PAIR_SCHEMA,
    Matching,
    Tolerances,
    conform,
    typed,
)

__all__ = ["match_sql"]


class _ArrowStream:
    """A polars frame as an Arrow C stream DuckDB can scan repeatedly, without pyarrow."""

    def __init__(self, frame: pl.DataFrame) -> None:
        self.frame = frame

    def __arrow_c_stream__(self, requested_schema: object | None = None) -> object:
        return self.frame.__arrow_c_stream__(requested_schema)


def match_sql(
    exits: pl.DataFrame,
    entries: pl.DataFrame,
    *,
    now: datetime,
    vat_claims: pl.DataFrame | None = None,
    tolerances: Tolerances = Tolerances(),
    threads: int | None = None,
) -> Matching:
    """``engine.match`` in DuckDB SQL: the same pairs and findings."""
    claims = (
        pl.DataFrame(schema=CLAIM_COLUMNS) if vat_claims is None else conform_claim_rows(vat_claims)
    )
    con = duckdb.connect()
    try:
        if threads:
            con.execute(f"SET threads = {int(threads)}")
        con.register("exit_items", _ArrowStream(conform(exits).collect()))
        con.register("entry_items", _ArrowStream(conform(entries).collect()))
        con.register("claim_rows", _ArrowStream(claims))
        for statement in statements(tolerances, naive_utc(now)):
            con.execute(statement)
        pairs = pl.DataFrame(con.sql(PAIRS_QUERY)).cast(pl.Schema(PAIR_SCHEMA))
        findings = pl.DataFrame(con.sql(FINDINGS_QUERY))
    finally:
        con.close()
    return Matching(
        pairs=pairs,
        findings=findings.select(pl.col(c).cast(t) for c, t in FINDING_SCHEMA.items()),
    )


def conform_claim_rows(claims: pl.DataFrame) -> pl.DataFrame:
    return claims.select(typed(name, dtype, claims.schema) for name, dtype in CLAIM_COLUMNS.items())


def _d(value: float) -> str:
    return f"CAST({float(value)!r} AS DOUBLE)"


def _beyond(diff: str, ref: str, pct: float, abs_: float) -> str:
    # As engine.beyond: multiplied out, strictly beyond both.
    return f"(abs({diff}) > {_d(abs_)} AND abs({diff}) * 100 > {_d(pct)} * abs({ref}))"


def _severity(diff: str, ref: str, pct: float, abs_: float) -> str:
    high = _beyond(diff, ref, HIGH_FACTOR * pct, HIGH_FACTOR * abs_)
    return f"CASE WHEN {high} THEN 'high' ELSE 'warning' END"


def _pct(new: str, old: str) -> str:
    return f"CASE WHEN {old} <> 0 THEN ({new} - {old}) / {old} * 100 END"


def _signed(pct: str) -> str:
    # fmt has no sign together with thousands separators here; the sign goes first.
    rounded = f"round({pct}, 1)"
    return f"CASE WHEN {rounded} > 0 THEN '+' ELSE '' END || format('{{:,.1f}}%', {rounded})"


def _g(value: float) -> str:
    return f"{value:,g}"


def _plate(column: str) -> str:
    return f"nullif(regexp_replace(upper({column}), '[^A-Z0-9]', '', 'g'), '')"


def _declarations(name: str, items: str, id_column: str) -> str:
    return f"""
CREATE TEMP TABLE {name} AS
SELECT row_number() OVER () AS {id_column}, *,
       {_plate("vehicle_registration")} AS vehicle,
       {_plate("split_part(container_ids, ';', 1)")} AS container,
       coalesce(total_gross_mass, item_gross) AS gross
FROM (
    SELECT party, reference,
           first(coalesce(arrival_at, lodged_at)) AS time,
           first(vehicle_registration) AS vehicle_registration,
           first(container_ids) AS container_ids,
           first(export_reference) AS export_reference,
           first(dispatch_country) AS dispatch_country,
           first(total_gross_mass) AS total_gross_mass,
           first(weighbridge_mass) AS weighbridge_mass,
           count(*) AS items,
           sum(net_mass) AS net,
           sum(gross_mass) AS item_gross,
           sum(customs_value_eur) AS value
    FROM {items}
    GROUP BY party, reference
)"""


def _asof(key: str, window_us: int) -> str:
    return f"""
INSERT INTO links
WITH free_x AS (
    SELECT x_id, {key} AS k, party AS came_from, time FROM x ANTI JOIN links USING (x_id)
    WHERE {key} IS NOT NULL AND time IS NOT NULL
), free_n AS (
    SELECT n_id, {key} AS k, dispatch_country AS came_from, time, party, reference
    FROM n ANTI JOIN links USING (n_id)
    WHERE {key} IS NOT NULL AND time IS NOT NULL AND dispatch_country IS NOT NULL
)
SELECT free_x.x_id, free_n.n_id, '{key}' AS paired_by
FROM free_n ASOF JOIN free_x
    ON free_n.k = free_x.k AND free_n.came_from = free_x.came_from
    AND free_n.time >= free_x.time
WHERE epoch_us(free_n.time) - epoch_us(free_x.time) <= {window_us}
QUALIFY row_number() OVER (
    PARTITION BY free_x.x_id ORDER BY free_n.time NULLS LAST, free_n.party, free_n.reference
) = 1"""


def statements(tol: Tolerances, now: datetime) -> list[str]:
    """The SQL, in order: declarations, pairs (links), then the findings table."""
    now_sql = f"TIMESTAMP '{now.isoformat(sep=' ')}'"
    window_us = round(tol.window_hours * 3_600_000_000)
    due_us = round(tol.missing_after_hours * 3_600_000_000)
    mass = (tol.mass_pct, tol.mass_abs_kg)
    value = (tol.value_pct, tol.value_abs_eur)
    wb = (tol.weighbridge_pct, tol.weighbridge_abs_kg)
    net_off = _beyond("n.net - x.net", "x.net", *mass)
    gross_off = _beyond("n.gross - x.gross", "x.gross", *mass)
    under = f"n.value < x.value AND {_beyond('n.value - x.value', 'x.value', *value)}"
    weighed_off = _beyond("n.gross - n.weighbridge_mass", "n.weighbridge_mass", *wb)
    return [
        _declarations("x", "exit_items", "x_id"),
        _declarations("n", "entry_items", "n_id"),
        # 1. The quoted export reference: the exit of the Party the goods came from
        # (only that Party's, when the entry says), then, of several entries quoting
        # one exit, the first to arrive.
        """
CREATE TEMP TABLE links AS
WITH candidates AS (
    SELECT n.n_id, x.x_id, n.time AS n_time, n.party AS n_party, n.reference AS n_reference,
           x.party AS x_party, x.party <> coalesce(n.dispatch_country, '') AS foreign_party
    FROM n JOIN x ON n.export_reference = x.reference
    -- An entry that names where the goods came from pairs only with that Party's export.
    WHERE n.dispatch_country IS NULL OR x.party = n.dispatch_country
), best_exit AS (
    SELECT * FROM candidates
    QUALIFY row_number() OVER (PARTITION BY n_id ORDER BY foreign_party, x_party) = 1
)
SELECT x_id, n_id, 'export_reference' AS paired_by FROM best_exit
QUALIFY row_number() OVER (
    PARTITION BY x_id ORDER BY n_time NULLS LAST, n_party, n_reference
) = 1""",
        # 2. and 3. The nearest unpaired exit before the entry, same vehicle, then container.
        _asof("vehicle", window_us),
        _asof("container", window_us),
        """
CREATE TEMP TABLE claims AS
SELECT party, export_reference, count(*) AS claims, sum(amount_eur) AS claimed_eur,
       min(claimed_at) AS claimed_at,
       first(exporter ORDER BY claimed_at NULLS LAST, exporter NULLS LAST) AS exporter
FROM claim_rows GROUP BY party, export_reference""",
        f"""
CREATE TEMP TABLE findings AS
WITH both_sides AS (
    SELECT l.paired_by, x.party AS exit_party, x.reference AS exit_reference,
           n.party AS entry_party, n.reference AS entry_reference,
           x.items AS x_items, n.items AS n_items, x.net AS x_net, n.net AS n_net,
           x.gross AS x_gross, n.gross AS n_gross, x.value AS x_value, n.value AS n_value,
           {net_off} AS net_off, {gross_off} AS gross_off, {under} AS under
    FROM links l JOIN x USING (x_id) JOIN n USING (n_id)
), exit_side AS MATERIALIZED (
    -- Materialized: DuckDB cannot see how many rows a registered frame holds and
    -- would otherwise join the two item tables on item_no alone, first.
    SELECT b.paired_by, b.exit_party, b.exit_reference, b.entry_party, b.entry_reference,
           xi.item_no, xi.hs_code AS x_hs, xi.origin_country AS x_origin
    FROM both_sides b
    JOIN exit_items xi ON xi.party = b.exit_party AND xi.reference = b.exit_reference
), item_pairs AS (
    SELECT es.*, ni.hs_code AS n_hs, ni.origin_country AS n_origin
    FROM exit_side es
    JOIN entry_items ni ON ni.party = es.entry_party AND ni.reference = es.entry_reference
                       AND ni.item_no = es.item_no
    WHERE es.x_hs IS DISTINCT FROM ni.hs_code OR es.x_origin IS DISTINCT FROM ni.origin_country
), items AS (
    SELECT *,
           substr(regexp_replace(x_hs, '[^0-9]', '', 'g'), 1, 6) AS x_hs6,
           substr(regexp_replace(n_hs, '[^0-9]', '', 'g'), 1, 6) AS n_hs6,
           upper(trim(x_origin)) AS x_o, upper(trim(n_origin)) AS n_o
    FROM item_pairs
), mass AS (
    SELECT *, CASE WHEN net_off THEN 'net' ELSE 'gross' END AS measure,
           CASE WHEN net_off THEN x_net ELSE x_gross END AS xv,
           CASE WHEN net_off THEN n_net ELSE n_gross END AS nv
    FROM both_sides WHERE net_off OR gross_off
)
SELECT 'hs6_changed' AS kind, 'high' AS severity, exit_party, exit_reference, entry_party,
       entry_reference, item_no, paired_by, NULL::DOUBLE AS exit_value,
       NULL::DOUBLE AS entry_value, NULL::DOUBLE AS difference_pct,
       format('Item {{}}: entry declares HS {{}}; the export declared HS {{}}.',
              item_no, n_hs6, x_hs6) AS detail
FROM items WHERE x_hs6 <> '' AND n_hs6 <> '' AND x_hs6 <> n_hs6
UNION ALL
SELECT 'origin_changed', 'warning', exit_party, exit_reference, entry_party, entry_reference,
       item_no, paired_by, NULL, NULL, NULL,
       format('Item {{}}: entry declares origin {{}}; the export declared origin {{}}.',
              item_no, n_o, x_o)
FROM items WHERE x_o <> '' AND n_o <> '' AND x_o <> n_o
UNION ALL
SELECT 'mass_mismatch', {_severity("nv - xv", "xv", *mass)}, exit_party, exit_reference,
       entry_party, entry_reference, NULL, paired_by, xv, nv, {_pct("nv", "xv")},
       format('Entry declares {{:,.1f}} kg {{}}; the export declared {{:,.1f}} kg ({{}}, '
              || 'tolerance {_g(mass[0])}% and {_g(mass[1])} kg).', nv, measure, xv,
              coalesce({_signed(_pct("nv", "xv"))}, 'from nothing'))
FROM mass
UNION ALL
SELECT 'undervaluation', {_severity("n_value - x_value", "x_value", *value)}, exit_party,
       exit_reference, entry_party, entry_reference, NULL, paired_by, x_value, n_value,
       {_pct("n_value", "x_value")},
       format('Entry declares a customs value of {{:,.2f}} EUR; the export declared '
              || '{{:,.2f}} EUR ({{}}, tolerance {_g(value[0])}% and {_g(value[1])} EUR).',
              n_value, x_value, {_signed(_pct("n_value", "x_value"))})
FROM both_sides WHERE under
UNION ALL
SELECT 'item_count_changed', 'warning', exit_party, exit_reference, entry_party,
       entry_reference, NULL, paired_by, x_items, n_items, {_pct("n_items", "x_items")},
       format('Entry declares {{}} goods items; the export declared {{}}.', n_items, x_items)
FROM both_sides WHERE x_items <> n_items
UNION ALL
SELECT 'weighbridge_mismatch',
       {_severity("n.gross - n.weighbridge_mass", "n.weighbridge_mass", *wb)},
       x.party, x.reference, n.party, n.reference, NULL, l.paired_by,
       n.weighbridge_mass, n.gross, {_pct("n.gross", "n.weighbridge_mass")},
       format('The weighbridge weighed {{:,.0f}} kg; the entry declares {{:,.1f}} kg gross '
              || '({{}}, tolerance {_g(wb[0])}% and {_g(wb[1])} kg).',
              n.weighbridge_mass, n.gross,
              coalesce({_signed(_pct("n.gross", "n.weighbridge_mass"))}, 'from nothing'))
FROM n LEFT JOIN links l USING (n_id) LEFT JOIN x USING (x_id)
WHERE {weighed_off}
UNION ALL
SELECT 'missing_entry', CASE WHEN c.claims IS NOT NULL THEN 'high' ELSE 'warning' END,
       x.party, x.reference, NULL, NULL, NULL, NULL, x.value, NULL, NULL,
       'No entry declaration ' || ((epoch_us({now_sql}) - epoch_us(x.time)) // 3600000000)
       || ' hours after the export'
       || coalesce(' (vehicle ' || x.vehicle_registration || ')', '') || '.'
       || CASE WHEN c.claims IS NOT NULL THEN
              format(' A VAT refund of {{:,.2f}} EUR was claimed on it', c.claimed_eur)
              || coalesce(' by ' || c.exporter, '')
              || ' on ' || strftime(c.claimed_at, '%Y-%m-%d')
              || CASE WHEN c.claims > 1 THEN ' (' || c.claims || ' claims)' ELSE '' END
              || '.'
          ELSE '' END
FROM x ANTI JOIN links USING (x_id)
LEFT JOIN claims c ON c.party = x.party AND c.export_reference = x.reference
WHERE epoch_us(x.time) <= epoch_us({now_sql}) - {due_us}""",
    ]


PAIRS_QUERY = """
SELECT x.party AS exit_party, x.reference AS exit_reference, n.party AS entry_party,
       n.reference AS entry_reference, l.paired_by
FROM links l JOIN x USING (x_id) JOIN n USING (n_id)"""

FINDINGS_QUERY = """
SELECT * FROM findings
ORDER BY exit_party NULLS LAST, exit_reference NULLS LAST, entry_party NULLS LAST,
         entry_reference NULLS LAST, kind NULLS LAST, item_no NULLS LAST"""
