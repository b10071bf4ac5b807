"""``riskhub profiles``: validate, import, list, activate, suspend and backtest risk profiles."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import typer
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session

from riskhub.batch.engines import BatchError
from riskhub.cli.common import (
    console,
    errors,
    ready_engine,
    refuse_reversed_window,
    refuse_unknown_parties,
    sigterm_exits,
)
from riskhub.cli.select import (
    ENGINE,
    MASTER,
    PARTITIONS,
    WORK_DIR,
    EngineName,
    batch_engine,
    work_dir,
)
from riskhub.db.tenancy import acting_for
from riskhub.profiles import service
from riskhub.profiles.backtest import backtest as run_backtest
from riskhub.profiles.document import read_library
from riskhub.profiles.models import RiskProfile

app = typer.Typer(
    help="Risk profiles: criteria, actions, status and history.", no_args_is_help=True
)
PARTY = typer.Option(..., "--party", help="The owning Party (XS for the RMWG's common profiles).")


def _files(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted([*path.glob("*.yaml"), *path.glob("*.yml"), *path.glob("*.json")])
    if not path.exists():
        errors.print(f"[red]{path} does not exist.[/]")
        raise typer.Exit(2)
    return [path]


@app.command()
def validate(
    path: Path = typer.Argument(..., help="A profile file, or a folder of them."),
    party: str | None = typer.Option(None, help="Also check named lists as this Party sees them."),
) -> None:
    """Check profile files and list every problem with its line; exit 1 if any."""
    kinds = None
    if party:
        with acting_for(party), Session(ready_engine()) as session:
            kinds = service.list_kinds(session=session, party=party)
    bad = 0
    for file in _files(path):
        for read in read_library(file.read_text(encoding="utf-8"), lists=kinds):
            if read.ok and read.document is not None:
                console.print(f"[green]ok[/]  {file.name}: {read.document.code}")
                continue
            bad += 1
            for problem in read.problems:
                errors.print(f"[red]{file}[/] {problem}", soft_wrap=True)
    raise typer.Exit(1 if bad else 0)


@app.command("import")
def import_(
    path: Path = typer.Argument(..., help="A profile file, or a folder of them."),
    party: str = PARTY,
    activate: bool = typer.Option(False, help="Make the imported profiles active at once."),
) -> None:
    """Store the good profiles (a new version when changed); report the bad ones; exit 3 if any."""
    engine = ready_engine()
    rejected = 0
    table = Table("file", "code", "outcome", "version")
    with acting_for(party), Session(engine) as session, session.begin():
        for file in _files(path):
            text = file.read_text(encoding="utf-8")
            for outcome in service.import_profiles(
                session=session, party=party, text=text, activate=activate
            ):
                table.add_row(
                    file.name, outcome.code or "-", outcome.outcome, str(outcome.version or "")
                )
                for problem in outcome.problems:
                    rejected += 1
                    errors.print(f"[red]{file}[/] {problem}", soft_wrap=True)
    console.print(table)
    raise typer.Exit(3 if rejected else 0)


@app.command("list")
def list_(party: str = PARTY, status: str | None = typer.Option(None)) -> None:
    """The profiles a Party owns or has been shared."""
    engine = ready_engine()
    table = Table("id", "owner", "code", "v", "status", "channel", "weight", "title")
    with acting_for(party), Session(engine) as session:
        for row in service.list_profiles(session=session, party=party, status=status):
            table.add_row(
                str(row.id),
                row.party,
                row.code,
                str(row.version),
                service.profile_status(row),
                row.channel,
                str(row.weight),
                row.title,
            )
    console.print(table)


def _set(party: str, codes: list[str], status: str) -> None:
    engine = ready_engine()
    with acting_for(party), Session(engine) as session, session.begin():
        for code in codes:
            row = session.scalars(
                select(RiskProfile).where(RiskProfile.party == party, RiskProfile.code == code)
            ).first()
            if row is None:
                errors.print(f"[red]{party} has no profile {code}.[/]")
                raise typer.Exit(1)
            service.set_status(session=session, party=party, profile_id=row.id, status=status)
            console.print(f"{code}: {status} (version {row.version})")


@app.command()
def activate(codes: list[str], party: str = PARTY) -> None:
    """Make profiles active: they judge declarations from the next decision on."""
    _set(party, codes, "active")


@app.command()
def suspend(codes: list[str], party: str = PARTY) -> None:
    """Stop profiles judging declarations (kept, with their history)."""
    _set(party, codes, "suspended")


@app.command()
def backtest(
    path: Path = typer.Argument(..., help="The draft profile file."),
    party: str = PARTY,
    since: datetime = typer.Option(..., help="First lodgement day, e.g. 2026-06-01."),
    until: datetime | None = typer.Option(None, help="Day after the last, default tomorrow."),
    engine_name: EngineName = ENGINE,
    master: str = MASTER,
    partitions: int | None = PARTITIONS,
    work: Path | None = WORK_DIR,
) -> None:
    """What the draft would have hit over stored history, and what control found there."""
    refuse_unknown_parties([party])
    refuse_reversed_window(since, until)
    engine = ready_engine()
    runner = batch_engine(engine_name, master, partitions)
    judged_by = None
    if runner is not None:
        from riskhub.batch.service import judging_on

        judged_by = judging_on(engine_=engine, batch=runner, party=party, work_dir=work_dir(work))
    try:
        with sigterm_exits():
            report = run_backtest(
                engine=engine,
                party=party,
                text=path.read_text(encoding="utf-8"),
                since=since,
                until=until,
                judged_by=judged_by,
            )
    except service.ProfileError as error:
        errors.print(f"[red]{path}[/] {error}", soft_wrap=True)
        raise typer.Exit(1) from None
    except (BatchError, OSError) as error:  # Spark cannot run or failed; the work folder
        errors.print(f"[red]{error}[/]")
        raise typer.Exit(1) from None
    finally:
        if runner is not None:
            runner.close()
    table = Table("day", "office", "declarations", "hits", "inspected", "found")
    for row in report.by_day_office:
        table.add_row(
            str(row["day"]),
            row["office"],
            str(row["declarations"]),
            str(row["hits"]),
            str(row["inspected"]),
            str(row["found"]),
        )
    console.print(table)
    rate = "n/a" if report.hit_rate is None else f"{report.hit_rate:.1%}"
    console.print(
        f"{report.code}: {report.hits:,} of {report.declarations:,} declarations hit; "
        f"{report.inspected:,} of those were controlled, {report.found:,} non-compliant "
        f"(hit rate {rate}), revenue {report.revenue_eur:,.2f} EUR; "
        f"{report.overlap_any_active:,} also hit by an active profile."
    )
    for row in report.overlap_by_profile:
        console.print(f"  overlap with {row['owner']}/{row['profile']}: {row['declarations']:,}")
