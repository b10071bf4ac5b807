"""``riskhub model``: fit and score risk models on files; the registry of a Party's models."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import lightgbm as lgb
import polars as pl
import typer
from rich.table import Table
from sqlalchemy.orm import Session

from riskhub.audit import service as audit
from riskhub.cli.common import console, errors, ready_engine
from riskhub.db.tenancy import acting_for
from riskhub.reference.parties import DECLARATION_OWNERS
from riskhub.settings import get_settings
from riskhub.targeting import registry, sources
from riskhub.targeting.drift import drift
from riskhub.targeting.model import DEFAULT_REVENUE_WEIGHT, RiskModel, fit
from riskhub.targeting.report import evaluation
from riskhub.targeting.service import retrain

app = typer.Typer(
    help="AI-based risk targeting: train, score, approve, watch drift.", no_args_is_help=True
)


def _read(path: Path, format: str) -> pl.DataFrame:
    try:
        return sources.read(path, format=format)
    except sources.SourceError as error:
        errors.print(f"[red]{error}[/]")
        raise typer.Exit(2) from error


@app.command("fit")
def fit_command(
    train: Path = typer.Option(
        ..., exists=True, dir_okay=False, help="Labelled rows to learn from."
    ),
    valid: Path | None = typer.Option(
        None, exists=True, dir_okay=False, help="A later period to measure on."
    ),
    format: str = typer.Option("native", help="kcs (KCS benchmark files) or native (riskhub CSV)."),
    out: Path = typer.Option(..., file_okay=False, help="Folder to write the model to."),
    revenue_weight: float = typer.Option(
        DEFAULT_REVENUE_WEIGHT, min=0, max=1, help="0 ranks by probability only."
    ),
) -> None:
    """Train the two heads (non-compliance, revenue) and save the model with its history."""
    rows = _read(train, format)
    try:
        model = fit(rows, threads=get_settings().threads, revenue_weight=revenue_weight)
    except (ValueError, lgb.basic.LightGBMError) as error:
        errors.print(f"[red]{error}[/]")
        raise typer.Exit(2) from error
    if valid is not None:
        model.meta["validation"] = evaluation(
            _read(valid, format), model.predict(_read(valid, format))
        )
    model.save(out)
    console.print(
        f"Model trained on {model.meta['trained_rows']:,} rows "
        f"({model.meta['train_from']} to {model.meta['train_to']}) in "
        f"{model.meta['training_seconds']} s, written to {out}."
    )
    if valid is not None:
        console.print(f"On {valid.name}: {model.meta['validation']}")


@app.command("score")
def score_command(
    model: Path = typer.Option(..., exists=True, file_okay=False, help="A folder from 'fit'."),
    input: Path = typer.Option(..., exists=True, dir_okay=False, help="Rows to score."),
    format: str = typer.Option("native", help="kcs or native."),
    out: Path = typer.Option(..., dir_okay=False, help="SCORES.csv to write."),
    revenue_weight: float | None = typer.Option(
        None, min=0, max=1, help="Override the model's weight."
    ),
) -> None:
    """Write 'Declaration ID,score,expected_revenue' (higher is riskier), one line a declaration."""
    try:
        fitted = RiskModel.load(model)
    except (OSError, ValueError, lgb.basic.LightGBMError) as error:
        errors.print(f"[red]cannot load the model in {model}: {error}[/]")
        raise typer.Exit(2) from error
    rows = _read(input, format)
    scored = fitted.predict(rows, revenue_weight=revenue_weight)
    # A declaration of several items is as risky as its riskiest item.
    per_declaration = (
        scored.group_by("id", maintain_order=True)
        .agg(pl.col("score").max(), pl.col("expected_revenue").sum())
        .rename({"id": "Declaration ID"})
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    per_declaration.write_csv(out)
    console.print(f"{per_declaration.height:,} declarations scored into {out}.")


def _party(party: str) -> str:
    if party not in DECLARATION_OWNERS:
        errors.print(f"[red]unknown Party {party!r}[/]")
        raise typer.Exit(2)
    return party


@app.command("list")
def list_command(party: str = typer.Option(..., help="The Party whose models to list.")) -> None:
    """The Party's model versions: status, window, measured quality, approval."""
    party = _party(party)
    table = Table("version", "status", "trained on", "rows", "precision@10%", "AUC", "approved")
    with acting_for(party), Session(ready_engine()) as session:
        for row in registry.versions(session=session, party=party):
            metrics = json.loads(row.metrics)
            table.add_row(
                f"v{row.version}", row.status, f"{row.train_from} to {row.train_to}",
                f"{row.trained_rows:,}", str(metrics.get("precision_at_10", "–")),
                str(metrics.get("auc", "–")),
                f"{row.approved_by} {row.approved_at:%Y-%m-%d}" if row.approved_at else "–",
            )  # fmt: skip
    console.print(table)


@app.command("approve")
def approve_command(
    version: int = typer.Argument(..., help="The version number, e.g. 3."),
    party: str = typer.Option(..., help="The model's Party."),
    role: str = typer.Option("champion", "--as", help="champion (serves) or challenger (shadow)."),
    by: str = typer.Option(..., help="Who approves (kept in the registry and the audit log)."),
) -> None:
    """Let a model serve (champion) or score in shadow (challenger); the previous one retires."""
    party = _party(party)
    engine = ready_engine()
    with acting_for(party), Session(engine) as session, session.begin():
        try:
            registry.approve(
                session=session, party=party, version=version, role=role, approved_by=by
            )
        except registry.RegistryError as error:
            errors.print(f"[red]{error}[/]")
            raise typer.Exit(1) from error
    audit.append(engine=engine, party=party, actor=f"cli:{by}", action="models.approve",
                 object=f"model:{party}-v{version}", outcome=role, source="cli")  # fmt: skip
    console.print(f"{party} model v{version} is now the {role}.")


@app.command("drift")
def drift_command(
    party: str = typer.Option(..., help="The Party whose serving model to check."),
    since: datetime = typer.Option(..., formats=["%Y-%m-%d"], help="First day."),
    until: datetime = typer.Option(..., formats=["%Y-%m-%d"], help="Last day (inclusive)."),
) -> None:
    """PSI of features and score against training, and the hit rate of the model's picks (JSON)."""
    try:
        report = drift(engine=ready_engine(), party=_party(party), since=since,
                       until=until + timedelta(days=1))  # fmt: skip
    except registry.RegistryError as error:
        errors.print(f"[red]{error}[/]")
        raise typer.Exit(1) from error
    typer.echo(json.dumps(report))
    for alert in report["alerts"]:
        errors.print(f"[yellow]alert:[/] {alert}")


@app.command("retrain")
def retrain_command(
    party: str = typer.Option(..., help="The Party whose inspections to learn from."),
    since: datetime = typer.Option(..., formats=["%Y-%m-%d"], help="First day."),
    until: datetime = typer.Option(..., formats=["%Y-%m-%d"], help="Last day (inclusive)."),
    by: str = typer.Option("cli", help="Who trains (kept in the registry)."),
) -> None:
    """Train on the Party's inspections (latest fifth of days held out to measure), register it."""
    try:
        row, metrics = retrain(
            engine=ready_engine(), party=_party(party), since=since,
            until=until + timedelta(days=1), trained_by=by, threads=get_settings().threads,
        )  # fmt: skip
    except ValueError as error:
        errors.print(f"[red]{error}[/]")
        raise typer.Exit(1) from error
    console.print(
        f"{party} model v{row.version} registered (a candidate: approve it to serve). "
        f"On the held-out days: {metrics}"
    )
