"""What every command shares: the console, the engine, and the schema check."""

from __future__ import annotations

import signal
import sys
import threading
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime

import typer
from rich.console import Console
from sqlalchemy import Engine

from riskhub.db import migrate
from riskhub.db.engine import get_admin_engine
from riskhub.reference.parties import DECLARATION_OWNERS
from riskhub.settings import get_settings

console = Console()
errors = Console(stderr=True)


def ready_engine() -> Engine:
    """The operators' database engine, refusing to work on an out-of-date schema."""
    head = migrate.head()
    current = migrate.current(get_settings().effective_admin_database_url)
    if current != head:
        errors.print(
            f"[red]The database schema is at {current or 'nothing'}, not {head}.[/] "
            "Run [bold]riskhub db upgrade[/] first."
        )
        raise typer.Exit(1)
    return get_admin_engine()


def counts_text(counts: Counter[str]) -> str:
    """``a 1, b 2``: the non-zero counts, by name."""
    return ", ".join(f"{name} {n:,}" for name, n in sorted(counts.items()) if n)


@contextmanager
def sigterm_exits() -> Iterator[None]:
    """While inside, SIGTERM (docker stop, systemd) exits normally, so cleanup code runs."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    before = signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, before)


def refuse_unknown_parties(parties: Iterable[str]) -> None:
    """Exit 2 naming the first code that is not a Party whose declarations the hub keeps."""
    unknown = sorted(set(parties) - set(DECLARATION_OWNERS))
    if unknown:
        errors.print(f"[red]unknown Party {unknown[0]!r}[/]")
        raise typer.Exit(2)


def refuse_reversed_window(since: datetime, until: datetime | None) -> None:
    """Exit 2 when ``until`` is given and not after ``since``."""
    if until is not None and until <= since:
        errors.print(f"[red]--until {until:%Y-%m-%d} is not after --since {since:%Y-%m-%d}[/]")
        raise typer.Exit(2)
