"""A RIF turned into a draft common profile in one step.

The RIF's goods (HS codes), origin and dispatch country become the criteria;
its recommended control and indicators become the checklist; its urgency sets
the channel. The draft is an ordinary draft case: the drafters refine it before
proposing it, and the RMWG votes on what they propose.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

import yaml
from sqlalchemy.orm import Session

from riskhub.governance.common_profiles import service
from riskhub.governance.common_profiles.models import CommonProfileCase
from riskhub.governance.rifs import service as rifs
from riskhub.governance.rifs.models import Rif

WIDE = ("cefta", "cefta_eu")  # shared with every CEFTA Party already
THREATS = {
    "financial": "undervaluation",
    "security": "security",
    "safety_health": "other",
    "environment": "other",
    "ipr": "ipr",
    "cash": "other",
}


def draft_from_rif(
    *, session: Session, party: str, rif_id: int, user_id: int | None, now: datetime
) -> CommonProfileCase | None:
    """Draft a common profile from a RIF ``party`` can read (refused if expired or withdrawn)."""
    row = rifs.get_rif(session=session, party=party, rif_id=rif_id)
    if row is None:
        return None
    rifs.usable(row, now.date(), "turned into a common profile")
    if row.party != party and (row.distribution not in WIDE or row.tlp == "RED"):
        # A common profile is read by every CEFTA Party: only the originator may widen
        # what it shared with a few, or under TLP:RED, into one.
        raise service.LifecycleError(
            f"{row.number} is shared {row.distribution} at TLP:{row.tlp}; only {row.party}, "
            "which raised it, can turn it into a common profile"
        )
    text = yaml.safe_dump(document_for(row), sort_keys=False, allow_unicode=True)
    return service.draft(
        session=session, party=party, text=text, user_id=user_id, now=now, source_rif_id=row.id
    )


def document_for(row: Rif) -> dict[str, Any]:
    """The profile document a RIF suggests."""
    hs = json.loads(row.hs_codes)
    conditions: list[dict[str, Any]] = []
    if hs:
        conditions.append({"hs_code": {"startswith": hs}})
    if row.origin_country:
        conditions.append({"origin_country": row.origin_country})
    if row.dispatch_country:
        conditions.append({"dispatch_country": row.dispatch_country})
    if not conditions:
        raise service.LifecycleError(
            f"{row.number} names no goods (HS codes), origin or dispatch country to target; "
            "draft the profile's criteria by hand"
        )
    checklist = [row.recommended_control] if row.recommended_control else []
    checklist += [f"Indicator: {i}" for i in json.loads(row.indicators)]
    description = f"From {row.number}: {row.description}"
    if row.modus_operandi:
        description += f" Modus operandi: {row.modus_operandi}"
    return {
        "code": _code(row.number),
        "title": row.title,
        "description": description[:4000],
        "threat": THREATS[row.risk_area],
        "direction": "IMPORT",
        "criteria": conditions[0] if len(conditions) == 1 else {"all": conditions},
        "action": {
            "channel": "red" if row.urgency in ("urgent", "immediate") else "yellow",
            "checklist": [c[:300] for c in checklist[:30]],
        },
        "weight": 50,
        "valid_to": row.valid_until.isoformat(),
        # Read by every CEFTA Party; marked no wider than the RIF was.
        "distribution": {
            "level": "cefta",
            "tlp": "AMBER" if row.tlp in ("RED", "AMBER") else row.tlp,
        },
    }


def _code(number: str) -> str:
    # RS-RIF-2026-0003 -> CEFTA-RS-RIF-2026-0003 (within the 40 characters a code may have)
    return ("CEFTA-" + re.sub(r"[^A-Z0-9._-]", "-", number.upper()))[:40]
