"""``riskhub model``: fit and score risk models on files; the registry of a Party's models."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import typer

from riskhub.cli.common import console, errors
from riskhub.settings import get_settings
from riskhub.targeting import sources
from riskhub.targeting.model import DEFAULT_REVENUE_WEIGHT, RiskModel, fit
from riskhub.targeting.report import evaluation

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
    except ValueError as error:
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
    except (OSError, ValueError) as error:
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
