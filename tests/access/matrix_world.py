"""The world the access matrix runs in: users of every role, objects of each Party, and a Case
per route. Feature areas describe their own routes in ``matrix_<area>.py`` beside this file."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from riskhub.access import service as access
from riskhub.access.models import User
from riskhub.access.roles import Permission, Role

OFFICE = {"RS": "RS-PRE", "MK": "MK-TAB", "HU": "HU-ROS", "HR": "HR-BAJ", "XS": "RS-PRE"}
PARTIES = {Role.EU_PARTNER: ("HU", "HR"), Role.SECRETARIAT: ("XS",)}
CEFTA_PAIR = ("RS", "MK")
VICTIM_ROLE = {"XS": Role.SECRETARIAT, "HU": Role.EU_PARTNER, "HR": Role.EU_PARTNER}


def parties_of(role: Role) -> tuple[str, ...]:
    return PARTIES.get(role, CEFTA_PAIR)


def foreign_of(party: str) -> str:
    """Another Party whose objects the caller must not reach."""
    return {"RS": "MK", "MK": "RS"}.get(party, "RS")


@dataclass
class World:
    """Users of every role in every Party, and objects each Party owns."""

    engine: Engine
    tokens: dict[tuple[Role, str], str] = field(default_factory=dict)
    declaration: dict[str, int] = field(default_factory=dict)
    profile: dict[str, int] = field(default_factory=dict)
    checklist: dict[str, int] = field(default_factory=dict)
    counter: Iterator[int] = field(default_factory=itertools.count)

    def victim_user(self, party: str) -> int:
        """A fresh user of ``party`` for routes that change a user."""
        now = datetime.now(UTC).replace(tzinfo=None)
        with Session(self.engine) as session, session.begin():
            return access.create_user(
                session=session, party=party, name=f"victim-{next(self.counter)}",
                role=VICTIM_ROLE.get(party, Role.ANALYST), now=now,
            ).id  # fmt: skip

    def victim_token(self, party: str) -> int:
        now = datetime.now(UTC).replace(tzinfo=None)
        user_id = self.victim_user(party)
        with Session(self.engine) as session, session.begin():
            user = session.get(User, user_id)
            assert user is not None
            return access.issue_token(session=session, user=user, days=1, now=now).token_id


@dataclass(frozen=True)
class Case:
    permission: Permission | None  # None: every authenticated caller
    status: int  # on the caller's own object
    target: Callable[[World, str], dict[str, Any]] | None = None  # path params for a Party
    body: Callable[[World, str], Any] | None = None
    # False when the path names a thing within the caller's own namespace (a list name).
    foreign_variant: bool = True
    # A role that may call the route but is not shown this object, e.g. an agency officer
    # asking for a decision that does not notify its agency.
    role_status: dict[Role, int] = field(default_factory=dict)
    query: dict[str, str] = field(default_factory=dict)
