"""The folder a batch run works in: private, named for its owner, removed after, swept if left.

A run's exported rows name traders (personal data). Its folder is readable by
the hub's own user only, and removed when the run ends, even on an error or a
SIGTERM (the commands turn SIGTERM into a normal exit). A run killed outright
(SIGKILL, out of memory, the machine going down) cannot clean up after
itself: its folder names the host and process that made it, and the next run
on that host removes the folders of processes that no longer exist.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

OWNER = "owner"
RUN_NAME = re.compile(r"(select|backtest)-[A-Z]{2}-[0-9a-f]{8}")
# A folder whose owner never got written (killed within its first instant) is this old
# before a sweep takes it; a live run writes its owner file before anything else.
UNOWNED_GRACE_S = 3600.0


@contextmanager
def run_folder(work_dir: Path, kind: str, party: str) -> Iterator[Path]:
    """A new private folder under ``work_dir`` for one run (``kind``: select or backtest)."""
    work_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    sweep(work_dir)
    folder = work_dir / f"{kind}-{party}-{uuid.uuid4().hex[:8]}"
    folder.mkdir(mode=0o700)
    try:
        (folder / OWNER).write_text(f"{socket.gethostname()} {os.getpid()}\n", encoding="utf-8")
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def sweep(work_dir: Path) -> list[Path]:
    """Remove the run folders left by processes of this host that no longer exist."""
    removed = []
    host = socket.gethostname()
    for folder in work_dir.iterdir():
        if not (folder.is_dir() and RUN_NAME.fullmatch(folder.name)):
            continue  # not a run's folder: never touched
        owner = folder / OWNER
        try:
            named, pid = owner.read_text(encoding="utf-8").split()
        except (OSError, ValueError):
            if time.time() - folder.stat().st_mtime < UNOWNED_GRACE_S:
                continue
        else:
            if named != host or _alive(int(pid)):
                continue  # another host's run (a shared mount), or still running
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, under another user
    return True
