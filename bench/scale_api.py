"""API throughput with 1 vs N worker processes on PostgreSQL: decisions/s and latency under load.

    .venv/bin/python bench/scale_api.py --database-url postgresql+psycopg://postgres@HOST/DB \\
        [--workers 1 --workers 3] [--seconds 20] [--concurrency 8]

For each worker count: the database at ``--database-url`` (a scratch one: its
schema is dropped and made again) gets demo-like data (synthetic CEFTA traffic
as history, the starter profile library active for every Party, AEO holders, an
analyst per Party); ``riskhub serve --workers N`` serves it on loopback as the
API's role (row-level security on); then a load generator of ``--concurrency``
threads, each with its own keep-alive connection, POSTs later declarations of
all Parties one at a time to ``/api/v1/declarations``, which stores each and
decides its channel before it answers. Counted: answers carrying a decision
per second, their latency (p50, p99), and anything else as errors. Progress
goes to stderr; one JSON line last on stdout, the worker counts side by side.

``measure`` is the function ``bench/scale.py`` calls. Not a test: pytest never
collects it.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import polars as pl

from selectivity_api import nested  # the API's body of a declaration, from item rows

APP_ROLE = "riskhub_app"
LIBRARY = Path(__file__).resolve().parent.parent / "src" / "riskhub" / "profiles" / "library"
STARTUP_S = 120.0


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@dataclass
class Prepared:
    app_url: str  # the API's role on the database
    tokens: dict[str, str]  # an analyst's token per Party
    bodies: list[tuple[str, dict[str, Any]]]  # (Party, declaration) to POST, in lodgement order
    history: int  # declarations stored before the load


def prepare(
    database_url: str, *, folder: Path, history_days: int, later_days: int,
    trucks_per_day: int, seed: int,
) -> Prepared:  # fmt: skip
    """Empty the database, migrate it, and load the history, profiles, AEOs and users."""
    from sqlalchemy import text
    from sqlalchemy.engine import make_url
    from sqlalchemy.orm import Session

    from riskhub.access import service as access
    from riskhub.access.roles import Role
    from riskhub.db import migrate
    from riskhub.db.engine import make_engine
    from riskhub.db.tenancy import acting_for
    from riskhub.declarations import service as declarations
    from riskhub.profiles import service as profiles
    from riskhub.reference.parties import CEFTA_PARTIES, SECRETARIAT_PARTY
    from riskhub.registries.service import import_aeo
    from riskhub.selectivity import service as selectivity
    from riskhub.synth.generator import DEFAULT_START, TrafficSpec, generate, generate_aeo
    from riskhub.synth.writer import write_aeo, write_traffic

    if make_url(database_url).get_backend_name() != "postgresql":
        raise SystemExit("several API workers share a PostgreSQL database: give a postgresql URL")
    engine = make_engine(database_url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    migrate.upgrade(database_url)
    with engine.begin() as conn:
        conn.execute(text(f"ALTER ROLE {APP_ROLE} LOGIN"))
    spec = TrafficSpec(days=history_days + later_days, seed=seed, trucks_per_day=trucks_per_day)
    frame = generate(spec)
    cut = datetime.combine(DEFAULT_START + timedelta(days=history_days), datetime.min.time())
    history = frame.filter(pl.col("lodged_at") < cut)
    later = frame.filter(pl.col("lodged_at") >= cut)
    write_traffic(history, folder / "history.csv")
    began = time.perf_counter()
    stored = declarations.ingest_path(engine=engine, path=folder / "history.csv").stored
    log(f"  history: {stored:,} declarations of {history_days} days loaded in "
        f"{time.perf_counter() - began:.1f} s")  # fmt: skip
    write_aeo(generate_aeo(spec), folder / "aeo.csv")
    import_aeo(engine=engine, path=folder / "aeo.csv")
    now = datetime.now(UTC).replace(tzinfo=None)
    with acting_for(SECRETARIAT_PARTY), Session(engine) as session, session.begin():
        for path in sorted(LIBRARY.glob("*.yaml")):
            text_ = path.read_text(encoding="utf-8")
            profiles.import_profiles(
                session=session, party=SECRETARIAT_PARTY, text=text_, activate=True
            )
    # The history decided, as in the demo: each office's day so far counts in the budgets.
    began = time.perf_counter()
    for party in sorted(CEFTA_PARTIES):
        selectivity.decide_pending(engine_=engine, party=party)
    log(f"  history decided in {time.perf_counter() - began:.1f} s")
    tokens = {}
    for party in sorted(CEFTA_PARTIES):
        with acting_for(party), Session(engine) as session, session.begin():
            user = access.create_user(session=session, party=party, name=f"bench-{party}",
                                      role=Role.ANALYST, now=now)  # fmt: skip
            tokens[party] = access.issue_token(session=session, user=user, days=1, now=now).token
    engine.dispose()
    app_url = make_url(database_url).set(username=APP_ROLE, password=None)
    bodies = [(b["party"], b) for b in nested(later) if b["party"] in tokens]
    return Prepared(app_url.render_as_string(hide_password=False), tokens, bodies, stored)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(
    *, workers: int, app_url: str, admin_url: str, folder: Path
) -> tuple[subprocess.Popen[bytes], str]:
    """``riskhub serve --workers N`` on a free loopback port; (its process, its base URL)."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("RISKHUB_")}
    env.update(RISKHUB_DATABASE_URL=app_url, RISKHUB_ADMIN_DATABASE_URL=admin_url,
               RISKHUB_DATA_DIR=str(folder / "var"))  # fmt: skip
    command = [sys.executable, "-m", "riskhub", "serve", "--port", str(port),
               "--workers", str(workers)]  # fmt: skip
    output = (folder / "server.log").open("ab")
    process = subprocess.Popen(command, env=env, stdout=output, stderr=output)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + STARTUP_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"riskhub serve exited; see {folder / 'server.log'}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return process, url
        except httpx.HTTPError:
            time.sleep(0.2)
    stop(process)
    raise SystemExit(f"riskhub serve did not answer within {STARTUP_S:.0f} s")


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()  # uvicorn's parent stops its worker processes
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class Load:
    """Threads POSTing declarations as fast as answers come, each on its own connection."""

    def __init__(self, url: str, tokens: dict[str, str], bodies: list[tuple[str, Any]]) -> None:
        self.url, self.tokens = url, tokens
        self._next: Iterator[tuple[str, Any]] = iter(bodies)
        self._lock = threading.Lock()
        self.latencies: list[float] = []
        self.errors: list[str] = []
        self.ran_out = False

    def _take(self) -> tuple[str, Any] | None:
        with self._lock:
            found = next(self._next, None)
            self.ran_out = self.ran_out or found is None
            return found

    def _thread(self, until: float, record: bool) -> None:
        with httpx.Client(base_url=self.url, timeout=60) as client:
            while time.monotonic() < until and (taken := self._take()) is not None:
                party, body = taken
                began = time.perf_counter()
                try:
                    auth = {"Authorization": f"Bearer {self.tokens[party]}"}
                    answer = client.post("/api/v1/declarations", json=body, headers=auth)
                    decided = answer.status_code in (200, 201) and all(
                        d.get("decision") for d in answer.json()["declarations"]
                    )
                    problem = None if decided else f"{answer.status_code} {answer.text[:200]}"
                except httpx.HTTPError as error:
                    problem = repr(error)
                elapsed = (time.perf_counter() - began) * 1000
                if not record:
                    continue
                with self._lock:
                    if problem is None:
                        self.latencies.append(elapsed)
                    else:
                        self.errors.append(problem)

    def run(self, *, seconds: float, concurrency: int, record: bool = True) -> float:
        """Drive the load for ``seconds`` (or until the declarations run out); the wall time."""
        until = time.monotonic() + seconds
        threads = [threading.Thread(target=self._thread, args=(until, record))
                   for _ in range(concurrency)]  # fmt: skip
        began = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return time.perf_counter() - began


