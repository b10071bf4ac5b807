"""HTTP routes for risk profiles: list, read, import, change status, history, backtest."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Response, status
from starlette.concurrency import run_in_threadpool

from riskhub.access.principal import Principal, require
from riskhub.access.roles import Permission
from riskhub.api_types import ObjectId
from riskhub.db.engine import get_engine
from riskhub.db.session import ReadSession, WriteSession
from riskhub.profiles import schemas, service
from riskhub.profiles.backtest import backtest

router = APIRouter(prefix="/api/v1/profiles", tags=["profiles"])
lists = APIRouter(prefix="/api/v1/lists", tags=["profiles"])
ListName = Annotated[str, Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,59}$")]
Reader = Annotated[Principal, Depends(require(Permission.PROFILES_READ))]
Writer = Annotated[Principal, Depends(require(Permission.PROFILES_WRITE))]


def _summary(row: Any) -> dict[str, Any]:
    out = {c: getattr(row, c) for c in schemas.ProfileOut.model_fields if hasattr(row, c)}
    out["status"] = service.profile_status(row)
    return out


@router.get("", response_model=list[schemas.ProfileSummaryOut])
def list_profiles(principal: Reader, session: ReadSession) -> list[dict[str, Any]]:
    """Your administration's profiles and those shared with it."""
    return [_summary(r) for r in service.list_profiles(session=session, party=principal.party)]


@router.post("", response_model=list[schemas.ImportOutcomeOut], status_code=201)
def import_profiles(
    body: schemas.ProfileIn, principal: Writer, session: WriteSession, response: Response
) -> list[service.ImportOutcome]:
    """Store the good profiles of a file as drafts (or active); each bad one says where and why."""
    outcomes = service.import_profiles(
        session=session,
        party=principal.party,
        text=body.document,
        user_id=principal.user_id,
        activate=body.activate,
    )
    if all(o.outcome == "rejected" for o in outcomes):
        response.status_code = status.HTTP_422_UNPROCESSABLE_CONTENT
    elif all(o.outcome in ("unchanged", "rejected") for o in outcomes):
        response.status_code = status.HTTP_200_OK
    return outcomes


@router.post("/backtest", response_model=schemas.BacktestOut)
async def backtest_profile(body: schemas.BacktestIn, principal: Writer) -> dict[str, Any]:
    """What a draft would have hit over your stored declarations, and what control found."""
    until = datetime.combine(body.until, time()) + timedelta(days=1) if body.until else None
    try:
        report = await run_in_threadpool(
            backtest,
            engine=get_engine(),
            party=principal.party,
            text=body.document,
            since=datetime.combine(body.since, time()),
            until=until,
        )
    except service.ProfileError as error:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(error)) from None
    return {**report.__dict__, "hit_rate": report.hit_rate}


@router.get("/{profile_id}", response_model=schemas.ProfileOut)
def get_profile(profile_id: ObjectId, principal: Reader, session: ReadSession) -> dict[str, Any]:
    """One profile with its document; one you may not see is not found."""
    row = service.get_profile(session=session, party=principal.party, profile_id=profile_id)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "profile not found")
    return {**_summary(row), "document": row.document}


@router.get("/{profile_id}/versions", response_model=list[schemas.VersionOut])
def profile_versions(
    profile_id: ObjectId, principal: Reader, session: ReadSession
) -> list[dict[str, object]]:
    """Every version, what changed it, and the diff from the one before."""
    found = service.history(session=session, party=principal.party, profile_id=profile_id)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "profile not found")
    return found


@router.put("/{profile_id}/status", response_model=schemas.ProfileSummaryOut)
def set_status(
    profile_id: ObjectId, body: schemas.StatusIn, principal: Writer, session: WriteSession
) -> dict[str, Any]:
    """Activate, suspend or return to draft one of your own profiles."""
    row = service.set_status(
        session=session,
        party=principal.party,
        profile_id=profile_id,
        status=body.status,
        user_id=principal.user_id,
    )
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "profile not found")
    return _summary(row)


def _list_out(name: str, row: Any, reader: str) -> schemas.NamedListOut:
    entries = service.list_entries(row)
    shown = row.party == reader or row.kind not in service.PERSONAL_LIST_KINDS
    return schemas.NamedListOut(
        party=row.party,
        name=name,
        kind=row.kind,
        description=row.description,
        version=row.version,
        distribution=row.distribution,
        tlp=row.tlp,
        size=len(entries),
        entries=entries if shown else None,
    )


@lists.get("", response_model=list[schemas.NamedListOut])
def list_named_lists(principal: Reader, session: ReadSession) -> list[schemas.NamedListOut]:
    """The named lists your criteria can use: yours, and those shared with you."""
    found = service.visible_lists(session=session, party=principal.party)
    return [_list_out(name, row, principal.party) for name, row in found.items()]


@lists.put("/{name}", response_model=schemas.NamedListOut)
def save_named_list(
    name: ListName, body: schemas.NamedListIn, principal: Writer, session: WriteSession
) -> schemas.NamedListOut:
    """Create or replace one of your named lists (a new version when it changes)."""
    try:
        row = service.save_list(
            session=session,
            party=principal.party,
            name=name,
            kind=body.kind,
            entries=body.entries,
            description=body.description,
            distribution=body.distribution,
            tlp=body.tlp,
            group=body.group,
        )
    except service.ProfileError as error:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(error)) from None
    return _list_out(name, row, principal.party)
