"""The hub's key file when several processes start at once on one data folder."""

from __future__ import annotations

import errno
import multiprocessing
import os
import time
from pathlib import Path

import pytest

from riskhub.audit.keys import KeyFileError, key_id, load_or_create


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


def test_drafts_left_by_a_crash_are_removed_once_a_minute_old(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "hub-ed25519.pem"
    path.parent.mkdir()
    stale, fresh = path.with_name(f".{path.name}.1.dead"), path.with_name(f".{path.name}.2.busy")
    for draft in (stale, fresh):
        draft.write_bytes(b"half a key")
    an_hour_ago = time.time() - 3600
    os.utime(stale, (an_hour_ago, an_hour_ago))
    load_or_create(path)
    # The fresh one may be another process saving right now: it stays.
    assert sorted(p.name for p in path.parent.iterdir()) == sorted([path.name, fresh.name])


@pytest.mark.parametrize("content", [b"", b"-----BEGIN PRIVATE KEY-----\ncut short\n"])
def test_an_empty_or_damaged_key_file_is_named_with_a_remedy(
    tmp_path: Path, content: bytes
) -> None:
    path = tmp_path / "hub-ed25519.pem"
    path.write_bytes(content)
    with pytest.raises(KeyFileError) as refused:
        load_or_create(path)
    said = str(refused.value)
    assert str(path) in said and "restore it from your backup" in said
    assert path.read_bytes() == content  # left as it was, for the operator to look at


@pytest.mark.parametrize("code", [errno.EPERM, errno.ENOTSUP])
def test_where_links_are_refused_the_key_is_created_in_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int
) -> None:
    def no_links(*_: object) -> None:
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(os, "link", no_links)
    path = tmp_path / "keys" / "hub-ed25519.pem"
    made = load_or_create(path)
    assert key_id(made.public_key()) == key_id(load_or_create(path).public_key())
    assert [p.name for p in path.parent.iterdir()] == [path.name]
    assert path.stat().st_mode & 0o777 == 0o600
