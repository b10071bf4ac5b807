"""A bulk load killed with SIGKILL at several points, then run again, ends with exactly the input."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import orjson
import polars as pl
import pytest
from sqlalchemy import Engine, func, select, text

from riskhub.declarations import service
from riskhub.declarations.models import DeclarationItem
from riskhub.synth.generator import TrafficSpec, generate
from riskhub.synth.writer import write_traffic

pytestmark = pytest.mark.slow


def _start_load(path: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "riskhub", "ingest", "--json", str(path)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip


def _stored(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT COUNT(*) FROM declarations")).scalar_one())


def _kill_when(proc: subprocess.Popen[bytes], engine: Engine, *, stored_at_least: int) -> int:
    """SIGKILL the load once the database holds enough declarations; return how many it held."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if _stored(engine) >= stored_at_least:
            break
        time.sleep(0.02)
    assert proc.poll() is None, "the load finished before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    return _stored(engine)


def test_kill_9_at_several_points_then_rerun_loads_exactly_the_input(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    frame = generate(TrafficSpec(days=30, seed=11, trucks_per_day=300))
    path = tmp_path / "traffic.csv"
    write_traffic(frame, path)
    expected = frame.select("party", "reference").n_unique()
    env = {
        **os.environ,
        "RISKHUB_DATABASE_URL": database_url,
        "RISKHUB_DATA_DIR": str(tmp_path / "var"),
        "RISKHUB_INGEST_CHUNK_DECLARATIONS": "250",
    }

    # Killed while reading and validating (nothing committed yet), then twice mid-load.
    proc = _start_load(path, env)
    time.sleep(0.8)
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    held = [_stored(engine)]
    for fraction in (0.25, 0.6):
        held.append(
            _kill_when(_start_load(path, env), engine, stored_at_least=int(expected * fraction))
        )
    print("declarations held after each kill:", held, "of", expected)
    assert held[1] < expected and held[2] < expected, held
    assert held == sorted(held), "a later run lost declarations an earlier one committed"

    final = _start_load(path, env)
    out, err = final.communicate(timeout=300)
    assert final.returncode == 0, err.decode()
    summary = orjson.loads(out.splitlines()[-1])
    assert summary["stored"] + summary["unchanged"] == expected
    assert summary["unchanged"] >= held[-1]

    with engine.connect() as conn:
        items = conn.execute(
            select(func.count(), func.sum(DeclarationItem.customs_value_eur))
        ).one()
        duplicates = conn.execute(
            text(
                "SELECT COUNT(*) FROM (SELECT party, reference FROM declarations "
                "GROUP BY party, reference HAVING COUNT(*) > 1) d"
            )
        ).scalar_one()
    counts = service.stats(engine=engine)
    assert counts["declarations"] == expected
    assert counts["items"] == frame.height == items[0]
    assert counts["amendments"] == 0
    assert duplicates == 0
    assert items[1] == pytest.approx(frame.get_column("customs_value_eur").sum(), rel=1e-9)
    assert counts["known_outcomes"] == frame.filter(pl.col("known_outcome").is_not_null()).height
