"""Risk profiles and named lists: import, read, change status, version history, compile."""

from __future__ import annotations

import difflib
import json
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import structlog
import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from riskhub.access.distribution import Distribution, Sharing, Tlp, visible_to
from riskhub.access.models import SharingGroup, SharingGroupMember
from riskhub.db import tenancy
from riskhub.db.base import utcnow
from riskhub.profiles.compiled import CompiledProfile, compile_profile
from riskhub.profiles.document import ProfileDocument, read_library, read_profile
from riskhub.profiles.models import NamedList, ProfileActivation, RiskProfile, RiskProfileVersion
from riskhub.reference.parties import DECLARATION_OWNERS, SECRETARIAT_PARTY

log = structlog.get_logger(__name__)
STATUSES = ("draft", "active", "suspended")
LIST_KINDS = ("trader", "broker", "carrier", "vehicle", "hs", "country", "office")
# Lists that name people or companies: their entries never leave the owning Party.
PERSONAL_LIST_KINDS = frozenset({"trader", "broker", "carrier", "vehicle"})


class ProfileError(ValueError):
    """A profile or list request that cannot be carried out; the message says why."""


def _sharing(session: Session, owner: str, level: str, tlp: str, group: str | None) -> Sharing:
    members: frozenset[str] = frozenset()
    if level == Distribution.GROUP and group:
        members = frozenset(
            session.scalars(
                select(SharingGroupMember.member)
                .join(SharingGroup, SharingGroup.id == SharingGroupMember.group_id)
                .where(SharingGroup.name == group)
            )
        )
    return Sharing(owner, Distribution(level), Tlp(tlp), members)


def shared_with(session: Session, party: str, row: Any) -> bool:
    """Whether ``party`` may see a shareable row (profile, list, checklist, feedback)."""
    sharing = _sharing(session, row.party, row.distribution, row.tlp, row.sharing_group)
    return visible_to(party, sharing)


# -- named lists ---------------------------------------------------------------------


def visible_lists(*, session: Session, party: str) -> dict[str, NamedList]:
    """The named lists ``party`` may use: its own by name, others' as ``PARTY/name``."""
    rows = session.scalars(select(NamedList).order_by(NamedList.party, NamedList.name))
    out: dict[str, NamedList] = {}
    for row in rows:
        if row.party == party:
            out[row.name] = row
        elif shared_with(session, party, row):
            out[f"{row.party}/{row.name}"] = row
    return out


def list_entries(row: NamedList) -> list[str]:
    return list(json.loads(row.entries))


def save_list(
    *,
    session: Session,
    party: str,
    name: str,
    kind: str,
    entries: Collection[str],
    description: str = "",
    distribution: str = "own",
    tlp: str = "AMBER",
    group: str | None = None,
) -> NamedList:
    """Create or replace a Party's named list (a new version each time it changes)."""
    if kind not in LIST_KINDS:
        raise ProfileError(f"unknown list kind '{kind}' (known: {', '.join(LIST_KINDS)})")
    if "/" in name or not name.strip():
        raise ProfileError("a list name is not empty and has no '/'")
    values = json.dumps(sorted({str(e).strip() for e in entries if str(e).strip()}))
    row = session.scalars(
        select(NamedList).where(NamedList.party == party, NamedList.name == name)
    ).first()
    if row is None:
        row = NamedList(party=party, name=name, version=0, entries="[]")
        session.add(row)
    if row.entries != values or row.kind != kind:
        row.version += 1
    row.kind, row.entries, row.description = kind, values, description
    row.distribution, row.tlp, row.sharing_group = distribution, tlp, group
    row.updated_at = utcnow()
    session.flush()
    return row


# -- profiles ------------------------------------------------------------------------


@dataclass
class ImportOutcome:
    code: str | None
    outcome: str  # created, changed, unchanged, rejected
    version: int | None = None
    id: int | None = None
    problems: list[str] = field(default_factory=list)


def list_kinds(*, session: Session, party: str) -> dict[str, str]:
    return {name: row.kind for name, row in visible_lists(session=session, party=party).items()}


