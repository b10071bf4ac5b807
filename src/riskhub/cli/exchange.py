"""``riskhub exchange``: this node's keys, partner nodes, the sender worker, and its status."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import typer
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session

from riskhub.cli.common import console, counts_text, errors, ready_engine
from riskhub.db.tenancy import acting_for
from riskhub.exchange import keys, sender, service
from riskhub.exchange.envelope import published_schemas
from riskhub.exchange.models import PartnerKeyRow
from riskhub.exchange.transports import HttpTransport
from riskhub.settings import get_settings

app = typer.Typer(help="SEED+ exchange with partner hubs.", no_args_is_help=True)
partner = typer.Typer(help="Partner nodes and their keys.", no_args_is_help=True)
app.add_typer(partner, name="partner")


@app.command("keys")
def keys_() -> None:
    """This node's name, Parties and public key (give these to partners), and partners' keys."""
    me = keys.identity()
    # Plain lines, never wrapped or cut, so that a key can be copied whole.
    typer.echo(f"This node: {me.node} for {', '.join(sorted(me.parties))}")
    typer.echo(f"  key id:     {me.kid}\n  public key: {me.public}")
    with Session(ready_engine()) as session:
        by_node = {n.node: n for n in keys.partners(session=session)}
        rows = session.execute(select(PartnerKeyRow).order_by(PartnerKeyRow.node)).scalars()
        typer.echo("Partner keys (node, Parties, delivery, key id, state):")
        for row in rows:
            node = by_node.get(row.node)
            parties = node.parties.replace(";", ",") if node else "-"
            delivery = (node.url or "pulls") if node else "-"
            state = "revoked" if row.revoked_at else "active"
            typer.echo(f"  {row.node}  {parties}  {delivery}  {row.kid}  {state}")


@partner.command("add")
def partner_add(
    node: str,
    parties: str = typer.Option(..., help="';'-separated Parties the node speaks for."),
    key: str = typer.Option(..., help="The node's Ed25519 public key (base64url, 43 chars)."),
    url: str | None = typer.Option(None, help="Where to push; leave out if the node pulls."),
    identities: bool = typer.Option(
        False, help="The agreement lets traders' identities travel to this node."
    ),
) -> None:
    """Register a partner node, or add a new key to one (key rotation)."""
    try:
        with Session(ready_engine()) as session, session.begin():
            kid = keys.register(
                session=session,
                node=node,
                parties=[p.strip().upper() for p in parties.split(";")],
                public_key=key,
                url=url,
                identities_shared=identities,
            )
    except ValueError as error:
        errors.print(f"[red]Not registered:[/] {error}")
        raise typer.Exit(1) from error
    console.print(f"Partner {node} registered with key {kid}.")


@partner.command("revoke")
def partner_revoke(kid: str) -> None:
    """Refuse messages signed with this key from now on."""
    with Session(ready_engine()) as session, session.begin():
        done = keys.revoke(session=session, kid=kid)
    if not done:
        errors.print(f"[red]No active key {kid}.[/]")
        raise typer.Exit(1)
    console.print(f"Key {kid} revoked.")


@app.command()
def run(
    until_idle: bool = typer.Option(False, help="Stop when nothing is left to push."),
    once: bool = typer.Option(False, help="One round only."),
    poll: float = typer.Option(2.0, min=0.01, help="Seconds between rounds when idle."),
    retry_base: float = typer.Option(sender.RETRY_BASE_S, min=0.001, help="First retry delay."),
) -> None:
    """The sender worker: push due messages to partner nodes, retrying until receipts verify."""
    settings = get_settings()
    engine = ready_engine()
    transport = HttpTransport(
        ca_file=settings.exchange_ca_file,
        timeout_s=settings.exchange_timeout_s,
        keep_alive=settings.exchange_keep_alive,
    )
    total: Counter[str] = Counter()

    def report(done: Counter[str]) -> None:
        if done:
            console.print(counts_text(done))

    try:
        if once:
            total = sender.send_due(
                engine=engine,
                transport=transport,
                batch=settings.exchange_batch,
                retry_base_s=retry_base,
                lease_s=2 * settings.exchange_timeout_s,
            )
        else:
            total = sender.run(
                engine=engine,
                transport=transport,
                until_idle=until_idle,
                poll_s=poll,
                batch=settings.exchange_batch,
                retry_base_s=retry_base,
                on_round=report,
                lease_s=2 * settings.exchange_timeout_s,
            )
    except KeyboardInterrupt:
        console.print("Stopped; anything in flight is sent again on the next run.")
    finally:
        transport.close()
    console.print(f"Done: {counts_text(total) or 'nothing to send'}.")


@app.command()
def status(party: str = typer.Option(..., "--party")) -> None:
    """A Party's messages out by status, in by type, documents held, and failing deliveries."""
    with acting_for(party), Session(ready_engine()) as session:
        found = service.status(session=session, party=party, identity=keys.identity())
    console.print(f"Node {found.node} ({found.kid}), Party {party}")
    console.print(f"  out:       {counts_text(Counter(found.outbox)) or 'nothing'}")
    console.print(f"  in:        {counts_text(Counter(found.inbox)) or 'nothing'}")
    console.print(f"  documents: {counts_text(Counter(found.documents)) or 'none'}")
    for f in found.failing:
        console.print(
            f"  [yellow]failing[/] {f.type} to {f.receiver_node}: {f.attempts} attempts, "
            f"{f.last_error}; next at {f.next_attempt_at:%Y-%m-%d %H:%M:%S}"
        )


@app.command()
def documents(
    party: str = typer.Option(..., "--party"),
    type: str | None = typer.Option(None, "--type", help="e.g. inspection_report, rif"),
    limit: int = typer.Option(20, min=1),
) -> None:
    """What partners shared with a Party (inspection reports, RIFs...), newest first."""
    with acting_for(party), Session(ready_engine()) as session:
        found = service.received(session=session, party=party, type=type, limit=limit)
    table = Table("received", "type", "from", "key", "what")
    for doc in found:
        what = ", ".join(f"{k}={v}" for k, v in list(doc.payload.items())[:4])
        table.add_row(
            f"{doc.received_at:%Y-%m-%d %H:%M}", doc.type, doc.sender_party, doc.key, what[:80]
        )
    console.print(table)


@app.command()
def schemas(out: Path = typer.Option(..., help="Where to write the JSON Schemas.")) -> None:
    """Write the envelope's and every message type's JSON Schema, for partners' developers."""
    schemas_ = published_schemas()
    out.write_text(json.dumps(schemas_, indent=2, sort_keys=True) + "\n")
    console.print(f"Wrote the envelope's and {len(schemas_) - 1} message types' schemas to {out}.")
