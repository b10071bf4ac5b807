"""SEED matching throughput: riskhub's polars engine against the same rules in DuckDB SQL.

    python bench/matching.py                        # 1M exits x 1M entries, about 2 items each
    python bench/matching.py --declarations 100000 --repeat 3

Builds, with numpy in whole arrays, ``--declarations`` export declarations and as
many entry declarations (the entries of the exports less the ghost exports, plus
as many entries whose export is not in the data), about two goods items each.
Most entries quote their export's reference; some pair only by vehicle, some only
by container (the trailer changed truck). A known number of each discrepancy is
planted on disjoint trips, each well beyond its tolerance, and compliant pairs
agree within tolerance, so each kind should be found exactly as often as planted.

Then, on the same frames, ``matching.match`` (polars) and ``matching.sql.match_sql``
(DuckDB), each the best of ``--repeat`` runs, with CPU seconds beside the wall
time since a busy machine stretches the latter. Generation is not timed. Both use
the machine's cores. Progress goes to stderr; one JSON line is printed last on
stdout. Exits non-zero if the engines disagree.
"""

from __future__ import annotations

import os

# Before polars is imported: its thread pool is sized once, on import.
os.environ.setdefault("POLARS_MAX_THREADS", str(os.cpu_count() or 1))

import argparse
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import duckdb
import numpy as np
import orjson
import polars as pl

from riskhub.matching import KINDS, Matching, match
from riskhub.matching.sql import match_sql

_CORES = os.cpu_count() or 1
GOAL_S = 10
DAYS = 90
START = datetime(2026, 1, 1)
PARTIES = np.array(["AL", "BA", "ME", "MK", "MD", "RS", "XK", "HR", "GR", "HU"])
HS = np.array(["852872", "640399", "610910", "220830", "870323", "940360", "080810", "271019"])
ORIGINS = np.array(["RS", "MK", "AL", "CN", "TR", "DE", "IT", "IN"])
# A vehicle comes back to the border only every this many trip slots, which at any
# size is about 4.5 days: beyond the 72 h window, so pairing by vehicle is unambiguous.
VEHICLE_SLOTS = 20


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -- data ----------------------------------------------------------------------------