def import_profiles(
    *,
    session: Session,
    party: str,
    text: str,
    user_id: int | None = None,
    activate: bool = False,
) -> list[ImportOutcome]:
    """Store each good profile of a file (new, or a new version if changed); report the bad."""
    kinds = list_kinds(session=session, party=party)
    reads = read_library(text, lists=kinds)
    outcomes = []
    for read in reads:
        if not read.ok or read.document is None:
            problems = [str(p) for p in read.problems]
            outcomes.append(ImportOutcome(None, "rejected", problems=problems))
            continue
        foreign = sorted(set(read.document.scope.parties) - {party})
        if foreign and party != SECRETARIAT_PARTY:
            problem = (
                f"{read.document.code}: scope.parties names {', '.join(foreign)}: a Party's "
                "profile judges its own declarations only (common profiles come from the RMWG)"
            )
            outcomes.append(ImportOutcome(read.document.code, "rejected", problems=[problem]))
            continue
        # A file of one profile is kept as written; a library gives each profile its own YAML.
        own = text if read.whole_file else _yaml(read.raw)
        outcome = _store(session, party, own, read.document, user_id, activate)
        outcomes.append(outcome)
        if activate and party == SECRETARIAT_PARTY and outcome.version is not None:
            # The operator loading common profiles with --activate (the starter
            # library) switches them on for the Parties in scope; through the RMWG,
            # each Party decides for itself (governance/common_profiles).
            scope = read.document.scope.parties or sorted(DECLARATION_OWNERS)
            pa = ProfileActivation
            decided = set(session.scalars(select(pa.party).where(pa.code == outcome.code)))
            for member in scope:
                if member in decided:
                    continue  # a Party's own decision (or a decline) is never overridden
                set_activation(
                    session=session, party=member, code=outcome.code or "", active=True,
                    version=outcome.version, user_id=user_id,
                    reason="activated when the operator loaded it with --activate",
                )  # fmt: skip
    return outcomes


def set_activation(
    *, session: Session, party: str, code: str, active: bool, version: int, reason: str,
    user_id: int | None,
) -> ProfileActivation:  # fmt: skip
    """Record ``party``'s decision to use a common profile at its borders (or not, and why)."""
    with tenancy.switched(session, party):
        row = session.scalars(
            select(ProfileActivation).where(
                ProfileActivation.party == party, ProfileActivation.code == code
            )
        ).first()
        if row is None:
            row = ProfileActivation(party=party, code=code)
            session.add(row)
        row.active, row.version, row.reason = active, version, reason
        row.decided_by, row.decided_at = user_id, utcnow()
        session.flush()
    return row


def active_common_codes(*, session: Session, party: str) -> frozenset[str]:
    """Codes of the common profiles ``party`` has switched on at its borders."""
    pa = ProfileActivation
    return frozenset(session.scalars(select(pa.code).where(pa.party == party, pa.active)))


def _yaml(raw: object) -> str:
    return yaml.safe_dump(raw, sort_keys=False, allow_unicode=True)


def _store(
    session: Session,
    party: str,
    text: str,
    document: ProfileDocument,
    user_id: int | None,
    activate: bool,
) -> ImportOutcome:
    code = document.code
    now = utcnow()
    row = session.scalars(
        select(RiskProfile).where(RiskProfile.party == party, RiskProfile.code == code)
    ).first()
    status = "active" if activate else None
    if row is not None and row.document == text and (status is None or row.status == status):
        return ImportOutcome(code, "unchanged", row.version, row.id)
    outcome = "changed" if row is not None else "created"
    if row is None:
        row = RiskProfile(party=party, code=code, version=0, status="draft", created_at=now)
        session.add(row)
    row.version += 1
    edited = row.document != text if outcome == "changed" else False
    # An edit never goes live by itself: it waits as a draft (to be backtested) until
    # someone activates it, unless the import itself says --activate.
    row.status = status or ("draft" if edited else row.status)
    row.title, row.threat, row.direction = document.title, document.threat, document.direction
    row.channel, row.weight = str(document.action.channel), document.weight
    row.select_share = document.select_share
    row.valid_from, row.valid_to = document.valid_from, document.valid_to
    sharing = document.distribution
    row.distribution, row.tlp, row.sharing_group = sharing.level, sharing.tlp, sharing.group
    row.document, row.updated_by, row.updated_at = text, user_id, now
    session.flush()
    change = "imported and activated" if activate else f"imported ({outcome})"
    if edited and not activate:
        change += ", back to draft until activated"
    _record_version(session, row, change, user_id, now)
    return ImportOutcome(code, outcome, row.version, row.id)


def _record_version(
    session: Session, row: RiskProfile, change: str, user_id: int | None, now: datetime
) -> None:
    session.add(
        RiskProfileVersion(
            profile_id=row.id,
            party=row.party,
            version=row.version,
            status=row.status,
            document=row.document,
            change=change,
            changed_by=user_id,
            changed_at=now,
        )
    )
    session.flush()


def list_profiles(*, session: Session, party: str, status: str | None = None) -> list[RiskProfile]:
    """Own profiles and those shared with ``party``, by owner and code."""
    query = select(RiskProfile).order_by(RiskProfile.party, RiskProfile.code)
    if status:
        query = query.where(RiskProfile.status == status)
    return [row for row in session.scalars(query) if shared_with(session, party, row)]


def get_profile(*, session: Session, party: str, profile_id: int) -> RiskProfile | None:
    """A profile ``party`` may see, or None (the caller answers 404 either way)."""
    row = session.get(RiskProfile, profile_id)
    return row if row is not None and shared_with(session, party, row) else None


