"""Bulk-load throughput: riskhub's ingest against a plain SQLAlchemy ORM add_all loop.

    python bench/ingest.py --items 1000000 --db sqlite
    python bench/ingest.py --items 1000000 --db postgresql --url postgresql+psycopg://...

Generates synthetic traffic with about ``--items`` goods items, loads it into an
empty database with ``riskhub ingest``'s service (read, validate, store), then
loads the same file into another empty database through the ORM baseline
(``bench/orm_baseline.py``), and prints one JSON line last. The baseline is slow,
so by default it loads the first ``--baseline-items`` rows; its rate is per item
either way.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import orjson
import polars as pl
from sqlalchemy import Engine, text

from orm_baseline import orm_load
from riskhub.db import migrate
from riskhub.db.engine import make_engine
from riskhub.declarations import service
from riskhub.synth.generator import TrafficSpec, generate
from riskhub.synth.writer import write_traffic

DAYS = 90
ITEMS_PER_TRUCK = 4.4  # two declarations per truck, ~2.2 items each


def traffic_file(items: int, folder: Path) -> tuple[Path, int]:
    """A CSV of whole declarations holding at most ``items`` goods items."""
    trucks = max(1, round(items / (DAYS * ITEMS_PER_TRUCK) * 1.05))
    frame = generate(TrafficSpec(days=DAYS, seed=1, trucks_per_day=trucks))
    keys = frame.select("party", "reference").with_row_index("row")
    last_row = keys.group_by("party", "reference").agg(pl.col("row").max())
    whole = last_row.filter(pl.col("row") < items).select("party", "reference")
    frame = frame.join(whole, on=["party", "reference"], how="semi", maintain_order="left")
    path = folder / "traffic.csv"
    write_traffic(frame, path)
    return path, frame.height


def fresh_database(kind: str, url: str | None, folder: Path, name: str) -> Engine:
    """An empty, migrated database of the given kind."""
    if kind == "sqlite":
        db_url = f"sqlite:///{folder / f'{name}.sqlite3'}"
    else:
        if not url:
            raise SystemExit("--url is required with --db postgresql")
        db_url = url
        scratch = make_engine(db_url)
        with scratch.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        scratch.dispose()
    migrate.upgrade(db_url)
    return make_engine(db_url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--url", help="PostgreSQL URL (its public schema is dropped!)")
    parser.add_argument("--baseline-items", type=int, default=100_000)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="riskhub-bench-") as tmp:
        folder = Path(tmp)
        path, items = traffic_file(args.items, folder)
        print(f"generated {items:,} items in {path}", file=sys.stderr)

        engine = fresh_database(args.db, args.url, folder, "riskhub")
        began = time.perf_counter()
        summary = service.ingest_path(engine=engine, path=path)
        riskhub_seconds = time.perf_counter() - began
        assert summary.items == items and summary.rejected_rows == 0, summary.counts()
        engine.dispose()
        print(f"riskhub: {riskhub_seconds:.1f} s", file=sys.stderr)

        engine = fresh_database(args.db, args.url, folder, "orm")
        began = time.perf_counter()
        orm_items = orm_load(engine, path, max_items=min(items, args.baseline_items))
        orm_seconds = time.perf_counter() - began
        engine.dispose()
        print(f"orm: {orm_items:,} items in {orm_seconds:.1f} s", file=sys.stderr)

    riskhub_rate = items / riskhub_seconds
    orm_rate = orm_items / orm_seconds
    result = {
        "bench": "ingest",
        "db": args.db,
        "items": items,
        "riskhub_seconds": round(riskhub_seconds, 2),
        "riskhub_items_per_s": round(riskhub_rate),
        "orm_items": orm_items,
        "orm_items_per_s": round(orm_rate),
        "ratio": round(riskhub_rate / orm_rate, 2),
    }
    print(orjson.dumps(result).decode())


if __name__ == "__main__":
    main()
