"""Selectivity throughput: riskhub's polars engine against the same criteria in DuckDB and Python.

    python bench/selectivity.py                           # 1M declarations x 200 profiles
    python bench/selectivity.py --declarations 50000 --skip-api

Generates synthetic traffic holding ``--declarations`` whole declarations (about
2.2 goods items each), adds the history fields (timed apart, ``history_s``), and
builds ``--profiles`` risk profiles: the starter library plus variants of it (other
thresholds, HS prefixes, origins, scopes and validity), each read through
``read_library``. Then, on the same frame:

* riskhub's engine, ``selectivity.engine.hit_matrix`` (one boolean column per profile);
* DuckDB, one ``SELECT (applies AND criteria) AS p0, ...`` built with ``SqlBackend``,
  the applies test (Parties, direction, offices, validity) written in SQL the way
  ``CompiledProfile.applies`` writes it in polars. Timed with DuckDB's IN-list-to-join
  rewrite off (faster here), and once with its default optimizers (``duckdb_default_s``);
* per-row Python (``PythonBackend``) on a ``--python-rows`` sample, scaled.

Each engine runs ``--repeat`` times; ``riskhub_s`` and ``duckdb_s`` are medians, and
CPU seconds (all threads) are given beside them, since a busy machine stretches the
wall time. The hit matrices must be identical (the script exits non-zero if not).
Unless ``--skip-api``, it also measures single declarations POSTed to the API on a
fresh SQLite database, with the time spent in each stage of the request
(``--api-profile N`` prints cProfile's top N of each). Progress goes to stderr;
one JSON line is printed last on stdout.
"""

from __future__ import annotations

import argparse
import copy
import glob
import os
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import orjson
import polars as pl
import yaml

from riskhub.profiles.compiled import CompiledProfile, compile_profile
from riskhub.profiles.criteria.backends import SqlBackend
from riskhub.profiles.criteria.backends.sql import literal
from riskhub.profiles.document import read_library
from riskhub.profiles.history import with_history
from riskhub.reference.parties import CEFTA_PARTIES
from riskhub.selectivity.engine import hit_matrix
from riskhub.synth.generator import TrafficSpec, generate
from selectivity_api import LIBRARY, OWNER, api_latency, log

DAYS = 90
DECLARATIONS_PER_TRUCK_DAY = 1.98  # an export and an entry per truck, less ghost exports


# -- data ----------------------------------------------------------------------------


def traffic(declarations: int, seed: int) -> pl.DataFrame:
    """Item rows of exactly ``declarations`` whole declarations, in lodgement order."""
    trucks = max(1, round(declarations / (DAYS * DECLARATIONS_PER_TRUCK_DAY) * 1.03))
    frame = generate(TrafficSpec(days=DAYS, seed=seed, trucks_per_day=trucks))
    keys = frame.select("party", "reference").unique(maintain_order=True)
    if keys.height < declarations:
        raise SystemExit(f"generated only {keys.height:,} declarations")
    return frame.join(
        keys.head(declarations), on=["party", "reference"], how="semi", maintain_order="left"
    )


# -- profiles ------------------------------------------------------------------------


def starter_library() -> list[tuple[dict[str, Any], Any]]:
    """(raw document, read profile) of every starter profile."""
    out = []
    for path in sorted(glob.glob(str(LIBRARY / "*.yaml"))):
        for read in read_library(Path(path).read_text()):
            if not read.ok:
                raise SystemExit(f"{path}: {read.problems}")
            out.append((read.raw, read))
    return out


def _scale(value: float | int, rng: random.Random) -> float | int:
    factor = rng.choice([0.5, 0.6, 0.75, 0.8, 0.9, 1.1, 1.25, 1.5, 2.0])
    if isinstance(value, int):
        return round(value * factor) if value else rng.choice([0, 1, 2])
    return round(value * factor, 2)