def find_profile(*, session: Session, party: str, owner: str, code: str) -> RiskProfile | None:
    """The profile ``owner`` keeps under ``code``, if ``party`` may see it (else None)."""
    row = session.scalars(
        select(RiskProfile).where(RiskProfile.party == owner, RiskProfile.code == code)
    ).first()
    return row if row is not None and shared_with(session, party, row) else None


def set_status(
    *, session: Session, party: str, profile_id: int, status: str, user_id: int | None = None
) -> RiskProfile | None:
    """Activate, suspend or return to draft one of ``party``'s own profiles."""
    if status not in STATUSES:
        raise ProfileError(f"unknown status '{status}' (known: {', '.join(STATUSES)})")
    row = session.get(RiskProfile, profile_id)
    if row is None or row.party != party:
        return None
    if row.status != status:
        row.status, row.version = status, row.version + 1
        row.updated_by, row.updated_at = user_id, utcnow()
        _record_version(session, row, f"status set to {status}", user_id, row.updated_at)
    return row


def history(*, session: Session, party: str, profile_id: int) -> list[dict[str, object]] | None:
    """Every version with what changed it and a unified diff from the one before."""
    row = get_profile(session=session, party=party, profile_id=profile_id)
    if row is None:
        return None
    if row.party != party:
        # Earlier versions may have been shared less widely (or named traders): another
        # Party sees the version it is shared now, and nothing before it.
        return [
            {
                "version": row.version,
                "status": row.status,
                "change": "current version",
                "changed_at": row.updated_at,
                "diff": "",
            }
        ]
    versions = session.scalars(
        select(RiskProfileVersion)
        .where(RiskProfileVersion.profile_id == row.id)
        .order_by(RiskProfileVersion.version)
    ).all()
    out, before = [], ""
    for v in versions:
        diff = difflib.unified_diff(
            before.splitlines(),
            v.document.splitlines(),
            f"version {v.version - 1}",
            f"version {v.version}",
            lineterm="",
        )
        out.append(
            {
                "version": v.version,
                "status": v.status,
                "change": v.change,
                "changed_at": v.changed_at,
                "diff": "\n".join(diff),
            }
        )
        before = v.document
    return out


def profile_status(row: RiskProfile, today: date | None = None) -> str:
    """The stored status, or 'expired' once an active profile's validity has passed."""
    today = today or utcnow().date()
    if row.valid_to is not None and row.valid_to < today:
        return "expired"
    return row.status


def judges(profile: CompiledProfile, party: str, visible: bool) -> bool:
    """Whether ``party``'s declarations are judged by this profile.

    A Party's own profiles judge its own declarations only; another owner's profile
    judges them only if it is a common profile of the RMWG (owned by the
    Secretariat), shared with the Party and not scoped away from it.
    """
    if profile.owner == party:
        return party in profile.parties
    return profile.owner == SECRETARIAT_PARTY and visible and party in profile.parties


def active_profiles(*, session: Session, party: str) -> list[CompiledProfile]:
    """The active profiles that judge ``party``'s declarations, compiled; validity is per row.

    Common profiles (owned by the RMWG) count only where ``party`` activated them.
    """
    compiled = []
    lists_of: dict[str, dict[str, NamedList]] = {}  # by owner: read once, not per profile
    switched_on = active_common_codes(session=session, party=party)
    for row in session.scalars(
        select(RiskProfile).where(RiskProfile.status == "active").order_by(RiskProfile.id)
    ):
        if row.party not in (party, SECRETARIAT_PARTY):
            continue
        if row.party == SECRETARIAT_PARTY and row.code not in switched_on:
            continue  # published by the RMWG, not (or no longer) activated by this Party
        visible = row.party == party or shared_with(session, party, row)
        if not visible:
            continue
        if row.party not in lists_of:
            lists_of[row.party] = visible_lists(session=session, party=row.party)
        try:
            profile = compile_row(session=session, row=row, lists=lists_of[row.party])
        except Exception as error:
            # E.g. a named list no longer shared with the owner: the other profiles
            # still judge the declarations, and the log says which one was left out.
            log.warning("profile_skipped", profile=row.code, owner=row.party, reason=str(error))
            continue
        if judges(profile, party, visible):
            compiled.append(profile)
    return compiled


def compile_row(
    *, session: Session, row: RiskProfile, lists: dict[str, NamedList] | None = None
) -> CompiledProfile:
    """Compile a stored profile with the named lists as its owner sees them."""
    if lists is None:
        lists = visible_lists(session=session, party=row.party)
    read = read_profile(row.document, lists={n: r.kind for n, r in lists.items()})
    if not read.ok or read.document is None or read.criteria is None:
        raise ProfileError(f"stored profile {row.code} no longer reads: {read.problems[0]}")
    entries = {name: list_entries(r) for name, r in lists.items()}
    return compile_profile(
        id=row.id,
        owner=row.party,
        version=row.version,
        document=read.document,
        criteria=read.criteria,
        lists=entries,
    )
