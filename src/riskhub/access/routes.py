"""HTTP routes for the caller, reference data, and a Party administrator's users and tokens."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, status
from sqlalchemy import select
from sqlalchemy.orm import Session

from riskhub.access import schemas, service
from riskhub.access.models import Party, User
from riskhub.access.principal import CurrentPrincipal, Principal, require
from riskhub.access.roles import GRANTS, Permission, Role
from riskhub.api_types import ObjectId
from riskhub.db.base import utcnow
from riskhub.db.session import ReadSession, WriteSession
from riskhub.settings import get_settings

router = APIRouter(prefix="/api/v1", tags=["access"])
Admin = Annotated[Principal, Depends(require(Permission.USERS_MANAGE))]


@router.get("/me", response_model=schemas.MeOut)
def me(principal: CurrentPrincipal) -> schemas.MeOut:
    """Who you are, for which Party, and what your role lets you do."""
    return schemas.MeOut(
        user_id=principal.user_id, party=principal.party, role=principal.role,
        name=principal.name, offices=list(principal.offices), agency=principal.agency,
        permissions=sorted(p.value for p in GRANTS[principal.role]),
    )  # fmt: skip


@router.get("/parties", response_model=list[schemas.PartyOut])
def parties(_: CurrentPrincipal, session: ReadSession) -> list[Any]:
    """The Parties of the hub (reference data)."""
    return list(session.scalars(select(Party).order_by(Party.code)))


@router.get("/users", response_model=list[schemas.UserOut])
def list_users(principal: Admin, session: WriteSession) -> list[Any]:
    """The users of your Party."""
    return list(
        session.scalars(select(User).where(User.party == principal.party).order_by(User.id))
    )


@router.post("/users", response_model=schemas.UserOut, status_code=status.HTTP_201_CREATED)
def create_user(
    body: schemas.UserIn,
    principal: Admin,
    session: WriteSession,
) -> Any:
    """Add a user to your own Party (officer, analyst, RMWG member or agency officer)."""
    _grantable(body.role)
    try:
        return service.create_user(
            session=session, party=principal.party, name=body.name, role=body.role,
            offices=body.offices, agency=body.agency, now=utcnow(),
        )  # fmt: skip
    except service.AccessError as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from exc


@router.put("/users/{user_id}/role", response_model=schemas.UserOut)
def change_role(
    user_id: ObjectId,
    body: schemas.RoleChangeIn,
    principal: Admin,
    session: WriteSession,
) -> Any:
    """Give another user of your Party a new role; nobody changes their own."""
    user = _own_user(session, principal, user_id)
    if user.id == principal.user_id:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "you cannot change your own role")
    _grantable(Role(user.role))
    _grantable(body.role)
    try:
        return service.change_role(
            session=session, user=user, role=body.role, offices=body.offices, agency=body.agency
        )
    except service.AccessError as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from exc


@router.post("/users/{user_id}/disable", response_model=schemas.UserOut)
def disable_user(
    user_id: ObjectId, principal: Admin,
    session: WriteSession,
) -> Any:  # fmt: skip
    """Disable a user of your Party: their tokens stop working at once."""
    user = _own_user(session, principal, user_id)
    user.disabled = True
    return user


@router.post(
    "/users/{user_id}/tokens", response_model=schemas.TokenOut, status_code=status.HTTP_201_CREATED
)
def issue_token(
    user_id: ObjectId, principal: Admin,
    session: WriteSession,
) -> schemas.TokenOut:  # fmt: skip
    """The first API token of a user you created, shown this once.

    Later tokens come from an operator (``riskhub users token``): an administrator
    who could mint tokens for existing users could act as any of them.
    """
    user = _own_user(session, principal, user_id)
    _grantable(Role(user.role))
    if service.has_tokens(session=session, user=user):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            "this user already received a token; ask an operator for another",
        )
    days = get_settings().token_days
    issued = service.issue_token(session=session, user=user, days=days, now=utcnow())
    return schemas.TokenOut(token=issued.token, expires_at=issued.expires_at)


@router.delete("/tokens/{token_id}", status_code=status.HTTP_204_NO_CONTENT)
def revoke_token(
    token_id: ObjectId, principal: Admin,
    session: WriteSession,
) -> None:  # fmt: skip
    """Revoke one of your Party's tokens."""
    if not service.revoke_token(
        session=session, party=principal.party, token_id=token_id, now=utcnow()
    ):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "token not found")


def _grantable(role: Role) -> None:
    if role not in service.ADMIN_GRANTABLE:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            f"only an operator manages {role.value} users (riskhub users create)",
        )


def _own_user(session: Session, principal: Principal, user_id: int) -> User:
    user = session.scalar(select(User).where(User.id == user_id, User.party == principal.party))
    if user is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "user not found")
    return user
