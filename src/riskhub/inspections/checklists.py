"""Inspection protocols (M4): save with versions, list what a Party may use, assemble a form.

A checklist is attached to channels ("every red control checks the seals") and
to risk profiles ("when RS-UV-001 selects, weigh and photograph the goods").
Profiles are named by code, or ``OWNER/CODE`` for another owner's (e.g. the
RMWG's common profiles, owned by the Secretariat).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from riskhub.access.distribution import Distribution
from riskhub.db.base import utcnow
from riskhub.inspections.models import Checklist, ChecklistVersion
from riskhub.inspections.schemas import ChecklistIn
from riskhub.profiles.service import shared_with


class ChecklistError(ValueError):
    """A checklist request that cannot be carried out; the message says why."""


def _document(body: ChecklistIn) -> dict[str, Any]:
    return body.model_dump(mode="json")


def save_checklist(
    *, session: Session, party: str, code: str, body: ChecklistIn, user_id: int | None
) -> tuple[Checklist, str]:
    """Create or change one of ``party``'s checklists; a change makes a new version."""
    if body.distribution is Distribution.GROUP and not body.group:
        raise ChecklistError("distribution 'group' needs the sharing group's name in 'group'")
    row = session.scalars(
        select(Checklist).where(Checklist.party == party, Checklist.code == code)
    ).first()
    document = _document(body)
    if row is not None and _current(row) == document:
        return row, "unchanged"
    outcome = "changed" if row is not None else "created"
    now = utcnow()
    if row is None:
        row = Checklist(party=party, code=code, version=0)
        session.add(row)
    row.version += 1
    row.title, row.agency = body.title, body.agency
    row.channels, row.profiles = json.dumps(body.channels), json.dumps(body.profiles)
    row.items = json.dumps(document["items"])
    row.distribution, row.tlp = body.distribution.value, body.tlp.value
    row.sharing_group = body.group
    row.updated_by, row.updated_at = user_id, now
    session.flush()
    session.add(
        ChecklistVersion(
            checklist_id=row.id, party=party, version=row.version,
            document=json.dumps(document), changed_by=user_id, changed_at=now,
        )
    )  # fmt: skip
    session.flush()
    return row, outcome


def _current(row: Checklist) -> dict[str, Any]:
    return {
        "title": row.title, "agency": row.agency, "channels": json.loads(row.channels),
        "profiles": json.loads(row.profiles), "items": json.loads(row.items),
        "distribution": row.distribution, "tlp": row.tlp, "group": row.sharing_group,
    }  # fmt: skip


def visible_checklists(*, session: Session, party: str) -> list[Checklist]:
    """Own checklists and those shared with ``party``, by owner and code."""
    rows = session.scalars(select(Checklist).order_by(Checklist.party, Checklist.code))
    return [row for row in rows if row.party == party or shared_with(session, party, row)]


def find_checklist(*, session: Session, party: str, name: str) -> Checklist | None:
    """A visible checklist by ``CODE`` (own) or ``OWNER/CODE``."""
    owner, _, code = name.rpartition("/")
    owner = owner or party
    row = session.scalars(
        select(Checklist).where(Checklist.party == owner, Checklist.code == code)
    ).first()
    if row is None or not (row.party == party or shared_with(session, party, row)):
        return None
    return row


def versions(*, session: Session, checklist: Checklist) -> list[ChecklistVersion]:
    """Every version of a checklist, oldest first."""
    return list(
        session.scalars(
            select(ChecklistVersion)
            .where(ChecklistVersion.checklist_id == checklist.id)
            .order_by(ChecklistVersion.version)
        )
    )


def name_of(row: Checklist, party: str) -> str:
    """How ``party`` names the checklist: its code, or OWNER/CODE for another owner's."""
    return row.code if row.party == party else f"{row.party}/{row.code}"


def applicable(
    *, session: Session, party: str, channel: str | None, selected: Sequence[tuple[str, str]]
) -> list[Checklist]:
    """The checklists for a declaration put in ``channel`` by the profiles in ``selected``.

    ``selected`` holds (owner, code) of the profiles that fired and selected it.
    """
    wanted = set(selected)
    out = []
    for row in visible_checklists(session=session, party=party):
        attached = set()
        for name in json.loads(row.profiles):
            owner, _, code = name.rpartition("/")
            attached.add((owner or row.party, code))
        if (channel and channel in json.loads(row.channels)) or attached & wanted:
            out.append(row)
    return out
