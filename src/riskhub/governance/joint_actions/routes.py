"""HTTP routes of joint enforcement actions: plan, validate, reject, report, close."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Response, status

from riskhub.access.principal import Principal, require
from riskhub.access.roles import Permission
from riskhub.api_types import ObjectId, unprocessable
from riskhub.db.session import ReadSession, WriteSession
from riskhub.governance.joint_actions import service
from riskhub.governance.joint_actions.models import JointAction
from riskhub.governance.joint_actions.schemas import (
    ActionIn,
    ActionOut,
    ActionSummaryOut,
    CloseIn,
    DecisionIn,
    RejectIn,
    ReportIn,
    ReportOut,
)

router = APIRouter(prefix="/api/v1/joint-actions", tags=["joint actions"])
Reader = Annotated[Principal, Depends(require(Permission.GOVERNANCE_READ))]
Writer = Annotated[Principal, Depends(require(Permission.JOINT_ACTIONS_WRITE))]
Decider = Annotated[Principal, Depends(require(Permission.RMWG_DECIDE))]
NOT_FOUND = "joint action not found"


def actor_of(principal: Principal) -> service.Actor:
    return service.Actor(principal.user_id, principal.party, principal.role, principal.name)


def _carry_out(work: Callable[[], JointAction | None]) -> JointAction:
    try:
        row = work()
    except service.ActionNotAllowed as error:
        raise HTTPException(status.HTTP_403_FORBIDDEN, str(error)) from None
    except service.ActionConflict as error:
        raise HTTPException(status.HTTP_409_CONFLICT, str(error)) from None
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, NOT_FOUND)
    return row


@router.get("", response_model=list[ActionSummaryOut])
def list_actions(principal: Reader, session: ReadSession) -> list[dict[str, Any]]:
    """The actions your Party takes part in (RMWG and Secretariat: all of them)."""
    rows = service.list_actions(session=session, actor=actor_of(principal))
    return [service.summary_of(row) for row in rows]


@router.post("", response_model=ActionOut, status_code=status.HTTP_201_CREATED)
def plan_action(body: ActionIn, principal: Writer, session: WriteSession) -> dict[str, Any]:
    """Propose a joint action to the RMWG; your Party takes part in it."""
    try:
        row = service.plan(session=session, actor=actor_of(principal), data=body)
    except service.ActionInvalid as error:
        raise unprocessable((["body", name], why) for name, why in error.problems) from None
    except service.ActionNotAllowed as error:
        raise HTTPException(status.HTTP_403_FORBIDDEN, str(error)) from None
    return service.detail_of(session, row)


@router.get("/{action_id}", response_model=ActionOut)
def get_action(action_id: ObjectId, principal: Reader, session: ReadSession) -> dict[str, Any]:
    """The plan, the RMWG's decisions, each participant's results and their totals."""
    row = service.get_action(session=session, actor=actor_of(principal), action_id=action_id)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, NOT_FOUND)
    return service.detail_of(session, row)


@router.post("/{action_id}/validate", response_model=ActionOut)
def validate_action(
    action_id: ObjectId, body: DecisionIn, principal: Decider, session: WriteSession
) -> dict[str, Any]:
    """The RMWG validates a planned action."""
    row = _carry_out(
        lambda: service.validate(
            session=session, actor=actor_of(principal), action_id=action_id, comment=body.comment
        )
    )
    return service.detail_of(session, row)


@router.post("/{action_id}/reject", response_model=ActionOut)
def reject_action(
    action_id: ObjectId, body: RejectIn, principal: Decider, session: WriteSession
) -> dict[str, Any]:
    """The RMWG rejects a planned action, with its reason."""
    row = _carry_out(
        lambda: service.reject(
            session=session, actor=actor_of(principal), action_id=action_id, reason=body.reason
        )
    )
    return service.detail_of(session, row)


@router.post("/{action_id}/close", response_model=ActionOut)
def close_action(
    action_id: ObjectId, body: CloseIn, principal: Decider, session: WriteSession
) -> dict[str, Any]:
    """The RMWG closes a running action with its summary; results are final."""
    row = _carry_out(
        lambda: service.close(
            session=session, actor=actor_of(principal), action_id=action_id, summary=body.summary
        )
    )
    return service.detail_of(session, row)


@router.put(
    "/{action_id}/report",
    response_model=ReportOut,
    status_code=status.HTTP_201_CREATED,
    responses={200: {"description": "Your Party had reported: its results are amended."}},
)
def report_results(
    action_id: ObjectId, body: ReportIn, principal: Writer, session: WriteSession,
    response: Response,
) -> ReportOut:  # fmt: skip
    """Report your Party's results while the action runs; sending again amends them."""
    try:
        done = service.report(
            session=session, actor=actor_of(principal), action_id=action_id, data=body
        )
    except service.ActionNotAllowed as error:
        raise HTTPException(status.HTTP_403_FORBIDDEN, str(error)) from None
    except service.ActionConflict as error:
        raise HTTPException(status.HTTP_409_CONFLICT, str(error)) from None
    if done is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, NOT_FOUND)
    row, created = done
    if not created:
        response.status_code = status.HTTP_200_OK
    return ReportOut.model_validate(row)
