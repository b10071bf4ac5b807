"""``riskhub users``: the people and systems that use the hub, and their API tokens."""

from __future__ import annotations

import typer
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session

from riskhub.access import service
from riskhub.access.models import User
from riskhub.access.roles import Role
from riskhub.audit import service as audit
from riskhub.cli.common import console, errors, ready_engine
from riskhub.db.base import utcnow
from riskhub.settings import get_settings

app = typer.Typer(help="Users, roles and API tokens.", no_args_is_help=True)


@app.command()
def create(
    party: str = typer.Option(..., help="The user's Party, e.g. AL."),
    role: Role = typer.Option(..., help="The user's role."),
    name: str = typer.Option(..., help="A name unique within the Party."),
    office: list[str] = typer.Option([], help="An office of an officer (repeatable)."),
    agency: str | None = typer.Option(None, help="The agency of an agency officer."),
    days: int | None = typer.Option(None, help="Days the token is valid (default: setting)."),
) -> None:
    """Create a user and print their API token, once: only its hash is kept."""
    engine = ready_engine()
    try:
        with Session(engine) as session, session.begin():
            user = service.create_user(
                session=session, party=party.upper(), name=name, role=role,
                offices=[o.upper() for o in office], agency=agency, now=utcnow(),
            )  # fmt: skip
            issued = service.issue_token(
                session=session, user=user, days=days or get_settings().token_days, now=utcnow()
            )
            user_id = user.id
    except service.AccessError as exc:
        errors.print(f"[red]{exc}[/]")
        raise typer.Exit(1) from exc
    audit.append(engine=engine, party=party.upper(), actor="cli", action="users.create",
                 object=f"user:{user_id}", outcome="created", source="cli")  # fmt: skip
    console.print(f"Created user {user_id} ({name}, {role.value} of {party.upper()}).")
    console.print(f"API token (shown once, valid until {issued.expires_at:%Y-%m-%d}):")
    typer.echo(issued.token)


@app.command()
def token(
    user_id: int = typer.Argument(..., help="The user's id."),
    days: int | None = typer.Option(None, help="Days the token is valid (default: setting)."),
) -> None:
    """Issue another API token for a user."""
    engine = ready_engine()
    with Session(engine) as session, session.begin():
        user = session.get(User, user_id)
        if user is None or user.disabled:
            errors.print(f"[red]No active user {user_id}.[/]")
            raise typer.Exit(1)
        issued = service.issue_token(
            session=session, user=user, days=days or get_settings().token_days, now=utcnow()
        )
        party = user.party
    audit.append(engine=engine, party=party, actor="cli", action="tokens.issue",
                 object=f"token:{issued.token_id}", outcome="issued", source="cli")  # fmt: skip
    typer.echo(issued.token)


@app.command()
def revoke(token_id: int = typer.Argument(..., help="The token's id (rh.<PARTY>.<id>.…).")) -> None:
    """Revoke an API token at once."""
    engine = ready_engine()
    with Session(engine) as session, session.begin():
        from riskhub.access.models import ApiToken

        row = session.get(ApiToken, token_id)
        if row is None:
            errors.print(f"[red]No token {token_id}.[/]")
            raise typer.Exit(1)
        service.revoke_token(session=session, party=row.party, token_id=token_id, now=utcnow())
        party = row.party
    audit.append(engine=engine, party=party, actor="cli", action="tokens.revoke",
                 object=f"token:{token_id}", outcome="revoked", source="cli")  # fmt: skip
    console.print(f"Token {token_id} revoked.")


@app.command()
def disable(user_id: int = typer.Argument(..., help="The user's id.")) -> None:
    """Disable a user: all their tokens stop working at once."""
    engine = ready_engine()
    with Session(engine) as session, session.begin():
        user = session.get(User, user_id)
        if user is None:
            errors.print(f"[red]No user {user_id}.[/]")
            raise typer.Exit(1)
        user.disabled = True
        party = user.party
    audit.append(engine=engine, party=party, actor="cli", action="users.disable",
                 object=f"user:{user_id}", outcome="disabled", source="cli")  # fmt: skip
    console.print(f"User {user_id} disabled.")


@app.command("list")
def list_users(party: str | None = typer.Option(None, help="Only this Party's users.")) -> None:
    """List users."""
    with Session(ready_engine()) as session:
        query = select(User).order_by(User.party, User.id)
        if party:
            query = query.where(User.party == party.upper())
        table = Table("id", "party", "name", "role", "offices", "agency", "disabled")
        for u in session.scalars(query):
            table.add_row(str(u.id), u.party, u.name, u.role, u.offices or "", u.agency or "",
                          "yes" if u.disabled else "")  # fmt: skip
    console.print(table)
