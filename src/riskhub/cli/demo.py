"""``riskhub demo``: generate ~90 days of CEFTA traffic, load it, and show what arrived."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import typer
from rich.table import Table
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from riskhub.access import service as access
from riskhub.access.models import User
from riskhub.access.roles import Role
from riskhub.actionplan import demo as tracker_demo
from riskhub.audit import service as audit
from riskhub.cli import demo_governance
from riskhub.cli.common import console
from riskhub.cli.demo_seed import seed_exchange
from riskhub.cli.ingest import _progress
from riskhub.cli.kpi import kpi_table, population_lines
from riskhub.db import migrate
from riskhub.db.base import utcnow
from riskhub.db.engine import get_admin_engine
from riskhub.db.tenancy import acting_for
from riskhub.declarations import service
from riskhub.governance.risks import demo as risks_demo
from riskhub.kpis import service as kpis
from riskhub.profiles import service as profiles
from riskhub.reference.crossings import OFFICES
from riskhub.reference.parties import (
    CEFTA_PARTIES,
    LIVE_OWNERS,
    SECRETARIAT_PARTY,
    party_name,
)
from riskhub.registries import demo as registries_demo
from riskhub.registries.service import import_aeo
from riskhub.selectivity import service as selectivity
from riskhub.settings import get_settings
from riskhub.synth import officers
from riskhub.synth.generator import TrafficSpec, generate, generate_aeo
from riskhub.synth.officers import save_demo_checklists
from riskhub.synth.writer import write_aeo, write_traffic
from riskhub.targeting import registry
from riskhub.targeting.service import retrain
from riskhub.training import demo as capacity_demo


def demo(
    days: int = typer.Option(90, min=1, help="Days of traffic to generate."),
    seed: int = typer.Option(1, help="Random seed."),
    trucks_per_day: int = typer.Option(400, min=1, help="Average truck crossings per day."),
) -> None:
    """Run the main job end to end on the configured database (embedded SQLite by default)."""
    settings = get_settings()
    began = time.perf_counter()
    console.rule("[bold]riskhub demo")
    migrate.upgrade()
    console.print(f"1. Database ready at revision {migrate.current()}.")

    path = settings.data_dir / "demo" / f"traffic-{days}d-seed{seed}.csv"
    frame = generate(TrafficSpec(days=days, seed=seed, trucks_per_day=trucks_per_day))
    write_traffic(frame, path)
    console.print(f"2. Generated {frame.height:,} goods items over {days} days into {path}.")

    engine = get_admin_engine()
    with _progress(path, quiet=False) as report:
        summary = service.ingest_path(
            engine=engine,
            path=path,
            chunk_declarations=settings.ingest_chunk_declarations,
            progress=report,
        )
    audit.append(
        engine=engine,
        party=None,
        actor="cli",
        action="declarations.ingest",
        object=f"run:{summary.run_id}",
        outcome=f"stored {summary.stored}",
        source="cli",
    )
    console.print(
        f"3. Loaded: {summary.stored:,} declarations stored, {summary.amended:,} amended, "
        f"{summary.unchanged:,} already there, {summary.rejected_rows:,} rows rejected."
    )

    table = Table("Party", "office", "declarations", "items", title="Declarations by office")
    for row in service.counts_by_office(engine=engine):
        office = OFFICES.get(row["office"])
        table.add_row(
            f"{row['party']} {party_name(row['party'])}",
            f"{row['office']} {office.name if office else ''}",
            f"{row['declarations']:,}",
            f"{row['items']:,}",
        )
    console.print(table)

    planted = Table("kind", "items", title="Planted non-compliance (ground truth)")
    for kind, n in service.known_outcomes_by_kind(engine=engine).items():
        planted.add_row(kind.replace("_", " "), f"{n:,}")
    console.print(planted)

    totals = service.stats(engine=engine)
    console.print(
        f"In the database: {totals['declarations']:,} declarations, {totals['items']:,} items, "
        f"{totals['amendments']:,} amendments, {totals['rejected_rows']:,} rejected rows. "
        f"Done in {time.perf_counter() - began:.1f} s."
    )
    spec = TrafficSpec(days=days, seed=seed, trucks_per_day=trucks_per_day)
    _selectivity(engine, spec, settings.data_dir / "demo")
    _officers(engine, spec)
    first = datetime.combine(spec.start, datetime.min.time())
    months_end = first + timedelta(days=spec.days)
    case_id = demo_governance.cycle(engine=engine, since=first, until=months_end)
    title, *lines = risks_demo.show(engine=engine, since=first, until=months_end)
    console.print(f"8. {title}")
    for line in lines:
        console.print(line, highlight=False)
    _with_model(engine, spec, settings.data_dir / "demo")
    demo_governance.feedback(engine=engine, case_id=case_id, since=months_end,
                             until=months_end + timedelta(days=MODEL_DAYS))  # fmt: skip
    # After the model month: from here on, RS's declarations are checked against its LPCOs.
    title, *lines = registries_demo.show(engine=engine, party="RS")
    console.print(f"11. {title}")
    for line in lines:
        console.print(line, highlight=False)
    # The officers work the consignments those decisions held, like the rest of the traffic.
    officers.simulate(engine=engine, party="RS", owner=SECRETARIAT_PARTY, seed=spec.seed)
    seed_exchange(settings.data_dir / "demo" / "seed-hubs", seed=seed)
    title, *lines = tracker_demo.show(engine=engine)
    console.print(f"13. {title}")
    for line in lines:
        console.print(line, highlight=False)
    tokens = _demo_users(engine)
    title, *lines = capacity_demo.show(engine=engine)
    console.print(f"14. {title}")
    for line in lines:
        console.print(line, highlight=False)
    console.print("Demo users, one per role (API tokens valid 30 days; shown once):")
    for (role, party, name), token in tokens.items():
        # Plain lines, never wrapped, so that a token can be copied whole.
        typer.echo(f"  {role.value:<15} {party}  {name:<17} {token}")
    analyst = tokens[(Role.ANALYST, "RS", "demo-analyst")]
    console.print(
        "Next: [bold]riskhub serve[/] starts the pages and the API. Open "
        "http://127.0.0.1:8000/ and sign in with one of the tokens above: the officer's work "
        "queue, the analyst's KPIs, profiles and models, the RMWG's common profiles, the "
        "Secretariat's Action Plan dashboard. OpenAPI is at http://127.0.0.1:8000/docs; "
        "as Serbia's analyst:"
    )
    typer.echo(
        f"  curl -H 'Authorization: Bearer {analyst}' "
        "'http://127.0.0.1:8000/api/v1/declarations?limit=3'"
    )
    console.print("Every call is in the audit log; [bold]riskhub audit verify[/] checks it.")


LIBRARY = Path(__file__).resolve().parent.parent / "profiles" / "library"


def _selectivity(engine: Engine, spec: TrafficSpec, folder: Path) -> None:
    """AEO holders, the starter profile library, and a channel for every declaration."""
    aeo_path = folder / f"aeo-seed{spec.seed}.csv"
    write_aeo(generate_aeo(spec), aeo_path)
    held = import_aeo(engine=engine, path=aeo_path)
    with acting_for(SECRETARIAT_PARTY), Session(engine) as session, session.begin():
        outcomes = [
            o
            for file in sorted(LIBRARY.glob("*.yaml"))
            for o in profiles.import_profiles(
                session=session,
                party=SECRETARIAT_PARTY,
                text=file.read_text(encoding="utf-8"),
                activate=True,
            )
        ]
    console.print(
        f"4. {held.inserted + held.updated + held.unchanged:,} AEO authorisations loaded; "
        f"{len(outcomes)} common risk profiles "
        "of the starter library active (owned by the RMWG, shared with all CEFTA Parties)."
    )
    table = Table(
        "office",
        "declarations",
        "green",
        "blue",
        "yellow",
        "red",
        "random",
        "red %",
        title="Channels assigned, by office",
    )
    began = time.perf_counter()
    decided = 0
    for party in sorted(LIVE_OWNERS):
        summary = selectivity.decide_pending(engine_=engine, party=party)
        decided += summary.decided
        for office, counts in sorted(summary.by_office.items()):
            n = sum(counts.values())
            table.add_row(
                office,
                f"{n:,}",
                *[f"{counts.get(c, 0):,}" for c in ("green", "blue", "yellow", "red")],
                f"{summary.random_by_office.get(office, 0):,}",
                f"{counts.get('red', 0) / n:.1%}",
            )
    console.print(table)
    console.print(f"5. {decided:,} declarations decided in {time.perf_counter() - began:.1f} s.")


def _officers(engine: Engine, spec: TrafficSpec) -> None:
    """Officers inspect what was selected; the KPIs show what risk management achieved."""
    began = time.perf_counter()
    save_demo_checklists(engine=engine, owner=SECRETARIAT_PARTY)
    inspected = timed = refused = 0
    for party in sorted(LIVE_OWNERS):
        done = officers.simulate(engine=engine, party=party, owner=SECRETARIAT_PARTY,
                                 seed=spec.seed)  # fmt: skip
        inspected, timed = inspected + done.inspections, timed + done.release_times
        refused += done.rejected
    if refused:
        console.print(f"[red]{refused:,} simulated inspection results were refused.[/]")
    console.print(
        f"6. Officers at work (simulated from the planted truth): {inspected:,} inspection "
        f"results and {timed:,} declarations' release times recorded in "
        f"{time.perf_counter() - began:.1f} s."
    )
    since = datetime.combine(spec.start, datetime.min.time())
    until = since + timedelta(days=spec.days)
    parties = sorted(LIVE_OWNERS)
    by_channel = kpis.kpi_table(engine=engine, parties=parties, since=since, until=until,
                                by="channel")  # fmt: skip
    console.print(kpi_table(by_channel, by="channel", title="KPIs by channel, all Parties"))
    overall = kpis.kpi_table(engine=engine, parties=parties, since=since, until=until, by=None)
    for line in population_lines(overall, by=None):
        console.print("Random baseline and detection: " + line)
    console.print(
        "More: [bold]riskhub kpi --by office[/], [bold]riskhub report review "
        f"--period {spec.start.year}H2 --out review.pdf[/]."
    )


MODEL_DAYS = 30  # the traffic after the first model, to compare with the days before it


def _with_model(engine: Engine, spec: TrafficSpec, folder: Path) -> None:
    """The monthly retrain job, then a month of traffic decided with the models, compared."""
    began = time.perf_counter()
    since = datetime.combine(spec.start, datetime.min.time())
    until = since + timedelta(days=spec.days)
    trained = Table("Party", "model", "held-out days from", "precision@10%", "AUC",
                    title="9. Risk models retrained on the inspections, approved")  # fmt: skip
    for party in sorted(CEFTA_PARTIES):
        try:
            row, metrics = retrain(engine=engine, party=party, since=since, until=until,
                                   trained_by="demo-retrain-job")  # fmt: skip
        except ValueError:
            continue  # too few inspections to learn from
        with acting_for(party), Session(engine) as session, session.begin():
            registry.approve(session=session, party=party, version=row.version,
                             role="champion", approved_by="demo-head-of-risk")  # fmt: skip
        trained.add_row(party, f"v{row.version}", metrics["measured_from"],
                        str(metrics["precision_at_10"]), str(metrics["auc"]))  # fmt: skip
    console.print(trained)
    later = TrafficSpec(days=MODEL_DAYS, seed=spec.seed + 1, trucks_per_day=spec.trucks_per_day,
                        start=spec.start + timedelta(days=spec.days))  # fmt: skip
    # Other references than the first months' (the generator numbers trips from 1).
    frame = generate(later).with_columns(
        pl.col("reference") + "-M", pl.col("export_reference") + "-M"
    )
    path = folder / f"traffic-model-{MODEL_DAYS}d-seed{later.seed}.csv"
    write_traffic(frame, path)
    service.ingest_path(engine=engine, path=path, chunk_declarations=5000)
    for party in sorted(LIVE_OWNERS):
        selectivity.decide_pending(engine_=engine, party=party)
        officers.simulate(engine=engine, party=party, owner=SECRETARIAT_PARTY, seed=later.seed)
    end = until + timedelta(days=MODEL_DAYS)
    parties = sorted(CEFTA_PARTIES)
    table = Table("CEFTA Parties", f"{spec.days} days, profiles only",
                  f"next {MODEL_DAYS} days, profiles + model",
                  title="10. With and without the risk model")  # fmt: skip
    before = kpis.kpi_table(engine=engine, parties=parties, since=since, until=until, by=None)
    after = kpis.kpi_table(engine=engine, parties=parties, since=until, until=end, by=None)
    for label, pick in COMPARED:
        table.add_row(label, pick(before[0]) if before else "–", pick(after[0]) if after else "–")
    console.print(table)
    console.print(
        f"Done in {time.perf_counter() - began:.1f} s. The drift check: "
        f"[bold]riskhub model drift --party RS --since {until:%Y-%m-%d} --until {end:%Y-%m-%d}[/]"
    )


def _pct(interval: dict[str, Any]) -> str:
    if interval.get("estimate") is None:
        return "–"
    return f"{interval['estimate']:.1%} ({interval['low']:.1%}–{interval['high']:.1%})"


COMPARED: tuple[tuple[str, Callable[[dict[str, Any]], str]], ...] = (
    ("declarations", lambda k: f"{k['declarations']:,}"),
    ("inspected", lambda k: f"{k['inspections']:,}"),
    ("hit rate of targeted controls", lambda k: _pct(k["targeted_hit_rate"])),
    ("estimated detection rate", lambda k: _pct(k["detection_rate"])),
    ("revenue per inspection €", lambda k: f"{k['revenue_per_inspection_eur'] or 0:,.0f}"),
    ("sent to control by the model", lambda k: f"{k['drivers']['model'] or 0:.1%}"),
)


DEMO_USERS: tuple[tuple[Role, str, str, str | None, str | None], ...] = (
    (Role.OFFICER, "RS", "demo-officer", "RS-PRE", None),
    (Role.ANALYST, "RS", "demo-analyst", None, None),
    (Role.PARTY_ADMIN, "RS", "demo-admin", None, None),
    (Role.RMWG, "MK", "demo-rmwg", None, None),
    (Role.AGENCY_OFFICER, "RS", "demo-phyto", None, "phytosanitary"),
    (Role.AUDITOR, "RS", "demo-auditor", None, None),
    (Role.SECRETARIAT, "XS", "demo-secretariat", None, None),
    (Role.EU_PARTNER, "HU", "demo-eu-partner", None, None),
)


def _demo_users(engine: Engine) -> dict[tuple[Role, str, str], str]:
    """One user per role (created once), each with a fresh 30-day token."""
    now = utcnow()
    tokens: dict[tuple[Role, str, str], str] = {}
    with Session(engine) as session, session.begin():
        for role, party, name, office, agency in DEMO_USERS:
            user = session.scalar(select(User).where(User.party == party, User.name == name))
            if user is None:
                user = access.create_user(
                    session=session,
                    party=party,
                    name=name,
                    role=role,
                    offices=[office] if office else None,
                    agency=agency,
                    now=now,
                )
            issued = access.issue_token(session=session, user=user, days=30, now=now)
            tokens[(role, party, name)] = issued.token
    for (_, party, _), token in tokens.items():
        token_id = token.split(".")[2]
        audit.append(
            engine=engine,
            party=party,
            actor="cli",
            action="tokens.issue",
            object=f"token:{token_id}",
            outcome="issued",
            source="cli",
        )
    return tokens
