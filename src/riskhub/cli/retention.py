"""``riskhub retention``: remove traders' identities past the retention period."""

from __future__ import annotations

import typer

from riskhub.audit import service as audit
from riskhub.cli.common import console, ready_engine
from riskhub.db.base import utcnow
from riskhub.declarations.retention import purge_personal_data
from riskhub.settings import get_settings


def retention(
    years: int | None = typer.Option(None, help="Retention in years (default: the setting)."),
) -> None:
    """Purge traders' identities from declarations lodged longer ago than the retention period."""
    engine = ready_engine()
    keep = years or get_settings().retention_years
    purged = purge_personal_data(engine=engine, years=keep, now=utcnow())
    audit.append(engine=engine, party=None, actor="cli", action="retention.purge",
                 object=f"years={keep}", outcome=f"purged {purged}", source="cli")  # fmt: skip
    console.print(
        f"Removed traders' identities from {purged:,} declarations older than {keep} years."
    )