class Varier:
    """Deterministic variants of a profile: other thresholds, HS prefixes, origins, scope."""

    NUMBER_OPS = ("gt", "gte", "lt", "lte", "eq", "ne")
    COUNTRY_FIELDS = ("origin_country", "dispatch_country")

    def __init__(self, frame: pl.DataFrame, seed: int) -> None:
        self.rng = random.Random(seed)
        sample = frame.head(200_000)
        # Codes that occur in the traffic, so varied prefixes still find goods.
        self.hs = sorted(sample["hs_code"].unique().to_list())
        self.countries = sorted(sample["origin_country"].unique().to_list())
        offices = sample.select("party", "office").unique().sort("party", "office")
        self.offices = {p: o["office"].to_list() for (p,), o in offices.group_by("party")}
        first, last = frame["lodged_at"].min(), frame["lodged_at"].max()
        assert isinstance(first, datetime) and isinstance(last, datetime)
        self.first, self.days = first.date(), max(1, (last - first).days)

    def variant(self, raw: dict[str, Any], n: int) -> dict[str, Any]:
        rng = self.rng
        doc = copy.deepcopy(raw)
        doc["code"] = f"{raw['code']}-V{n:03d}"[:40]
        doc["title"] = f"{raw['title']} (variant {n})"[:200]
        doc["criteria"] = self.criteria(doc["criteria"])
        roll = rng.random()
        if roll < 0.35:
            parties = rng.sample(sorted(CEFTA_PARTIES), rng.randint(1, 4))
            scope: dict[str, Any] = {"parties": parties}
            if rng.random() < 0.4:
                pool = [o for p in parties for o in self.offices.get(p, [])]
                if pool:
                    scope["offices"] = rng.sample(pool, min(len(pool), rng.randint(1, 3)))
            doc["scope"] = scope
        if rng.random() < 0.25:
            start = self.first + timedelta(days=rng.randint(0, self.days // 2))
            doc["valid_from"] = start
            if rng.random() < 0.6:
                doc["valid_to"] = start + timedelta(days=rng.randint(7, self.days))
        return doc

    def criteria(self, node: Any) -> Any:
        if isinstance(node, list):
            return [self.criteria(x) for x in node]
        if not isinstance(node, dict):
            return node
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key in ("all", "any", "not"):
                out[key] = self.criteria(value)
            else:
                out[key] = self.test(key, value)
        return out

    def test(self, field: str, arg: Any) -> Any:
        rng = self.rng
        if isinstance(arg, list) and field in self.COUNTRY_FIELDS:
            k = max(1, min(len(self.countries), len(arg) + rng.randint(-2, 2)))
            return sorted(set(arg[: k // 2]) | set(rng.sample(self.countries, k - k // 2)))
        if not isinstance(arg, dict):
            return arg
        out = dict(arg)
        for op, value in arg.items():
            if (
                op in self.NUMBER_OPS
                and isinstance(value, int | float)
                and not isinstance(value, bool)
            ):
                scaled = _scale(value, rng)
                if field != "unit_value_percentile" or 0 < scaled <= 100:
                    out[op] = scaled
            elif op in self.NUMBER_OPS and isinstance(value, dict) and "factor" in value:
                out[op] = {**value, "factor": round(value["factor"] * rng.uniform(0.9, 1.1), 3)}
            elif op == "between" and isinstance(value, list):
                factor = rng.choice([0.5, 0.8, 1.2, 1.5])
                out[op] = sorted(round(v * factor, 2) for v in value)
            elif op == "startswith":
                prefixes = [value] if isinstance(value, str) else list(value)
                varied = []
                for prefix in prefixes:
                    if rng.random() < 0.6:
                        prefix = rng.choice(self.hs)[: len(prefix)]
                    varied.append(prefix)
                if rng.random() < 0.3:
                    varied.append(rng.choice(self.hs)[: rng.choice([2, 4, 6])])
                out[op] = sorted(set(varied))
        return out


def build_profiles(frame: pl.DataFrame, count: int, seed: int) -> list[CompiledProfile]:
    starters = starter_library()
    chosen: list[tuple[Any, Any]] = [(read.document, read.criteria) for _, read in starters]
    varier = Varier(frame, seed)
    n = 0
    rejected = 0
    while len(chosen) < count:
        batch: list[dict[str, Any]] = []
        for raw, _ in starters:
            if len(chosen) + len(batch) >= count:
                break
            n += 1
            batch.append(varier.variant(raw, n))
        text = yaml.safe_dump(batch, sort_keys=False, allow_unicode=True)
        for read in read_library(text):
            if read.ok:
                chosen.append((read.document, read.criteria))
            else:
                rejected += 1
        if rejected > count:
            raise SystemExit("too many variants rejected; the varier is wrong")
    if rejected:
        log(f"  {rejected} variants did not read and were replaced")
    return [
        compile_profile(id=i, owner=OWNER, version=1, document=doc, criteria=tree, lists={})
        for i, (doc, tree) in enumerate(chosen[:count])
    ]


# -- the engines ---------------------------------------------------------------------


def sql_applies(p: CompiledProfile) -> str:
    """``CompiledProfile.applies`` in SQL: Parties, direction, offices, validity."""
    tests = [f'"party" IN ({", ".join(literal(x) for x in sorted(p.parties))})']
    if p.direction != "ANY":
        tests.append(f'"direction" = {literal(p.direction)}')
    if p.offices:
        tests.append(f'"office" IN ({", ".join(literal(x) for x in sorted(p.offices))})')
    if p.valid_from:
        tests.append(f'CAST("lodged_at" AS DATE) >= {literal(p.valid_from)}')
    if p.valid_to:
        tests.append(f'CAST("lodged_at" AS DATE) <= {literal(p.valid_to)}')
    return "(" + " AND ".join(tests) + ")"


def sql_query(profiles: Sequence[CompiledProfile]) -> str:
    sql = SqlBackend()
    columns = [
        f"({sql_applies(p)} AND {sql.compile(p.criteria, lists={})}) AS p{i}"
        for i, p in enumerate(profiles)
    ]
    return "SELECT\n  " + ",\n  ".join(columns) + "\nFROM frame"


class ArrowStream:
    """The frame as an Arrow C stream (PyCapsule), cut in batches that DuckDB's threads share.

    The batches are zero-copy slices of the same polars frame; DuckDB reads an
    object with ``__arrow_c_stream__`` without pyarrow (``frame.to_arrow()`` needs it).
    """

    def __init__(self, frame: pl.DataFrame, batch_rows: int) -> None:
        parts = [frame.slice(i, batch_rows) for i in range(0, frame.height, batch_rows)]
        self.frame = pl.concat(parts, rechunk=False) if len(parts) > 1 else frame

    def __arrow_c_stream__(self, requested_schema: object | None = None) -> object:
        return self.frame.__arrow_c_stream__(requested_schema)


def duckdb_connection(
    frame: pl.DataFrame, threads: int, batch_rows: int, *, rewrite_in_lists: bool
) -> tuple[Any, str]:
    """A DuckDB connection reading ``frame`` as the table ``frame``.

    By default DuckDB rewrites an IN list of more than a few constants into a MARK
    hash join against a VALUES list; with 200 profiles that is hundreds of joins and
    several times slower than evaluating the IN lists. ``rewrite_in_lists=False``
    turns that optimizer off (``disabled_optimizers = 'in_clause'``): the stronger
    baseline, the one timed by default.
    """
    con = duckdb.connect()
    con.execute(f"SET threads = {threads}")
    if not rewrite_in_lists:
        con.execute("SET disabled_optimizers = 'in_clause'")
    try:
        import pyarrow  # noqa: F401

        con.register("frame", frame.to_arrow())
        how = "pyarrow table (frame.to_arrow())"
    except ModuleNotFoundError:
        con.register("frame", ArrowStream(frame, batch_rows))
        how = f"Arrow C stream of the polars frame, {batch_rows:,}-row batches (no pyarrow)"
    return con, how


def run_duckdb(con: Any, query: str) -> pl.DataFrame:
    # Polars reads DuckDB's result through the Arrow PyCapsule stream (no pyarrow needed).
    return pl.DataFrame(con.sql(query))


def timed(label: str, repeat: int, run: Callable[[], Any]) -> tuple[list[float], list[float], Any]:
    """Wall and CPU seconds (all threads) of each run, and the last result."""
    walls, cpus, result = [], [], None
    for k in range(repeat):
        result = None
        cpu, began = time.process_time(), time.perf_counter()
        result = run()
        walls.append(time.perf_counter() - began)
        cpus.append(time.process_time() - cpu)
        log(f"  {label} run {k + 1}: {walls[-1]:.3f} s (cpu {cpus[-1]:.3f} s, "
            f"load {os.getloadavg()[0]:.2f})")  # fmt: skip
    return walls, cpus, result


def mismatches(left: pl.DataFrame, right: pl.DataFrame) -> dict[str, int]:
    """Per column, how many rows differ (a null differs from a boolean)."""
    if left.shape != right.shape or left.columns != right.columns:
        return {"shape": -1}
    out = {}
    for name in left.columns:
        a, b = left[name], right[name]
        differ = (a != b).fill_null(True) & ~(a.is_null() & b.is_null())
        if (n := int(differ.sum())) or a.null_count() != b.null_count():
            out[name] = n
    return out


# -- per-row Python ------------------------------------------------------------------


Row = dict[str, Any]


def python_tests(profiles: Sequence[CompiledProfile]) -> list[Callable[[Row], bool]]:
    """Each profile's scope test and criteria, one row at a time (the Python backend)."""
    return [p.hits_row for p in profiles]


# -- main ----------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--declarations", type=int, default=1_000_000)
    parser.add_argument("--profiles", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--python-rows", type=int, default=10_000)
    parser.add_argument("--duckdb-batch-rows", type=int, default=122_880)
    parser.add_argument("--compare-rows", type=int, default=0,
                        help="compare the engines on the first N rows only (0: all)")  # fmt: skip
    parser.add_argument("--duckdb-default-runs", type=int, default=1,
                        help="runs of DuckDB with its default optimizers (0: none)")  # fmt: skip
    parser.add_argument("--skip-api", action="store_true")
    parser.add_argument("--api-requests", type=int, default=300)
    parser.add_argument("--api-warmup", type=int, default=30)
    parser.add_argument("--api-trucks-per-day", type=int, default=800)
    parser.add_argument("--api-profile", type=int, default=0, metavar="N",
                        help="cProfile the timed requests; print the top N functions")  # fmt: skip
    args = parser.parse_args()

    polars_threads = pl.thread_pool_size()
    duckdb_threads = polars_threads
    log(f"cores {os.cpu_count()}, polars {pl.__version__} with {polars_threads} threads, "
        f"duckdb {duckdb.__version__} set to {duckdb_threads} threads")  # fmt: skip

    began = time.perf_counter()
    frame = traffic(args.declarations, args.seed)
    declarations = frame.select("party", "reference").n_unique()
    log(f"generated {declarations:,} declarations, {frame.height:,} item rows "
        f"in {time.perf_counter() - began:.1f} s")  # fmt: skip
    began = time.perf_counter()
    frame = with_history(frame).rechunk()
    history_s = time.perf_counter() - began
    log(f"history fields added in {history_s:.1f} s; {frame.width} columns, "
        f"{frame.estimated_size('mb'):,.0f} MB")  # fmt: skip

    began = time.perf_counter()
    profiles = build_profiles(frame, args.profiles, args.seed)
    scoped = sum(p.parties != profiles[0].parties for p in profiles)
    offices = sum(bool(p.offices) for p in profiles)
    dated = sum(bool(p.valid_from or p.valid_to) for p in profiles)
    log(f"{len(profiles)} profiles compiled in {time.perf_counter() - began:.1f} s ({scoped} "
        f"scoped to some Parties, {offices} to offices, {dated} with validity dates)")  # fmt: skip

    riskhub_walls, riskhub_cpus, hits = timed(
        "riskhub", args.repeat, lambda: hit_matrix(frame, profiles)
    )
    compared = frame.height if not args.compare_rows else min(args.compare_rows, frame.height)
    fired = hits.select(pl.all().sum()).row(0)
    log(f"riskhub: {sum(fired):,} hits, {sum(n > 0 for n in fired)}/{len(fired)} profiles hit "
        f"at least once, {hits.null_count().sum_horizontal().item()} nulls")  # fmt: skip

    query = sql_query(profiles)
    duckdb_default_s = None
    default_identical = default_in_order = None
    if args.duckdb_default_runs:
        # With its IN-list joins DuckDB does not keep the rows in order: it reads a row
        # number too, and the rows are put back in order after the timing.
        numbered = frame.with_row_index("_row")
        con, how = duckdb_connection(numbered, duckdb_threads, args.duckdb_batch_rows,
                                     rewrite_in_lists=True)  # fmt: skip
        log(f"duckdb (default optimizers) reads the {how}")
        ordered_query = query.replace("SELECT\n", 'SELECT\n  "_row",\n', 1)
        walls, _, duck = timed("duckdb default", args.duckdb_default_runs,
                               lambda: run_duckdb(con, ordered_query))  # fmt: skip
        duckdb_default_s = statistics.median(walls)
        default_in_order = in_order = duck["_row"].equals(numbered["_row"])
        duck = duck.sort("_row").drop("_row")
        default_identical = not mismatches(hits.head(compared), duck.head(compared))
        log(f"  rows came back {'in' if in_order else 'OUT OF'} order; in order, "
            f"{'identical' if default_identical else 'DIFFERENT'}")  # fmt: skip
        del duck, numbered
        con.close()
    con, how = duckdb_connection(frame, duckdb_threads, args.duckdb_batch_rows,
                                 rewrite_in_lists=False)  # fmt: skip
    log(f"duckdb (in_clause rewrite off) reads the {how}")
    duckdb_walls, duckdb_cpus, duck = timed("duckdb", args.repeat, lambda: run_duckdb(con, query))
    riskhub_s, duckdb_s = statistics.median(riskhub_walls), statistics.median(duckdb_walls)
    differ = mismatches(hits.head(compared), duck.head(compared))
    identical = not differ and default_identical is not False
    log(f"hit matrices {'identical' if identical else 'DIFFER'} on {compared:,} rows")
    if differ:
        log(f"  differing columns (rows): {dict(list(differ.items())[:20])}")
    del duck
    con.close()

    sample = frame.head(args.python_rows)
    rows = sample.to_dicts()
    tests = python_tests(profiles)
    began = time.perf_counter()
    python_hits = [[test(row) for test in tests] for row in rows]
    python_elapsed = time.perf_counter() - began
    python_rows_per_s = len(rows) / python_elapsed
    expected = hits.head(len(rows)).fill_null(False).rows()
    python_identical = [tuple(r) for r in python_hits] == expected
    log(f"python: {len(rows):,} rows x {len(tests)} profiles in {python_elapsed:.2f} s "
        f"({python_rows_per_s:,.0f} rows/s), {'same as' if python_identical else 'DIFFERS from'} "
        "riskhub")  # fmt: skip

    result: dict[str, Any] = {
        "bench": "selectivity",
        "rows": frame.height,
        "declarations": declarations,
        "profiles": len(profiles),
        "riskhub_s": round(riskhub_s, 3),
        "duckdb_s": round(duckdb_s, 3),
        "riskhub_min_s": round(min(riskhub_walls), 3),
        "duckdb_min_s": round(min(duckdb_walls), 3),
        "riskhub_cpu_s": round(statistics.median(riskhub_cpus), 3),
        "duckdb_cpu_s": round(statistics.median(duckdb_cpus), 3),
        "duckdb_default_s": None if duckdb_default_s is None else round(duckdb_default_s, 3),
        "duckdb_default_identical": default_identical,
        "duckdb_default_in_order": default_in_order,
        "python_rows_per_s": round(python_rows_per_s),
        "python_1m_s_scaled": round(frame.height / python_rows_per_s, 1),
        "ratio_vs_duckdb": round(duckdb_s / riskhub_s, 2),
        "identical": identical,
        "compared_rows": compared,
        "python_identical": python_identical,
        "history_s": round(history_s, 2),
        "threads": polars_threads,
        "polars_threads": polars_threads,
        "duckdb_threads": duckdb_threads,
        "cores": os.cpu_count(),
        "load_avg_1m": round(os.getloadavg()[0], 2),
        "duckdb_source": how.split(",")[0],
        "api_decision_p50_ms": None,
        "api_decision_p99_ms": None,
    }
    if not args.skip_api:
        log("api: single declarations on SQLite")
        result.update(
            api_latency(
                args.api_requests,
                args.api_warmup,
                args.api_trucks_per_day,
                args.seed,
                profile_top=args.api_profile,
            )
        )
    goals = {
        "goal_riskhub_le_3s": riskhub_s <= 3.0,
        "goal_ratio_ge_1_2": duckdb_s / riskhub_s >= 1.2,
    }
    if result["api_decision_p99_ms"] is not None:
        p99 = result.get("post_plus_decide_p99_ms", result["api_decision_p99_ms"])
        goals["goal_decision_p99_le_25ms"] = p99 <= 25
    result.update(goals)
    print(orjson.dumps(result).decode())
    if not (identical and python_identical):
        sys.exit(1)


if __name__ == "__main__":
    main()
