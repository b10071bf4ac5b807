"""Single declarations through the API: POST latency, and where the time goes, by stage.

Part of ``bench/selectivity.py`` (which prints the one JSON line); kept apart so
each file reads top to bottom.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl

from riskhub.synth.generator import DEFAULT_START, TrafficSpec, generate

LIBRARY = Path(__file__).resolve().parent.parent / "src" / "riskhub" / "profiles" / "library"
OWNER = "XS"  # the Secretariat's common profiles apply to every Party unless scoped


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


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
