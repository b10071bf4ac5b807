"""HTTP routes for selectivity decisions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, status

from riskhub.access.principal import Principal, require
from riskhub.access.roles import Permission
from riskhub.api_types import ObjectId
from riskhub.db.session import ReadSession
from riskhub.declarations import service as declarations
from riskhub.selectivity import service
from riskhub.selectivity.schemas import DecisionOut

router = APIRouter(prefix="/api/v1/declarations", tags=["selectivity"])
DecisionReader = Annotated[Principal, Depends(require(Permission.DECISIONS_READ))]


@router.get("/{declaration_id}/decision", response_model=DecisionOut)
def get_decision(
    declaration_id: ObjectId, principal: DecisionReader, session: ReadSession
) -> DecisionOut:
    """The channel of the declaration's current version and why; 404 if not yours or undecided."""
    visible = declarations.get_declaration(
        session=session,
        party=principal.party,
        declaration_id=declaration_id,
        offices=principal.offices,
    )
    found = None
    if visible is not None:
        found = service.get_decision(
            session=session, party=principal.party, declaration_id=declaration_id
        )
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no decision for this declaration")
    return DecisionOut.of(found)
