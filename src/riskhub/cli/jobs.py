"""``riskhub jobs`` and ``riskhub worker``: queue background work, see it, run it."""

from __future__ import annotations

import json
import signal
from types import FrameType

import typer
from rich.table import Table

from riskhub.cli.common import console, counts_text, errors, ready_engine
from riskhub.jobs import kinds, service
from riskhub.jobs import worker as workers
from riskhub.jobs.models import Job

app = typer.Typer(
    help="Background jobs (retrain, review, rollup) that 'riskhub worker' processes run.",
    no_args_is_help=True,
)


def _parameters(pairs: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for pair in pairs:
        name, equals, value = pair.partition("=")
        if not equals or not name.strip():
            errors.print(f"[red]a parameter is NAME=VALUE, not {pair!r}[/]")
            raise typer.Exit(2)
        if name.strip() in found:
            errors.print(f"[red]parameter {name.strip()!r} is given twice[/]")
            raise typer.Exit(2)
        found[name.strip()] = value
    return found


@app.command("add")
def add(
    kind: str = typer.Argument(..., help="retrain, review or rollup."),
    party: str = typer.Option(..., help="The Party the job is for (review: XS for every Party)."),
    param: list[str] = typer.Option(
        [], "--param", "-p", help="NAME=VALUE, e.g. -p since=2026-06-01 -p until=2026-08-31."
    ),
    key: str | None = typer.Option(
        None, help="Dedupe key (default: kind, Party, parameters and today's UTC date)."
    ),
    max_attempts: int = typer.Option(service.MAX_ATTEMPTS, help="Tries before it stays failed."),
    by: str = typer.Option("cli", help="Who queues it (kept on the job)."),
) -> None:
    """Queue a job; queued again with the same key, the job already there is kept."""
    engine = ready_engine()
    try:
        job, new = service.enqueue(engine=engine, kind=kind, party=party.upper(),
                                   parameters=_parameters(param), key=key,
                                   max_attempts=max_attempts, enqueued_by=by)  # fmt: skip
    except kinds.ParameterError as error:
        errors.print(f"[red]{error}[/]")
        raise typer.Exit(2) from error
    if new:
        console.print(f"Job {job.id} queued: {job.kind} for {job.party} {job.parameters}.")
        return
    # The same job is there already (a second cron host, a command run again): it is kept.
    again = "today; give --key to queue it again" if key is None else f"with key {key}"
    said = {
        "queued": f"was already queued with key {job.dedupe_key}; it is kept",
        "running": f"is already running on worker {job.worker}",
        "done": f"already ran {again}",
        "failed": f"already failed ({job.error}); 'riskhub jobs retry {job.id}' queues it "
        "again once the cause is fixed",
    }[job.status]
    console.print(f"Job {job.id} {said}.", highlight=False)


@app.command("list")
def list_(
    status: str | None = typer.Option(None, help="queued, running, done or failed."),
    kind: str | None = typer.Option(None, help="Only this kind."),
    party: str | None = typer.Option(None, help="Only this Party."),
    limit: int = typer.Option(50, min=1, max=10_000, help="How many, newest first."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object a line, for scripts."),
) -> None:
    """Jobs, newest first: state, attempts, worker, and what came of them."""
    if status is not None and status not in service.STATUSES:
        errors.print(f"[red]--status is one of {', '.join(service.STATUSES)}, not {status!r}[/]")
        raise typer.Exit(2)
    rows = service.listed(engine=ready_engine(), status=status, kind=kind,
                          party=party.upper() if party else None, limit=limit)  # fmt: skip
    if as_json:
        for job in rows:
            typer.echo(json.dumps(_plain(job), default=str))
        return
    table = Table("id", "kind", "party", "parameters", "status", "tries", "worker", "finished",
                  "result or error")  # fmt: skip
    for job in rows:
        said = job.result if job.status == "done" else job.error
        table.add_row(
            str(job.id), job.kind, job.party, job.parameters, job.status,
            f"{job.attempts}/{job.max_attempts}", job.worker or "–",
            f"{job.finished_at:%Y-%m-%d %H:%M:%S}" if job.finished_at else "–", said or "",
        )  # fmt: skip
    console.print(table)


def _plain(job: Job) -> dict[str, object]:
    fields = ("id", "kind", "party", "status", "attempts", "max_attempts", "dedupe_key",
              "worker", "enqueued_by", "created_at", "run_after", "started_at", "finished_at",
              "result", "error")  # fmt: skip
    return {**{f: getattr(job, f) for f in fields}, "parameters": json.loads(job.parameters)}


@app.command("retry")
def retry(
    job_id: int = typer.Argument(..., help="A failed job's id."),
    attempts: int = typer.Option(service.MAX_ATTEMPTS, min=1, max=100, help="Tries to give it."),
) -> None:
    """Queue a failed job again for more attempts (after fixing what made it fail).

    The attempts it already made stay counted ('jobs list' shows e.g. 4/6).
    """
    if not service.requeue(engine=ready_engine(), job_id=job_id, attempts=attempts):
        errors.print(f"[red]no failed job {job_id}[/]")
        raise typer.Exit(1)
    console.print(f"Job {job_id} queued again.")


def worker(
    once: bool = typer.Option(False, help="Run at most one job, then stop."),
    until_idle: bool = typer.Option(False, help="Stop when no job is due."),
    poll: float = typer.Option(5.0, min=0.01, help="Seconds between looks when idle."),
    name: str | None = typer.Option(None, help="This worker's name (default: host:pid)."),
    lease: float = typer.Option(service.LEASE_S, min=1.0, help="Seconds a claim holds a job."),
    retry_base: float = typer.Option(service.RETRY_BASE_S, min=0.001, help="First retry delay."),
) -> None:
    """The job worker: claim due jobs and run them; run as many as you like at once."""
    engine = ready_engine()
    if not workers.sees_every_party(engine):
        role = engine.url.username
        errors.print(
            f"[red]The worker's database role {role} is subject to row-level security: it "
            "would see no jobs and no Party's data.[/] Give it BYPASSRLS (as a superuser: "
            f"ALTER ROLE {role} BYPASSRLS) or set RISKHUB_ADMIN_DATABASE_URL to a role that "
            "has it, as the operators' commands use."
        )
        raise typer.Exit(1)
    me = name or workers.default_name()
    stopping: list[int] = []

    def stop(signum: int, _frame: FrameType | None) -> None:
        # The job in hand is finished and recorded first; then the worker stops. A second
        # signal stops it at once: its job is then claimed again when the lease runs out.
        if stopping:
            raise KeyboardInterrupt
        stopping.append(signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    def report(outcome: workers.Outcome) -> None:
        console.print(f"job {outcome.job_id} {outcome.kind} {outcome.party}: {outcome.status}: "
                      f"{outcome.said}", highlight=False)  # fmt: skip

    total = workers.run(engine=engine, worker=me, once=once, until_idle=until_idle,
                        poll_s=poll, lease_s=lease, retry_base_s=retry_base, on_job=report,
                        should_stop=lambda: bool(stopping))  # fmt: skip
    console.print(f"Worker {me} stopped: {counts_text(total) or 'no jobs run'}.")
