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
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import orjson
import polars as pl
import yaml

from riskhub.profiles.compiled import CompiledProfile, compile_profile
from riskhub.profiles.criteria.backends import PythonBackend, SqlBackend
from riskhub.profiles.criteria.backends.sql import literal
from riskhub.profiles.document import read_library
from riskhub.profiles.history import with_history
from riskhub.reference.parties import CEFTA_PARTIES
from riskhub.selectivity.engine import hit_matrix
from riskhub.synth.generator import DEFAULT_START, TrafficSpec, generate

DAYS = 90
DECLARATIONS_PER_TRUCK_DAY = 1.98  # an export and an entry per truck, less ghost exports
LIBRARY = Path(__file__).resolve().parent.parent / "src" / "riskhub" / "profiles" / "library"
OWNER = "XS"  # the Secretariat's common profiles apply to every Party unless scoped


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


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


def python_test(p: CompiledProfile, criteria: Callable[[Row], bool]) -> Callable[[Row], bool]:
    """``applies() & criteria`` of one profile as a function of one row."""
    parties, direction, offices = p.parties, p.direction, p.offices
    valid_from, valid_to = p.valid_from, p.valid_to

    def test(row: Row) -> bool:
        if row["party"] not in parties:
            return False
        if direction != "ANY" and row["direction"] != direction:
            return False
        if offices and row["office"] not in offices:
            return False
        if valid_from or valid_to:
            day = row["lodged_at"].date()
            if (valid_from and day < valid_from) or (valid_to and day > valid_to):
                return False
        return criteria(row)

    return test


def python_tests(profiles: Sequence[CompiledProfile]) -> list[Callable[[Row], bool]]:
    backend = PythonBackend()
    return [python_test(p, backend.compile(p.criteria, lists={})) for p in profiles]


# -- the API -------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    low, high = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


def nested(rows: pl.DataFrame) -> list[dict[str, Any]]:
    """Declarations as the API takes them, from item rows (known outcomes left out)."""
    from riskhub.declarations import schemas

    header = [f for f in schemas.DeclarationIn.model_fields if f in rows.columns]
    item = [
        f for f in schemas.ItemIn.model_fields if f in rows.columns and not f.startswith("known")
    ]
    out = []
    for (_, _), group in rows.group_by(["party", "reference"], maintain_order=True):
        records = group.to_dicts()
        body = {k: _json(k, records[0][k]) for k in header if records[0][k] is not None}
        body["items"] = [{k: _json(k, r[k]) for k in item if r[k] is not None} for r in records]
        out.append(body)
    return out


def _json(name: str, value: Any) -> Any:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    if name in ("lpco_refs", "container_ids") and isinstance(value, str):
        return value.split(";")
    return value


class Stages:
    """Wall milliseconds spent in named functions during one request (wrapped in place).

    With ``profile`` on, each wrapped function is also run under cProfile (in the
    thread that calls it: the app's worker, which a profiler of the client's thread
    would not see).
    """

    def __init__(self) -> None:
        self.last: dict[str, float] = {}
        self.undo: list[tuple[Any, str, Any]] = []
        self.profiles: dict[str, Any] = {}
        self.profile = False

    def wrap(self, module: Any, name: str, label: str) -> None:
        import cProfile

        original = getattr(module, name)
        self.profiles[label] = cProfile.Profile()

        def timed_call(*args: Any, **kwargs: Any) -> Any:
            began = time.perf_counter()
            try:
                if self.profile:
                    return self.profiles[label].runcall(original, *args, **kwargs)
                return original(*args, **kwargs)
            finally:
                spent = (time.perf_counter() - began) * 1000
                self.last[label] = self.last.get(label, 0.0) + spent

        setattr(module, name, timed_call)
        self.undo.append((module, name, original))

    def restore(self) -> None:
        for module, name, original in reversed(self.undo):
            setattr(module, name, original)

    def report(self, top: int) -> str:
        import io
        import pstats

        text = io.StringIO()
        for label, profiler in self.profiles.items():
            text.write(f"--- profile of {label} ---\n")
            stats = pstats.Stats(profiler, stream=text)
            stats.strip_dirs().sort_stats("cumulative").print_stats(top)
        return text.getvalue()


