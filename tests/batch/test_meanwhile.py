"""What happens between the export and the store, and around a run: the hub's answer still holds.

A batch engine works on a copy of the pending declarations. Meanwhile an
amendment may drop an LPCO citation or move the lodgement to another month;
the stored result must still be the hub's own. Around the run, the exported
rows (traders' identities) stay private and never outlive it.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, delete
from sqlalchemy.orm import Session

from riskhub.batch import service as batch
from riskhub.batch.engines import LocalEngine
from riskhub.batch.work import PartitionWork
from riskhub.batch.workdir import OWNER, run_folder, sweep
from riskhub.selectivity import service as selectivity
from riskhub.selectivity.models import SelectivityDecision
from tests.batch.test_engines import build_world, stored
from tests.helpers import nested
from tests.registries.support import citing, decide, issue, lpco, submit
from tests.registries.test_lpco_checks import drawdowns


class Meanwhile(LocalEngine):
    """The local engine, with something happening on the hub while it runs."""

    def __init__(self, during: Any) -> None:
        self.during = during

    def run(self, work: PartitionWork, *, rows: Path, out: Path) -> int:
        written = super().run(work, rows=rows, out=out)
        self.during()
        return written


@pytest.mark.parametrize("how", ["hub", "local"])
def test_an_amendment_that_drops_an_lpco_citation_gives_the_allowance_back(
    engine: Engine, tmp_path: Path, how: str
) -> None:
    licence = issue(engine, allowance=500.0)
    (declaration,) = submit(engine, citing("D1", "RS-LIC-1"))
    decide(engine, [declaration])  # version 1 decided through the API: 100 kg drawn
    assert lpco(engine, licence).used == 100.0
    submit(engine, citing("D1", None))  # version 2 cites nothing
    if how == "hub":
        selectivity.decide_pending(engine_=engine, party="RS")
    else:
        batch.select_on(engine_=engine, batch=LocalEngine(), party="RS", work_dir=tmp_path / "w")
    assert lpco(engine, licence).used == 0.0
    assert drawdowns(engine) == []


def test_an_amendment_moved_to_another_month_waits_for_the_next_run(
    engine: Engine, tmp_path: Path
) -> None:
    build_world(engine, tmp_path)
    (moved,) = submit(engine, nested("X1"))  # lodged in June, exported with June
    # Meanwhile, an amendment moves it to an April day: April's budget must count it.
    amend = Meanwhile(lambda: submit(engine, nested("X1", lodged_at="2026-04-22T08:00:00Z")))
    first = batch.select_on(engine_=engine, batch=amend, party="RS", work_dir=tmp_path / "w")
    assert first.left_pending == 1
    assert not [d for d in stored(engine)["decisions"] if d["declaration_id"] == moved]
    # What the hub's batch decides for it now, against the April day as stored...
    assert selectivity.decide_pending(engine_=engine, party="RS").decided == 1
    (hub,) = [d for d in stored(engine)["decisions"] if d["declaration_id"] == moved]
    with Session(engine) as session, session.begin():
        session.execute(
            delete(SelectivityDecision).where(SelectivityDecision.declaration_id == moved)
        )
    # ...is what the next run through the engine decides.
    again = batch.select_on(engine_=engine, batch=LocalEngine(), party="RS",
                            work_dir=tmp_path / "w")  # fmt: skip
    assert again.decided == 1 and again.left_pending == 0
    (mine,) = [d for d in stored(engine)["decisions"] if d["declaration_id"] == moved]
    assert (mine["declaration_version"], str(mine["lodged_at"])) == (2, "2026-04-22 08:00:00")
    assert mine == hub


def test_the_run_folder_is_private_and_gone_after_even_on_failure(tmp_path: Path) -> None:
    seen: dict[str, int] = {}
    with (
        pytest.raises(RuntimeError, match="engine down"),
        run_folder(tmp_path, "select", "RS") as run,
    ):
        (run / "rows.parquet").write_bytes(b"PAR1")
        seen["folder"] = stat.S_IMODE(run.stat().st_mode)
        raise RuntimeError("engine down")
    assert seen["folder"] == 0o700
    assert list(tmp_path.iterdir()) == []


def test_a_killed_run_is_swept_by_the_next_one_on_the_same_host(tmp_path: Path) -> None:
    import socket

    host = socket.gethostname()
    dead = tmp_path / "select-RS-0000dead"
    live = tmp_path / "backtest-RS-0000a11e"
    elsewhere = tmp_path / "select-MK-0e15e0e1"
    mine = tmp_path / "select-data-of-mine"  # not a run's folder: never touched
    for folder, owner in ((dead, f"{host} 999999999"), (live, f"{host} {os.getpid()}"),
                          (elsewhere, f"another-host {os.getpid()}"), (mine, None)):  # fmt: skip
        folder.mkdir()
        (folder / "part.parquet").write_bytes(b"PAR1")
        if owner:
            (folder / OWNER).write_text(owner)
    assert sweep(tmp_path) == [dead]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        p.name for p in (live, elsewhere, mine)
    )