def build(declarations: int, seed: int, planted_share: float) -> dict[str, Any]:
    """Exits, entries, VAT claims and the planted discrepancies (trip indices per kind)."""
    rng = np.random.default_rng(seed)
    n = declarations
    k = max(1, round(n * planted_share))  # trips planted with each kind
    # One trip per export, plus k whose entry quotes an export not in the data, so
    # that there are as many entries as exports (k exports are ghosts).
    trips = n + k
    step = DAYS * 86400 / trips
    exit_s = (np.arange(trips) * step + rng.integers(0, 600, trips)).astype(np.int64)
    entry_s = exit_s + rng.integers(1800, 8 * 3600, trips)
    exit_party = rng.integers(0, PARTIES.size, trips)
    entry_party = (exit_party + rng.integers(1, PARTIES.size, trips)) % PARTIES.size
    has_container = rng.random(trips) < 0.1
    items_per = rng.integers(1, 4, trips)  # 1-3, about 2

    # Disjoint planted sets among the trips that have both declarations.
    order = rng.permutation(n)
    kinds = ["missing_entry", "hs6_changed", "origin_changed", "mass_mismatch",
             "undervaluation", "item_count_changed", "weighbridge_mismatch"]  # fmt: skip
    planted = {kind: np.sort(order[i * k : (i + 1) * k]) for i, kind in enumerate(kinds)}
    # Half the planted weighbridge mismatches on entries that pair with nothing.
    orphans = np.arange(n, trips)
    planted["weighbridge_mismatch"] = np.sort(
        np.concatenate([planted["weighbridge_mismatch"][: k - k // 2], orphans[: k // 2]])
    )
    ghost = np.zeros(trips, bool)
    ghost[planted["missing_entry"]] = True

    # How each entry refers to its export: mostly the reference; some only the truck
    # (7% of the trucks without a container), some only the container (30% of those
    # with one: the trailer went on by another truck).
    roll = rng.random(trips)
    by_container = has_container & (roll < 0.3)
    by_vehicle = ~has_container & (roll < 0.07)
    orphan = np.arange(trips) >= n

    # Items: the truth, as exported.
    trip = np.repeat(np.arange(trips), items_per)
    first = np.concatenate([[0], np.cumsum(items_per)[:-1]])
    item_no = np.arange(trip.size) - np.repeat(first, items_per) + 1
    m = trip.size
    hs = rng.integers(0, HS.size, m)
    origin = rng.integers(0, ORIGINS.size, m)
    net = np.round(np.maximum(300.0, rng.lognormal(7.5, 0.8, m)), 1)
    gross = np.round(net * 1.05, 1)
    value = np.round(net * rng.uniform(2, 20, m), 2)

    # What the entry declares.
    lead = item_no == 1
    d_hs = np.where(np.isin(trip, planted["hs6_changed"]) & lead, (hs + 1) % HS.size, hs)
    d_origin = np.where(
        np.isin(trip, planted["origin_changed"]) & lead, (origin + 1) % ORIGINS.size, origin
    )
    light = np.isin(trip, planted["mass_mismatch"])
    d_net = np.where(light, np.round(net * 0.7, 1), net)
    d_gross = np.where(light, np.round(gross * 0.7, 1), gross)
    d_value = np.where(np.isin(trip, planted["undervaluation"]), np.round(value * 0.5, 2), value)
    true_gross = np.bincount(trip, weights=gross, minlength=trips)
    weighbridge = rng.random(trips) < 0.6
    weighbridge[planted["mass_mismatch"]] = False  # so a planted mass is one finding, not two
    weighbridge[planted["weighbridge_mismatch"]] = True
    weighed = np.round(true_gross * (1 + rng.uniform(-0.005, 0.005, trips)), 0)
    weighed[planted["weighbridge_mismatch"]] *= 1.5  # even a 315 kg load is 157 kg off

    # Item count changed: the last item split in two halves, so the totals still agree.
    split = np.flatnonzero(
        np.isin(trip, planted["item_count_changed"]) & (item_no == items_per[trip])
    )
    for column in (d_net, d_gross, d_value):
        column[split] = column[split] / 2
    keep = np.concatenate([np.flatnonzero(~ghost[trip]), split])
    extra_no = np.concatenate(
        [np.zeros(keep.size - split.size, np.int64), np.ones(split.size, np.int64)]
    )
    exported = trip < n
    exits = _rows(
        trip=trip[exported], item_no=item_no[exported], hs=hs[exported],
        origin=origin[exported], net=net[exported], gross=gross[exported],
        value=value[exported], side="E", exit_party=exit_party, party=exit_party,
        time_s=exit_s, has_container=has_container, quotes=None, own_truck=None,
        weighed=None,
    )  # fmt: skip
    entries = _rows(
        trip=trip[keep], item_no=item_no[keep] + extra_no, hs=d_hs[keep],
        origin=d_origin[keep], net=d_net[keep], gross=d_gross[keep], value=d_value[keep],
        side="I", exit_party=exit_party, party=entry_party, time_s=entry_s,
        has_container=has_container, quotes=~(by_vehicle | by_container),
        own_truck=~(by_container | orphan), weighed=np.where(weighbridge, weighed, np.nan),
    )  # fmt: skip

    # VAT refunds: most ghost exports claim one, a tenth of the honest ones too.
    exit_trips = np.arange(n)
    claimed = rng.random(n) < np.where(ghost[:n], 0.8, 0.1)
    value_by_trip = np.bincount(trip, weights=value, minlength=trips)
    c = exit_trips[claimed]
    claims = pl.DataFrame(
        {
            "party": PARTIES[exit_party[c]],
            "_trip": c,
            "exporter": pl.Series(c % 5000).cast(pl.String),
            "amount_eur": np.round(value_by_trip[c] * 0.2, 2),
            "claimed_at": _times(exit_s[c] + rng.integers(1, 11, c.size) * 86400),
        }
    ).select(
        "party",
        _reference("E").alias("export_reference"),
        pl.concat_str(pl.lit("EX"), "exporter").alias("exporter"),
        "amount_eur",
        "claimed_at",
    )
    now = START + timedelta(seconds=int(entry_s.max()) + 3 * 86400)
    return {
        "exits": exits,
        "entries": entries,
        "claims": claims,
        "now": now,
        "planted": planted,
        "ghost_claims": int((claimed & ghost[:n]).sum()),
        "paired_by": {
            "container": int((by_container & ~ghost & ~orphan).sum()),
            "vehicle": int((by_vehicle & ~ghost & ~orphan).sum()),
        },
    }


def _reference(side: str) -> pl.Expr:
    trip = pl.col("_trip").cast(pl.String).str.zfill(9)
    return pl.concat_str(pl.col("party"), pl.lit(f"-{side}-"), trip)


def _times(seconds: np.ndarray) -> pl.Series:
    return pl.Series(seconds * 1_000_000 + int(START.timestamp() * 1_000_000)).cast(
        pl.Datetime("us")
    )


def _rows(
    *,
    trip: np.ndarray,
    item_no: np.ndarray,
    hs: np.ndarray,
    origin: np.ndarray,
    net: np.ndarray,
    gross: np.ndarray,
    value: np.ndarray,
    side: str,
    exit_party: np.ndarray,
    party: np.ndarray,
    time_s: np.ndarray,
    has_container: np.ndarray,
    quotes: np.ndarray | None,
    own_truck: np.ndarray | None,
    weighed: np.ndarray | None,
) -> pl.DataFrame:
    """Item rows in the declaration layout of one side: 'E' exits, 'I' entries."""
    trips = exit_party.size
    vehicles = max(1, trips // VEHICLE_SLOTS)
    total_gross = np.round(np.bincount(trip, weights=gross, minlength=trips), 1)
    entry = side == "I"
    frame = pl.DataFrame(
        {
            "party": PARTIES[party[trip]],
            "_trip": trip,
            "_exit_party": PARTIES[exit_party[trip]],
            "_vehicle": trip % vehicles,
            "_own_truck": own_truck[trip] if own_truck is not None else np.ones(trip.size, bool),
            "_container": has_container[trip],
            "_quotes": quotes[trip] if quotes is not None else np.zeros(trip.size, bool),
            "arrival_at": _times(time_s[trip]),
            "total_gross_mass": total_gross[trip],
            "weighbridge_mass": pl.Series(
                weighed[trip] if weighed is not None else np.full(trip.size, np.nan)
            ).fill_nan(None),
            "item_no": item_no.astype(np.int64),
            "hs_code": HS[hs],
            "origin_country": ORIGINS[origin],
            "net_mass": net,
            "gross_mass": gross,
            "customs_value_eur": value,
        }
    )
    trip_text = pl.col("_trip").cast(pl.String).str.zfill(9)
    return frame.select(
        "party",
        _reference(side).alias("reference"),
        direction=pl.lit("IMPORT" if entry else "EXPORT"),
        office=pl.concat_str("party", pl.lit("01")),
        lodged_at=pl.col("arrival_at") - timedelta(minutes=30),
        arrival_at="arrival_at",
        vehicle_registration=pl.when("_own_truck")
        .then(
            pl.concat_str(
                "_exit_party", pl.lit("-"), pl.col("_vehicle").cast(pl.String).str.zfill(7)
            )
        )
        .otherwise(pl.concat_str(pl.lit("ZZ-"), trip_text)),
        container_ids=pl.when("_container").then(pl.concat_str(pl.lit("MSCU"), trip_text)),
        export_reference=pl.when("_quotes").then(
            pl.concat_str("_exit_party", pl.lit("-E-"), trip_text)
        ),
        dispatch_country="_exit_party",
        destination_country=pl.lit(None, pl.String),
        total_gross_mass="total_gross_mass",
        weighbridge_mass="weighbridge_mass",
        item_no="item_no",
        hs_code="hs_code",
        origin_country="origin_country",
        net_mass="net_mass",
        gross_mass="gross_mass",
        customs_value_eur="customs_value_eur",
    )


# -- the engines ---------------------------------------------------------------------


def timed(label: str, repeat: int, run: Callable[[], Matching]) -> tuple[float, float, Matching]:
    """The best wall seconds of ``repeat`` runs, and that run's CPU seconds and result."""
    best: tuple[float, float, Matching] | None = None
    for k in range(repeat):
        cpu, began = time.process_time(), time.perf_counter()
        result = run()
        wall, cpu = time.perf_counter() - began, time.process_time() - cpu
        log(f"  {label} run {k + 1}: {wall:.3f} s (cpu {cpu:.3f} s, "
            f"load {os.getloadavg()[0]:.2f})")  # fmt: skip
        if best is None or wall < best[0]:
            best = (wall, cpu, result)
    assert best is not None
    return best


FINDING_KEY = ["kind", "exit_party", "exit_reference", "entry_party", "entry_reference", "item_no"]


def same_findings(a: pl.DataFrame, b: pl.DataFrame) -> bool:
    """The same findings: kind, declarations, item, severity and pairing rule.

    Values may differ in the last bits: the two engines sum items in different orders.
    """
    columns = [*FINDING_KEY, "severity", "paired_by"]
    return (
        a.select(columns)
        .sort(columns, nulls_last=True)
        .equals(b.select(columns).sort(columns, nulls_last=True))
    )


def planted_found(findings: pl.DataFrame, data: dict[str, Any]) -> dict[str, float]:
    """Per kind, the share of planted trips with a finding of that kind."""
    out = {}
    for kind, trips in data["planted"].items():
        hits = findings.filter(pl.col("kind") == kind)
        refs = hits.select(
            pl.coalesce("entry_reference", "exit_reference").str.slice(-9).cast(pl.Int64)
        ).to_series()
        out[kind] = round(float(np.isin(trips, refs.to_numpy()).mean()), 4)
    return out


# -- the exchange --------------------------------------------------------------------


def exchange_throughput(args: argparse.Namespace) -> dict[str, Any] | None:
    """Signed messages between two loopback hubs, exactly once (bench/exchange_throughput.py)."""
    if args.exchange_messages <= 0:
        return None
    from exchange_throughput import measure  # this folder's module, beside this script

    log(f"exchange: {args.exchange_messages:,} signed messages between two hubs over HTTPS")
    return measure(args.exchange_messages)


# -- main ----------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--declarations", type=int, default=1_000_000,
                        help="export declarations, and as many entry declarations")  # fmt: skip
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--planted-share", type=float, default=0.002,
                        help="share of trips carrying each planted discrepancy")  # fmt: skip
    parser.add_argument("--skip-sql", action="store_true")
    parser.add_argument("--exchange-messages", type=int, default=5000,
                        help="signed messages between two hubs (0: skip)")  # fmt: skip
    args = parser.parse_args()

    threads = _CORES
    polars_threads = pl.thread_pool_size()
    log(f"cores {_CORES}, polars {pl.__version__} with {polars_threads} threads, "
        f"duckdb {duckdb.__version__} set to {threads} threads")  # fmt: skip

    began = time.perf_counter()
    data = build(args.declarations, args.seed, args.planted_share)
    exits, entries = data["exits"], data["entries"]
    generation_s = time.perf_counter() - began
    n_exits = exits.select("party", "reference").n_unique()
    n_entries = entries.select("party", "reference").n_unique()
    log(f"built {n_exits:,} exits and {n_entries:,} entries, "
        f"{exits.height + entries.height:,} item rows, {data['claims'].height:,} VAT claims "
        f"in {generation_s:.1f} s")  # fmt: skip

    def run_polars() -> Matching:
        return match(exits, entries, now=data["now"], vat_claims=data["claims"])

    def run_sql() -> Matching:
        return match_sql(
            exits, entries, now=data["now"], vat_claims=data["claims"], threads=threads
        )

    polars_s, polars_cpu, result = timed("polars", args.repeat, run_polars)
    findings = result.findings
    by_kind = {k: int(findings.filter(pl.col("kind") == k).height) for k in KINDS}
    paired_by = dict(result.pairs.group_by("paired_by").len().iter_rows())
    log(f"polars: {result.pairs.height:,} pairs {paired_by}, findings {by_kind}")

    sql_s = sql_cpu = None
    same = None
    if not args.skip_sql:
        sql_s, sql_cpu, sql_result = timed("duckdb sql", args.repeat, run_sql)
        same = same_findings(findings, sql_result.findings) and (
            sql_result.pairs.sort(pl.all()).equals(result.pairs.sort(pl.all()))
        )
        log(f"duckdb: {sql_result.pairs.height:,} pairs; findings "
            f"{'the same' if same else 'DIFFERENT'}")  # fmt: skip
        del sql_result

    ghosts = findings.filter(pl.col("kind") == "missing_entry")
    out: dict[str, Any] = {
        "bench": "matching",
        "exits": n_exits,
        "entries": n_entries,
        "item_rows": exits.height + entries.height,
        "vat_claims": data["claims"].height,
        "polars_s": round(polars_s, 3),
        "duckdb_sql_s": None if sql_s is None else round(sql_s, 3),
        "speedup": None if sql_s is None else round(sql_s / polars_s, 2),
        "polars_cpu_s": round(polars_cpu, 3),
        "duckdb_sql_cpu_s": None if sql_cpu is None else round(sql_cpu, 3),
        "pairs": result.pairs.height,
        "paired_by": paired_by,
        "paired_by_expected": {
            "export_reference": n_entries
            - data["paired_by"]["vehicle"]
            - data["paired_by"]["container"]
            - len(data["planted"]["missing_entry"]),
            **data["paired_by"],
        },
        "findings_by_kind": by_kind,
        "planted_by_kind": {k: int(v.size) for k, v in data["planted"].items()},
        "planted_found": planted_found(findings, data),
        "ghosts_high": int((ghosts.get_column("severity") == "high").sum()),
        "ghosts_with_claims": data["ghost_claims"],
        "same_findings": same,
        "goal_s": GOAL_S,
        "goal_met": polars_s < GOAL_S,
        "generation_s": round(generation_s, 1),
        "threads": threads,
        "polars_threads": polars_threads,
        "cores": _CORES,
        "load_avg_1m": round(os.getloadavg()[0], 2),
        "polars": pl.__version__,
        "duckdb": duckdb.__version__,
        "exchange": exchange_throughput(args),
    }
    print(orjson.dumps(out).decode())
    if same is False:
        sys.exit(1)


if __name__ == "__main__":
    main()
