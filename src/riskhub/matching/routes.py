"""HTTP routes of matching: a Party's findings (each side holds its own copy)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from riskhub.access.principal import Principal, require
from riskhub.access.roles import Permission
from riskhub.db.session import ReadSession
from riskhub.matching import service
from riskhub.matching.engine import KINDS
from riskhub.matching.schemas import FindingOut

router = APIRouter(prefix="/api/v1/matching", tags=["matching"])
Reader = Annotated[Principal, Depends(require(Permission.FINDINGS_READ))]


@router.get("/findings")
def list_findings(
    principal: Reader,
    session: ReadSession,
    kind: Annotated[str | None, Query(pattern="^(" + "|".join(KINDS) + ")$")] = None,
    since: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[FindingOut]:
    """Discrepancies found between exports and entries of the caller's Party, newest first."""
    rows = service.findings(
        session=session, party=principal.party, kind=kind, since=since, limit=limit
    )
    return [FindingOut.model_validate(r) for r in rows]