def cpu_ticks() -> tuple[int, int] | None:
    """(busy, total) clock ticks of the whole machine so far (Linux), or None."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return sum(fields) - idle, sum(fields)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    low, high = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


def measure(
    *, workers: int, database_url: str, seconds: float, concurrency: int,
    warmup_s: float = 5.0, history_days: int = 20, later_days: int = 8,
    trucks_per_day: int = 200, seed: int = 7,
) -> dict[str, Any]:  # fmt: skip
    """Serve with ``workers`` processes on a freshly loaded database and measure under load.

    ``database_url`` is the owner's URL of a scratch PostgreSQL database: it is
    emptied. Returns decisions_per_s, p50_ms, p99_ms, requests, errors and how
    the run went (seconds, concurrency, history, whether the declarations ran out).
    """
    with tempfile.TemporaryDirectory(prefix="riskhub-bench-scale-api-") as tmp:
        folder = Path(tmp)
        log(f"{workers} API worker(s): preparing the database")
        ready = prepare(
            database_url, folder=folder, history_days=history_days, later_days=later_days,
            trucks_per_day=trucks_per_day, seed=seed,
        )  # fmt: skip
        process, url = serve(workers=workers, app_url=ready.app_url, admin_url=database_url,
                             folder=folder)  # fmt: skip
        try:
            load = Load(url, ready.tokens, ready.bodies)
            # Every worker process reads its profiles and keys before the clock starts.
            load.run(seconds=warmup_s, concurrency=concurrency, record=False)
            log(f"  warm-up done; {concurrency} clients for {seconds:.0f} s")
            load.latencies.clear()
            load.ran_out = False
            before = cpu_ticks()
            wall = load.run(seconds=seconds, concurrency=concurrency)
            after = cpu_ticks()
        finally:
            stop(process)
    done = len(load.latencies)
    result = {
        "workers": workers,
        "concurrency": concurrency,
        "seconds": round(wall, 2),
        "requests": done + len(load.errors),
        "decisions": done,
        "decisions_per_s": round(done / wall, 1) if wall else 0.0,
        "p50_ms": round(percentile(load.latencies, 0.5), 1) if done else None,
        "p99_ms": round(percentile(load.latencies, 0.99), 1) if done else None,
        "errors": len(load.errors),
        # The whole machine (servers, PostgreSQL and the load generator): how near the cores
        # are to full, and the CPU time one decision costs, for sizing.
        **_cpu(before, after, done),
        "history_declarations": ready.history,
        "ran_out": load.ran_out,
    }
    if load.errors:
        log(f"  first error: {load.errors[0]}")
    log(f"  {json.dumps(result)}")
    return result


def _cpu(
    before: tuple[int, int] | None, after: tuple[int, int] | None, done: int
) -> dict[str, Any]:
    if before is None or after is None or after[1] == before[1]:
        return {"cpu_busy_pct": None, "cpu_ms_per_decision": None}
    busy, total = after[0] - before[0], after[1] - before[1]
    tick_s = 1 / os.sysconf("SC_CLK_TCK")
    return {
        "cpu_busy_pct": round(100 * busy / total, 1),
        "cpu_ms_per_decision": round(1000 * busy * tick_s / done, 1) if done else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--database-url",
        default=os.environ.get("RISKHUB_BENCH_DATABASE_URL"),
        help="owner's URL of a scratch PostgreSQL database (it is emptied)",
    )
    parser.add_argument("--workers", type=int, action="append", help="repeat: 1 and 3 by default")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--warmup", type=float, default=5.0)
    parser.add_argument("--history-days", type=int, default=20)
    parser.add_argument("--trucks-per-day", type=int, default=200)
    args = parser.parse_args()
    if not args.database_url:
        parser.error("--database-url (or RISKHUB_BENCH_DATABASE_URL) is needed")
    runs = {
        str(n): measure(workers=n, database_url=args.database_url, seconds=args.seconds,
                        concurrency=args.concurrency, warmup_s=args.warmup,
                        history_days=args.history_days, trucks_per_day=args.trucks_per_day)
        for n in args.workers or [1, 3]
    }  # fmt: skip
    counts = sorted(runs, key=int)
    first, last = runs[counts[0]], runs[counts[-1]]
    line: dict[str, Any] = {"bench": "scale_api", "cpus": os.cpu_count(), "by_workers": runs}
    if len(counts) > 1 and first["decisions_per_s"]:
        line["speedup"] = round(last["decisions_per_s"] / first["decisions_per_s"], 2)
    print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main()