def api_latency(
    requests: int, warmup: int, trucks_per_day: int, seed: int, profile_top: int = 0
) -> dict[str, Any]:
    """Single declarations POSTed one by one to a fresh SQLite riskhub, each timed."""
    from fastapi.testclient import TestClient
    from sqlalchemy.orm import Session

    from riskhub import logs
    from riskhub.access import service as access
    from riskhub.access.roles import Role
    from riskhub.app import create_app
    from riskhub.db import migrate
    from riskhub.db.engine import get_admin_engine, get_engine
    from riskhub.db.tenancy import acting_for
    from riskhub.declarations import service as declarations
    from riskhub.profiles import service as profiles
    from riskhub.selectivity import engine as selectivity_engine
    from riskhub.selectivity import service as selectivity
    from riskhub.settings import get_settings
    from riskhub.synth.writer import write_traffic

    history_days = 20
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="riskhub-bench-api-") as tmp:
        folder = Path(tmp)
        os.environ["RISKHUB_DATA_DIR"] = str(folder / "var")
        os.environ["RISKHUB_DATABASE_URL"] = f"sqlite:///{folder / 'riskhub.sqlite3'}"
        os.environ.pop("RISKHUB_ADMIN_DATABASE_URL", None)
        get_settings.cache_clear()
        logs.configure()  # riskhub's logs to stderr, as the app does
        migrate.upgrade()

        frame = generate(
            TrafficSpec(days=history_days + 2, seed=seed, trucks_per_day=trucks_per_day)
        )
        cut = datetime.combine(DEFAULT_START + timedelta(days=history_days), datetime.min.time())
        history = frame.filter(pl.col("lodged_at") < cut)
        later = frame.filter((pl.col("lodged_at") >= cut) & (pl.col("party") == "RS"))
        path = folder / "history.csv"
        write_traffic(history, path)
        began = time.perf_counter()
        summary = declarations.ingest_path(engine=get_admin_engine(), path=path)
        log(
            f"  history: {summary.stored:,} declarations ({history.height:,} items, "
            f"{history_days} days) loaded in {time.perf_counter() - began:.1f} s"
        )
        now = datetime.now(UTC).replace(tzinfo=None)
        with Session(get_admin_engine()) as session, session.begin():
            imported = 0
            for path_ in sorted(LIBRARY.glob("*.yaml")):
                outcomes = profiles.import_profiles(
                    session=session, party=OWNER, text=path_.read_text(), activate=True
                )
                imported += sum(o.outcome != "rejected" for o in outcomes)
            user = access.create_user(
                session=session, party="RS", name="bench-analyst", role=Role.ANALYST, now=now
            )
            token = access.issue_token(session=session, user=user, days=1, now=now).token
        log(f"  {imported} starter profiles imported as {OWNER} and activated")

        bodies = nested(later)
        needed = warmup + requests
        if len(bodies) < needed:
            raise SystemExit(f"only {len(bodies)} RS declarations after the history; raise trucks")
        bodies = bodies[:needed]
        day_one = sum(b["lodged_at"] < (cut + timedelta(days=1)).isoformat() for b in bodies)
        log(
            f"  posting {needed} RS declarations ({warmup} warm-up), {day_one} lodged on the "
            "day after the history"
        )
        headers = {"Authorization": f"Bearer {token}"}
        stages = Stages()
        stages.wrap(declarations, "ingest_records", "ingest")
        stages.wrap(selectivity, "decide_declarations", "decide")
        stages.wrap(selectivity, "get_decision", "read_decision")
        # Inside decide_declarations:
        stages.wrap(selectivity, "_earlier_for", "decide_history_query")
        stages.wrap(selectivity, "with_history", "decide_history_fields")
        stages.wrap(selectivity_engine, "fired", "decide_profiles_fired")
        stages.wrap(selectivity, "_cached_active", "decide_active_profiles")
        stages.wrap(selectivity, "_threshold", "decide_threshold")
        per_stage: dict[str, list[float]] = {label: [] for label in stages.profiles}
        api_ms: list[float] = []
        decide_ms: list[float] = []
        channels: dict[str, int] = {}
        in_response = None
        with TestClient(create_app()) as client:
            for k, body in enumerate(bodies):
                stages.profile = k >= warmup and profile_top > 0
                stages.last.clear()
                began = time.perf_counter()
                response = client.post("/api/v1/declarations", json=body, headers=headers)
                elapsed = (time.perf_counter() - began) * 1000
                if response.status_code != 201:
                    raise SystemExit(f"POST {body['reference']}: {response.status_code} "
                                     f"{response.text[:500]}")  # fmt: skip
                status = response.json()["declarations"][0]
                decision = status.get("decision")
                if in_response is None:
                    in_response = decision is not None
                    log(f"  the response {'carries' if in_response else 'has no'} decision")
                channel = None
                decide_elapsed = None
                if decision is not None:
                    channel = decision.get("channel")
                else:
                    began = time.perf_counter()
                    with acting_for("RS"), Session(get_engine()) as session, session.begin():
                        made = selectivity.decide_declarations(
                            session=session, party="RS", ids=[status["id"]]
                        )
                    decide_elapsed = (time.perf_counter() - began) * 1000
                    channel = made[0].channel.value if made else None
                if k >= warmup:
                    api_ms.append(elapsed)
                    for label, values in per_stage.items():
                        values.append(stages.last.get(label, 0.0))
                    if decide_elapsed is not None:
                        decide_ms.append(decide_elapsed)
                    channels[str(channel)] = channels.get(str(channel), 0) + 1
        stages.restore()
        if profile_top:
            log(stages.report(profile_top))
        get_settings.cache_clear()

    out["api_requests"] = len(api_ms)
    out["api_decision_in_response"] = bool(in_response)
    out["api_decision_p50_ms"] = round(percentile(api_ms, 0.5), 2)
    out["api_decision_p99_ms"] = round(percentile(api_ms, 0.99), 2)
    out["api_max_ms"] = round(max(api_ms), 2)
    if decide_ms:
        out["decide_p50_ms"] = round(percentile(decide_ms, 0.5), 2)
        out["decide_p99_ms"] = round(percentile(decide_ms, 0.99), 2)
        total = [a + d for a, d in zip(api_ms, decide_ms, strict=True)]
        out["post_plus_decide_p99_ms"] = round(percentile(total, 0.99), 2)
    for label, values in per_stage.items():
        if any(values):
            out[f"api_{label}_p50_ms"] = round(percentile(values, 0.5), 2)
            out[f"api_{label}_p99_ms"] = round(percentile(values, 0.99), 2)
    out["api_channels"] = channels
    return out


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
