"""When the hub outgrows one machine: Spark local mode vs the single-process engine; API workers.

    python bench/scale.py [--declarations 5000000] [--profiles 200] [--master local[2]]
                          [--api-url postgresql+psycopg://...] [--skip-api]

Selectivity: generated traffic (``riskhub.synth``, about 96,000 declarations
of 11 Parties in 30 days, with history fields) is copied under new references
and later days until it holds ``--declarations`` declarations, written as the
export writes it (Parquet, whole declarations per file). ``--profiles`` risk
profiles are generated from templates over the traffic's own HS codes and
value quantiles (each one different, so no two share a compiled expression).
The same work (``batch.work.DecideWork``: criteria, AEO, random control,
channel; no model) then runs in this process (``LocalEngine``, one file after
another: the single-process engine) and on Spark ``--master`` (``SparkEngine``,
``mapInArrow``), and the two outputs are compared row for row. Side by side,
the criteria alone: the hub's polars evaluator inside ``mapInArrow`` against
the same criteria compiled to Spark SQL by the SQL backend.

On PostgreSQL (``--api-url``, a scratch database that is emptied; skipped
without one): ``riskhub select`` end to end, the hub's batch against Spark with
the time of each stage (export from the store, Spark, store back), and API
throughput with ``bench/scale_api.py``'s ``measure``, 1 and 3 API worker
processes. One JSON line last on stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from riskhub.batch.engines import LocalEngine, SparkEngine, spark_available
from riskhub.batch.work import DecideWork, JudgeWork
from riskhub.profiles.compiled import CompiledProfile, compile_profile
from riskhub.profiles.criteria.backends import SqlBackend
from riskhub.profiles.document import read_profile
from riskhub.profiles.history import with_history
from riskhub.reference.parties import SECRETARIAT_PARTY
from riskhub.registries.service import AeoRegister
from riskhub.selectivity.rows import SCHEMA
from riskhub.selectivity.scoring import NoModel
from riskhub.synth.generator import TrafficSpec, generate

BASE = TrafficSpec(days=30, trucks_per_day=1600, seed=7)


def base_rows() -> pl.DataFrame:
    """One month of generated traffic as the export writes it (history fields, no SEED pairs)."""
    frame = generate(BASE)
    ids = frame.select(pl.struct("party", "reference").rank("dense").cast(pl.Int64))
    frame = frame.with_columns(declaration_id=ids.to_series(), version=pl.lit(1, pl.Int64))
    frame = frame.with_columns(
        [pl.col(n).cast(t) for n, t in SCHEMA.items() if n in frame.columns]
    ).sort("lodged_at", "declaration_id", "item_no")
    return with_history(frame).with_columns(
        seed_paired=pl.lit(False), seed_discrepancy=pl.lit(False),
        seed_discrepancy_kinds=pl.lit(None, pl.String),
    )  # fmt: skip


def write_copies(base: pl.DataFrame, declarations: int, folder: Path) -> tuple[int, int, int]:
    """``base`` again under new ids and later days up to ``declarations``; (decl., rows, files)."""
    per_copy = base["declaration_id"].n_unique()
    copies = -(-declarations // per_copy)
    rows = kept = 0
    for copy in range(copies):
        take = min(per_copy, declarations - kept)
        frame = base.filter(pl.col("declaration_id") <= take).with_columns(
            (pl.col("declaration_id") + copy * per_copy),
            pl.col("reference") + f"-{copy}",
            pl.col("lodged_at") + timedelta(days=BASE.days * copy),
        )
        frame.write_parquet(folder / f"copy-{copy:03d}.parquet")
        rows += frame.height
        kept += take
    return kept, rows, copies


TEMPLATES = (
    '- hs_code: {{startswith: "{hs}"}}\n    - customs_value_eur: {{gt: {value}}}',
    '- hs_code: {{startswith: "{hs}"}}\n    - unit_value_kg: {{lt: {unit}}}',
    '- hs_code: {{startswith: "{hs}"}}\n    - origin_country: {{in: [{origins}]}}',
    '- hs_code: {{startswith: "{hs}"}}\n    - net_mass: {{gt: {mass}}}\n'
    "    - trader_declarations_90d: {{lt: {count}}}",
    '- hs_code: {{startswith: "{hs}"}}\n    - dispatch_differs_from_origin: {{equals: true}}\n'
    "    - new_trader: {{equals: true}}",
)


def make_profiles(base: pl.DataFrame, count: int) -> list[CompiledProfile]:
    """``count`` different profiles over the traffic's own goods, values and origins."""
    rng = np.random.default_rng(11)
    hs4 = base["hs_code"].str.slice(0, 4).value_counts().sort("count", descending=True)
    codes = hs4["hs_code"].head(60).to_list()
    origins = base["origin_country"].drop_nulls().unique().sort().to_list()
    unit_values = base["customs_value_eur"] / base["net_mass"]
    made = []
    for i in range(count):
        q = float(rng.uniform(0.85, 0.995))
        criteria = TEMPLATES[i % len(TEMPLATES)].format(
            # Chapters and headings: the prefixes HS criteria accept (2, 4 or 6 digits).
            hs=codes[i % len(codes)][: (4, 2)[(i // len(codes)) % 2]],
            value=round(float(base["customs_value_eur"].quantile(q) or 0), 2),
            unit=round(float(unit_values.quantile(1 - q) or 0), 3),
            origins=", ".join(rng.choice(origins, 3, replace=False)),
            mass=round(float(base["net_mass"].quantile(q) or 0), 1),
            count=int(rng.integers(2, 20)),
        )
        text = (f"code: BENCH-{i:03d}\ntitle: Bench profile {i}\nthreat: other\ncriteria:\n"
                f"  all:\n    {criteria}\naction: {{channel: {('yellow', 'red')[i % 2]}}}\n"
                f"weight: {10 + i % 40}\nselect_share: 0.5\n")  # fmt: skip
        read = read_profile(text)
        assert read.ok and read.document and read.criteria, (text, read.problems)
        made.append(
            compile_profile(id=i, owner=SECRETARIAT_PARTY, version=1, document=read.document,
                            criteria=read.criteria, lists={})
        )  # fmt: skip
    return made


def spark_sql(profile: CompiledProfile) -> str:
    """The profile's test (scope and criteria) in Spark SQL, from the SQL backend."""
    criteria = SqlBackend().compile(profile.criteria, lists={})
    # The SQL backend speaks PostgreSQL and DuckDB; Spark names three things differently.
    criteria = (criteria.replace("DOUBLE PRECISION", "DOUBLE").replace("strpos(", "instr(")
                .replace("EXTRACT(ISODOW FROM", "EXTRACT(DAYOFWEEK_ISO FROM"))  # fmt: skip
    parties = ", ".join(f"'{p}'" for p in sorted(profile.parties))
    scope = f'"party" IN ({parties})'
    if profile.direction != "ANY":
        scope += f" AND \"direction\" = '{profile.direction}'"
    return f"({scope}) AND {criteria}"


def sql_fired(spark: SparkEngine, profiles: list[CompiledProfile], rows: Path, out: Path) -> None:
    """Per declaration, the positions of the profiles that fire, all in Spark SQL."""
    from pyspark.sql import functions as F

    frame = spark.session().read.parquet(str(rows))
    tests = [F.expr(spark_sql(p)).alias(f"p{i}") for i, p in enumerate(profiles)]
    per_item = frame.select("party", "reference", "declaration_id", *tests)
    per_declaration = per_item.groupBy("party", "reference", "declaration_id").agg(
        *[F.max(f"p{i}").alias(f"p{i}") for i in range(len(profiles))]
    )
    fired = F.filter(
        F.array(*[F.when(F.col(f"p{i}"), F.lit(i)) for i in range(len(profiles))]),
        lambda x: x.isNotNull(),
    )
    per_declaration.select("declaration_id", fired.alias("fired")).write.mode("overwrite").parquet(
        str(out)
    )


def end_to_end(database_url: str, *, days: int, trucks_per_day: int, master: str) -> dict[str, Any]:
    """``riskhub select`` on PostgreSQL, the hub's batch against Spark: export, engine and store.

    The database (emptied) gets ``days`` of generated traffic of all Parties
    (``scale_api.prepare``); every CEFTA Party's declarations are decided by
    the hub's batch, then forgotten and decided again through Spark, and the
    two sets of stored decisions are compared.
    """
    from sqlalchemy import delete, select
    from sqlalchemy.orm import Session

    from riskhub.batch import service as batch
    from riskhub.db.engine import make_engine
    from riskhub.kpis.models import KpiDay
    from riskhub.reference.parties import CEFTA_PARTIES
    from riskhub.registries.lpco.models import LpcoDrawdown
    from riskhub.selectivity import service as selectivity
    from riskhub.selectivity.models import SelectivityDecision
    from riskhub.settings import get_settings
    from riskhub.targeting.models import ShadowScore
    from scale_api import prepare  # type: ignore[import-not-found]

    folder = Path(tempfile.mkdtemp(prefix="riskhub-scale-e2e-"))
    os.environ["RISKHUB_DATA_DIR"] = str(folder)  # the hub key that keys the draws
    get_settings.cache_clear()
    selectivity.hub_secret.cache_clear()
    try:
        prepare(database_url, folder=folder, history_days=days, later_days=0,
                trucks_per_day=trucks_per_day, seed=7)  # fmt: skip
        engine = make_engine(database_url)
        s = SelectivityDecision

        def forget() -> None:
            with Session(engine) as session, session.begin():
                for table in (ShadowScore, LpcoDrawdown, SelectivityDecision, KpiDay):
                    session.execute(delete(table))

        def decisions() -> list[tuple[Any, ...]]:
            with Session(engine) as session:
                return list(session.execute(
                    select(s.declaration_id, s.channel, s.score, s.reasons, s.budget)
                    .order_by(s.declaration_id)
                ).all())  # fmt: skip

        forget()
        hub_s, _ = timed(lambda: [selectivity.decide_pending(engine_=engine, party=p)
                                  for p in sorted(CEFTA_PARTIES)])  # fmt: skip
        expected = decisions()
        forget()
        spark = SparkEngine(master)
        stages: dict[str, float] = {}
        started = time.perf_counter()
        for party in sorted(CEFTA_PARTIES):
            done = batch.select_on(engine_=engine, batch=spark, party=party, work_dir=folder)
            for stage, seconds in done.seconds.items():
                stages[stage] = round(stages.get(stage, 0.0) + seconds, 2)
        spark_s = round(time.perf_counter() - started, 2)
        spark.close()
        got = decisions()
        return {
            "database": "postgresql", "declarations": len(expected), "hub_batch_s": hub_s,
            "spark_select_s": spark_s, "spark_stages_s": stages, "identical": got == expected,
        }  # fmt: skip
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def timed(step: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    result = step()
    return round(time.perf_counter() - started, 2), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--declarations", type=int, default=5_000_000)
    parser.add_argument("--profiles", type=int, default=200)
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--api-url", default=os.environ.get("RISKHUB_BENCH_DATABASE_URL"))
    parser.add_argument("--api-seconds", type=float, default=20.0)
    parser.add_argument("--api-concurrency", type=int, default=16)
    parser.add_argument("--skip-api", action="store_true")
    parser.add_argument("--e2e-days", type=int, default=60, help="Days of traffic end to end.")
    parser.add_argument("--work", type=Path, default=None, help="Scratch folder (default: temp).")
    args = parser.parse_args()
    why_not = spark_available()
    if why_not:
        sys.exit(f"bench/scale.py needs Spark: {why_not}")
    work = Path(tempfile.mkdtemp(prefix="riskhub-scale-", dir=args.work))
    result: dict[str, Any] = {"bench": "scale", "cores": os.cpu_count()}
    try:
        base = base_rows()
        profiles = make_profiles(base, args.profiles)
        rows = work / "rows"
        rows.mkdir()
        seconds, (declarations, item_rows, files) = timed(
            lambda: write_copies(base, args.declarations, rows)
        )
        print(f"{declarations:,} declarations, {item_rows:,} item rows, {files} files "
              f"written in {seconds} s", file=sys.stderr)  # fmt: skip
        job = DecideWork(profiles, {}, AeoRegister({}), NoModel(), b"bench-draw-secret")
        local_s, _ = timed(lambda: LocalEngine().run(job, rows=rows, out=work / "local"))
        print(f"single process: {local_s} s", file=sys.stderr)
        # ANSI SQL for the SQL backend's "quoted" column names; the polars work ignores it.
        ansi = {"spark.sql.ansi.enabled": "true", "spark.sql.ansi.doubleQuotedIdentifiers": "true"}
        spark = SparkEngine(args.master, conf=ansi)
        start_s, _ = timed(spark.session)
        spark_s, written = timed(lambda: spark.run(job, rows=rows, out=work / "spark"))
        partitions = spark.last_partitions
        print(f"spark {args.master}: {spark_s} s ({partitions} partitions)", file=sys.stderr)
        here = pl.read_parquet(work / "local" / "*.parquet").sort("declaration_id")
        there = pl.read_parquet(work / "spark" / "*.parquet").sort("declaration_id")
        identical = here.equals(there)
        judge = JudgeWork(profiles)
        polars_s, _ = timed(lambda: spark.run(judge, rows=rows, out=work / "polars-fired"))
        sql_s, _ = timed(lambda: sql_fired(spark, profiles, rows, work / "sql-fired"))
        print(
            f"criteria only: mapInArrow+polars {polars_s} s, Spark SQL {sql_s} s", file=sys.stderr
        )
        by_polars = pl.read_parquet(work / "polars-fired" / "*.parquet").select(
            "declaration_id", pl.col("fired").list.sort()
        )
        by_sql = pl.read_parquet(work / "sql-fired" / "*.parquet").select(
            "declaration_id", pl.col("fired").list.sort()
        )
        same_fired = by_polars.sort("declaration_id").equals(by_sql.sort("declaration_id"))
        spark.close()
        result["selectivity"] = {
            "declarations": declarations, "item_rows": item_rows, "profiles": len(profiles),
            "files": files, "decisions_written": written, "identical": identical,
            "single_process_s": local_s, "spark_master": args.master,
            "spark_partitions": partitions, "spark_session_start_s": start_s,
            "spark_s": spark_s, "spark_over_single": round(spark_s / local_s, 2),
            "single_declarations_per_s": round(declarations / local_s),
            "spark_declarations_per_s": round(declarations / spark_s),
            "red": int((here["channel"] == "red").sum()),
            "fired_any": int(by_polars["fired"].list.len().gt(0).sum()),
        }  # fmt: skip
        result["criteria_only"] = {
            "map_in_arrow_polars_s": polars_s, "spark_sql_s": sql_s,
            "same_answers": same_fired, "kept": "polars" if polars_s <= sql_s else "sql",
        }  # fmt: skip
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if not args.skip_api and args.api_url:
        sys.path.insert(0, str(Path(__file__).parent))
        from scale_api import measure  # type: ignore[import-not-found]

        result["select_end_to_end"] = end_to_end(
            args.api_url, days=args.e2e_days, trucks_per_day=400, master=args.master
        )
        result["api"] = {
            f"workers_{n}": measure(workers=n, database_url=args.api_url,
                                    seconds=args.api_seconds, concurrency=args.api_concurrency)
            for n in (1, 3)
        }  # fmt: skip
    elif not args.skip_api:
        result["api"] = "skipped: no --api-url (a PostgreSQL database to fill)"
    print(json.dumps(result))


if __name__ == "__main__":
    main()
