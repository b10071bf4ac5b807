"""Who may see a shared object: distribution levels (after MISP) and TLP markings.

A declaration, an inspection or a model belongs to its Party and is never shared
by this rule. A shareable object (risk profile, RIF, alert, inspection report,
finding) names a distribution level; ``visible_to`` is the one place that
decides, and everything that lists, counts or searches shared objects uses it.
The Secretariat sees aggregates only, so no distribution level reaches it.
Traders' identities in anything that leaves the owning Party are replaced by
pseudonyms unless the object's distribution says the identities travel too.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum

from riskhub.reference.parties import CEFTA_PARTIES, EU_MEMBER_STATES


class Distribution(StrEnum):
    OWN = "own"  # the owning administration only
    GROUP = "group"  # a named sharing group, e.g. two neighbours, or CEFTA + one EU MS
    CEFTA = "cefta"  # all CEFTA Parties
    CEFTA_EU = "cefta_eu"  # CEFTA Parties and the EU partner Member States


class Tlp(StrEnum):
    """Traffic Light Protocol 2.0: how far a reader may pass the information on."""

    RED = "RED"  # named recipients only
    AMBER = "AMBER"  # the recipient's organisation, need to know
    GREEN = "GREEN"  # the recipient's community
    CLEAR = "CLEAR"  # no limit


@dataclass(frozen=True, slots=True)
class Sharing:
    """How one object is shared: its owner, level, group members and marking."""

    owner: str
    distribution: Distribution
    tlp: Tlp
    group: frozenset[str] = frozenset()
    identities_shared: bool = False


def visible_to(party: str, sharing: Sharing) -> bool:
    """Whether ``party`` may see an object shared as ``sharing``."""
    if party == sharing.owner:
        return True
    match sharing.distribution:
        case Distribution.OWN:
            return False
        case Distribution.GROUP:
            return party in sharing.group
        case Distribution.CEFTA:
            return party in CEFTA_PARTIES
        case Distribution.CEFTA_EU:
            return party in CEFTA_PARTIES or party in EU_MEMBER_STATES
    return False


def audience(sharing: Sharing, parties: Collection[str]) -> set[str]:
    """The Parties among ``parties`` that may see the object."""
    return {p for p in parties if visible_to(p, sharing)}


def pseudonym(trader_id: str, *, owner: str, key: bytes) -> str:
    """A stable stand-in for a trader's identity, the same for every reader of the owner's data.

    Keyed (HMAC-SHA256 with the hub's secret) so that nobody can confirm a guess
    of the real id by hashing it.
    """
    digest = hmac.new(key, f"{owner}:{trader_id}".encode(), hashlib.sha256).hexdigest()
    return f"T-{owner}-{digest[:12]}"


TRADER_FIELDS = ("declarant", "importer", "exporter", "seller", "carrier", "vehicle_registration")


def minimise(
    document: dict[str, object], *, reader: str, sharing: Sharing, key: bytes
) -> dict[str, object]:
    """A copy of a shared document fit for ``reader``: pseudonyms instead of traders' ids.

    The owner, or any reader when the distribution shares identities, sees them whole.
    """
    if reader == sharing.owner or sharing.identities_shared:
        return dict(document)
    out = dict(document)
    for name in TRADER_FIELDS:
        value = out.get(name)
        if isinstance(value, str) and value:
            out[name] = pseudonym(value, owner=sharing.owner, key=key)
    return out
