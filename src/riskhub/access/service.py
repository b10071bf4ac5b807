"""Users and their tokens: create, issue, revoke, disable, authenticate."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from riskhub.access import tokens
from riskhub.access.distribution import Distribution, Sharing, Tlp
from riskhub.access.models import (
    Agency,
    ApiToken,
    Office,
    Party,
    SharingGroup,
    SharingGroupMember,
    User,
)
from riskhub.access.principal import Principal
from riskhub.access.roles import Role


class AccessError(ValueError):
    """A user or token request that cannot be honoured; the message says why."""


# What a Party administrator may hand out over the API. Administrators and
# auditors are made by operators (``riskhub users create``), so that nobody can
# grant themselves, or an account they hold the token of, more than they have.
ADMIN_GRANTABLE = frozenset({Role.OFFICER, Role.ANALYST, Role.RMWG, Role.AGENCY_OFFICER})


def create_user(
    *, session: Session, party: str, name: str, role: Role, offices: list[str] | None = None,
    agency: str | None = None, now: datetime,
) -> User:  # fmt: skip
    """Add a user of ``party``; officers name their offices, agency officers their agency."""
    offices = _check_role_fits(session, party=party, role=role, offices=offices, agency=agency)
    if session.scalar(select(User.id).where(User.party == party, User.name == name)):
        raise AccessError(f"{party} already has a user named '{name}'")
    user = User(
        party=party, name=name, role=role.value, offices=";".join(offices) or None,
        agency=agency, disabled=False, created_at=now,
    )  # fmt: skip
    session.add(user)
    session.flush()
    return user


def change_role(
    *, session: Session, user: User, role: Role, offices: list[str] | None = None,
    agency: str | None = None,
) -> User:  # fmt: skip
    """Give ``user`` a new role, with the offices or agency that role needs (and no others)."""
    checked = _check_role_fits(session, party=user.party, role=role, offices=offices, agency=agency)
    user.role, user.offices, user.agency = role.value, ";".join(checked) or None, agency
    return user


def _check_role_fits(
    session: Session, *, party: str, role: Role, offices: list[str] | None, agency: str | None
) -> list[str]:
    """The user's offices, sorted; AccessError says what does not fit the role or Party."""
    kind = session.scalar(select(Party.kind).where(Party.code == party))
    if kind is None:
        raise AccessError(f"unknown Party '{party}'")
    if (role is Role.SECRETARIAT) != (kind == "secretariat"):
        raise AccessError("the secretariat role belongs to the CEFTA Secretariat (XS) alone")
    if (role is Role.EU_PARTNER) != (kind == "eu_partner"):
        raise AccessError("EU partner users, and only they, belong to an EU Member State")
    if role is Role.RMWG and kind != "cefta":
        # The working group decides for the CEFTA Parties (common profiles, the CEFTA-wide
        # register, joint actions): its members come from their administrations.
        raise AccessError("RMWG members belong to a CEFTA Party's administration")
    checked = sorted(set(offices or []))
    if role is Role.OFFICER and not checked:
        raise AccessError("an officer works at one or more offices: give --office")
    if checked and role is not Role.OFFICER:
        raise AccessError("only officers are bound to offices")
    for code in checked:
        office = session.get(Office, code)
        if office is None or office.party != party:
            raise AccessError(f"office '{code}' is not an office of {party}")
    if role is Role.AGENCY_OFFICER and not agency:
        raise AccessError("an agency officer belongs to an agency: give --agency")
    if role is Role.AGENCY_OFFICER and agency == "customs":
        # Customs staff are officers or analysts; an "agency officer of customs" would
        # see every customs control without being bound to an office.
        raise AccessError("customs staff are officers or analysts, not agency officers")
    if agency is not None and role is not Role.AGENCY_OFFICER:
        raise AccessError("only agency officers belong to an agency")
    if agency is not None and session.get(Agency, agency) is None:
        known = ", ".join(session.scalars(select(Agency.code).order_by(Agency.code)))
        raise AccessError(f"unknown agency '{agency}'; the agencies are {known}")
    return checked


def has_tokens(*, session: Session, user: User) -> bool:
    """Whether ``user`` was ever given a token."""
    return session.scalar(select(ApiToken.id).where(ApiToken.user_id == user.id)) is not None


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token: str  # the only time the plain token exists
    token_id: int
    expires_at: datetime


def issue_token(*, session: Session, user: User, days: int, now: datetime) -> IssuedToken:
    """A new token for ``user``, valid ``days``; the plain token is shown only now."""
    secret = tokens.new_secret()
    row = ApiToken(
        party=user.party, user_id=user.id, secret_hash=tokens.hash_secret(secret),
        created_at=now, expires_at=now + timedelta(days=days), revoked_at=None,
    )  # fmt: skip
    session.add(row)
    session.flush()
    return IssuedToken(tokens.format_token(user.party, row.id, secret), row.id, row.expires_at)


def revoke_token(*, session: Session, party: str, token_id: int, now: datetime) -> bool:
    """Revoke one of ``party``'s tokens; False when there is no such token."""
    row = session.scalar(select(ApiToken).where(ApiToken.id == token_id, ApiToken.party == party))
    if row is None:
        return False
    row.revoked_at = row.revoked_at or now
    return True


def authenticate(*, session: Session, token: str, now: datetime) -> Principal | None:
    """The principal a bearer token stands for, or None if it is not valid now.

    The session must already act for the token's Party (see ``tokens``).
    """
    parts = tokens.parse_token(token)
    if parts is None:
        return None
    found = session.execute(
        select(ApiToken, User)
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.id == parts.token_id, ApiToken.party == parts.party)
    ).one_or_none()
    if found is None:
        return None
    row, user = found
    if row.revoked_at is not None or row.expires_at <= now or user.disabled:
        return None
    if not tokens.verified.verify(row.id, parts.secret, row.secret_hash):
        return None
    return principal_of(user)


def principal_of(user: User) -> Principal:
    return Principal(
        user_id=user.id, party=user.party, role=Role(user.role), name=user.name,
        offices=tuple(user.offices.split(";")) if user.offices else (), agency=user.agency,
    )  # fmt: skip


def create_sharing_group(*, session: Session, name: str, members: list[str]) -> SharingGroup:
    """A named set of Parties that objects can be distributed to."""
    unknown = [m for m in members if session.get(Party, m) is None]
    if unknown:
        raise AccessError(f"unknown Party {', '.join(unknown)} in sharing group '{name}'")
    group = SharingGroup(name=name, members=[SharingGroupMember(member=m) for m in set(members)])
    session.add(group)
    session.flush()
    return group


def sharing_of(
    *, session: Session, owner: str, distribution: Distribution, tlp: Tlp,
    group_id: int | None = None, identities_shared: bool = False,
) -> Sharing:  # fmt: skip
    """How an object is shared, with its sharing group's members read from the database."""
    members: frozenset[str] = frozenset()
    if distribution is Distribution.GROUP:
        if group_id is None:
            raise AccessError("distribution 'group' names a sharing group")
        members = frozenset(
            session.scalars(
                select(SharingGroupMember.member).where(SharingGroupMember.group_id == group_id)
            )
        )
    return Sharing(owner, distribution, tlp, members, identities_shared)
