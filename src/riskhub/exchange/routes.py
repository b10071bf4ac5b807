"""HTTP routes of the exchange: partner nodes push here, pulling partners fetch here.

The push route is for nodes, not people: no API token, because each message's
signature says who sent it, and everything unsigned or unknown is refused and
audited message by message. The pull routes are for a partner's system holding
an API token of its Party (role ``eu_partner``), and see only messages meant for it.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from riskhub.access.principal import Principal, require
from riskhub.access.roles import Permission
from riskhub.db.engine import get_engine
from riskhub.db.session import ReadSession, WriteSession
from riskhub.exchange import inbox, keys, service
from riskhub.exchange.messages import MessageType
from riskhub.exchange.outbox import due_for_pull
from riskhub.exchange.schemas import (
    DocumentOut,
    InboxOut,
    MessagesIn,
    PulledMessage,
    ReceiptsAck,
    ReceiptsIn,
    ReceiptsOut,
    StatusOut,
)
from riskhub.exchange.transports import MAX_PUSH_BYTES

router = APIRouter(prefix="/api/v1/exchange", tags=["exchange"])
Puller = Annotated[Principal, Depends(require(Permission.EXCHANGE_PULL))]
Monitor = Annotated[Principal, Depends(require(Permission.EXCHANGE_READ))]


_PUSH_DOC = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/MessagesIn"}}},
    }
}


@router.post("/messages", openapi_extra=_PUSH_DOC)
async def push(request: Request) -> ReceiptsOut:
    """Receive signed messages from a partner node; answer one signed receipt per message."""
    try:
        body = MessagesIn.model_validate_json(await _capped_body(request))
    except ValidationError as error:
        raise RequestValidationError(
            [{**e, "loc": ("body", *e["loc"])} for e in error.errors(include_url=False)]
        ) from error
    source = request.client.host if request.client else "unknown"
    done = await run_in_threadpool(
        inbox.receive,
        engine=get_engine(),
        identity=keys.identity(),
        tokens=body.messages,
        source=source,
    )
    return ReceiptsOut(
        receipts=done.receipts,
        applied=done.counts["applied"],
        duplicate=done.counts["duplicate"],
        rejected=done.counts["rejected"],
    )


async def _capped_body(request: Request) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_PUSH_BYTES:
        raise _too_large()
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_PUSH_BYTES:
            raise _too_large()
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large() -> HTTPException:
    return HTTPException(
        status.HTTP_413_CONTENT_TOO_LARGE,
        f"a push is at most {MAX_PUSH_BYTES:,} bytes; send fewer messages at a time",
    )


@router.get("/inbox")
def pull(
    principal: Puller,
    session: ReadSession,
    since: Annotated[int, Query(ge=0, le=2**63 - 1)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> InboxOut:
    """Signed messages for the caller's Party after ``since``, oldest first."""
    rows = due_for_pull(session=session, party=principal.party, since=since, limit=limit)
    return InboxOut(
        messages=[PulledMessage(cursor=c, token=t) for c, t in rows],
        next_cursor=rows[-1][0] if rows else since,
    )


@router.post("/receipts")
def settle(principal: Puller, body: ReceiptsIn, session: WriteSession) -> ReceiptsAck:
    """Mark pulled messages delivered by the caller's signed receipts."""
    ring = keys.keyring(session=session)
    settled, problems = service.settle_pulled(
        session=session, receipts=body.receipts, ring=ring, party=principal.party
    )
    return ReceiptsAck(settled=settled, problems=problems)


@router.get("/status")
def status_(principal: Monitor, session: ReadSession) -> StatusOut:
    """Messages out by status, in by type, documents held, and what keeps failing."""
    return service.status(session=session, party=principal.party, identity=keys.identity())


@router.get("/documents")
def documents(
    principal: Monitor,
    session: ReadSession,
    type: Annotated[MessageType | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[DocumentOut]:
    """What partners shared with the caller's Party (inspection reports, RIFs...), newest first."""
    return service.received(
        session=session, party=principal.party, type=type.value if type else None, limit=limit
    )
