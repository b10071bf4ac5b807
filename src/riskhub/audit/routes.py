"""HTTP route for auditors: their Party's audit chain, newest first."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from riskhub.access.principal import Principal, require
from riskhub.access.roles import Permission
from riskhub.audit import schemas, service
from riskhub.db.session import ReadSession

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])
Auditor = Annotated[Principal, Depends(require(Permission.AUDIT_READ))]


@router.get("", response_model=list[schemas.AuditRecordOut])
def audit_records(
    principal: Auditor, session: ReadSession, limit: int = Query(100, ge=1, le=1000)
) -> list[Any]:
    """Your Party's audit records (reads, changes and denied attempts), newest first."""
    return service.list_records(session=session, party=principal.party, limit=limit)
