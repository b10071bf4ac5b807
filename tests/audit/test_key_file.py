"""The hub's key file when several processes start at once on one data folder."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

from riskhub.audit.keys import key_id, load_or_create


def _load(path: str, barrier: object, found: object) -> None:
    barrier.wait()  # type: ignore[attr-defined]
    try:
        found.put(key_id(load_or_create(Path(path)).public_key()))  # type: ignore[attr-defined]
    except Exception as error:  # the test shows what went wrong instead of hanging
        found.put(repr(error))  # type: ignore[attr-defined]


def test_processes_starting_together_all_get_the_same_key(tmp_path: Path) -> None:
    # Three API workers and two job workers on a fresh folder all need the key at once:
    # each must end up with the one key saved, none with its own or with an error.
    context = multiprocessing.get_context("fork")
    for trial in range(5):
        path = tmp_path / str(trial) / "keys" / "hub-ed25519.pem"
        barrier, found = context.Barrier(5), context.Queue()
        processes = [context.Process(target=_load, args=(str(path), barrier, found))
                     for _ in range(5)]  # fmt: skip
        for process in processes:
            process.start()
        for process in processes:
            process.join(30)
        seen = {found.get(timeout=5) for _ in processes}
        assert seen == {key_id(load_or_create(path).public_key())}
        assert [p.name for p in path.parent.iterdir()] == [path.name]  # no draft left behind
        assert path.stat().st_mode & 0o777 == 0o600
