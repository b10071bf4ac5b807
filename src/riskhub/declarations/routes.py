"""HTTP routes for declarations: submit (single or batch), read, list, count."""

from __future__ import annotations

import hashlib
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response, status
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from riskhub.access.principal import Principal, require
from riskhub.access.roles import Permission
from riskhub.api_types import ObjectId, SearchText
from riskhub.db.engine import get_engine
from riskhub.db.session import ReadSession
from riskhub.declarations import schemas, service
from riskhub.selectivity import service as selectivity
from riskhub.selectivity.schemas import DecisionOut

router = APIRouter(prefix="/api/v1/declarations", tags=["declarations"])
aggregates = APIRouter(prefix="/api/v1/aggregates", tags=["aggregates"])

Submitter = Annotated[Principal, Depends(require(Permission.DECLARATIONS_SUBMIT))]
Reader = Annotated[Principal, Depends(require(Permission.DECLARATIONS_READ))]
AggregateReader = Annotated[Principal, Depends(require(Permission.AGGREGATES_READ))]

MAX_BATCH = 10_000
MAX_BODY_BYTES = 64 * 1024 * 1024
_BODY_DOC = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "oneOf": [
                        {"$ref": "#/components/schemas/DeclarationIn"},
                        {"$ref": "#/components/schemas/DeclarationBatchIn"},
                    ]
                }
            }
        },
    }
}


@router.post(
    "",
    response_model=schemas.IngestResult,
    openapi_extra=_BODY_DOC,
    responses={201: {"model": schemas.IngestResult}, 422: {"model": schemas.IngestResult}},
    summary="Submit one declaration, or a batch as {'declarations': [...]}",
)
async def submit_declarations(
    request: Request, response: Response, principal: Submitter
) -> schemas.IngestResult:
    """Store good declarations, report bad ones; the same declaration twice is stored once."""
    declared = request.headers.get("content-length", "")
    _refuse_if_too_large(int(declared) if declared.isdigit() else 0)
    body = await request.body()
    _refuse_if_too_large(len(body))
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST, f"the body is not valid JSON: {exc}"
        ) from exc
    single = isinstance(payload, dict) and "declarations" not in payload
    records = [payload] if single else _batch(payload)
    summary = await run_in_threadpool(
        service.ingest_records,
        engine=get_engine(),
        records=records,
        submitted_by_party=principal.party,
        offices=principal.offices,
        body_sha256=hashlib.sha256(body).hexdigest(),
        where=(lambda i: "declaration") if single else (lambda i: f"declarations[{i}]"),
    )
    result = _result(summary)
    await run_in_threadpool(_attach_decisions, result, principal.party)
    if single:
        response.status_code = (
            status.HTTP_201_CREATED
            if result.stored
            else status.HTTP_200_OK
            if result.declarations
            else status.HTTP_422_UNPROCESSABLE_CONTENT
        )
    return result


@router.get("", response_model=list[schemas.DeclarationSummaryOut])
def list_declarations(
    office: SearchText = None,
    reference: SearchText = None,
    limit: int = Query(50, ge=1, le=1000),
    offset: int = Query(0, ge=0, le=10**9),
    *,
    principal: Reader,
    session: ReadSession,
) -> list[Any]:
    """Your administration's declarations (an officer's: their offices'), newest first."""
    return service.list_declarations(
        session=session,
        party=principal.party,
        offices=principal.offices,
        office=office,
        reference=reference,
        limit=limit,
        offset=offset,
    )


@router.get("/stats")
def declaration_stats(principal: Reader) -> dict[str, int]:
    """Counts of your administration's declarations, items, amendments and rejected rows."""
    return service.stats(engine=get_engine(), party=principal.party)


@router.get("/{declaration_id}", response_model=schemas.DeclarationOut)
def get_declaration(
    declaration_id: ObjectId,
    principal: Reader,
    session: ReadSession,
) -> Any:
    """One declaration with its items and earlier versions; another Party's is not found."""
    found = service.get_declaration(
        session=session,
        party=principal.party,
        declaration_id=declaration_id,
        offices=principal.offices,
    )
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "declaration not found")
    return found


@aggregates.get("/declarations", response_model=list[schemas.PartyCountsOut])
def declaration_counts(_: AggregateReader) -> list[Any]:
    """Declarations and items per Party: numbers only, never a declaration or a trader."""
    return service.counts_by_party(engine=get_engine())


def _refuse_if_too_large(size: int) -> None:
    if size > MAX_BODY_BYTES:
        raise HTTPException(
            status.HTTP_413_CONTENT_TOO_LARGE,
            f"the body is over {MAX_BODY_BYTES:,} bytes; send smaller batches",
        )


def _batch(payload: Any) -> list[Any]:
    records = payload.get("declarations") if isinstance(payload, dict) else payload
    if not isinstance(records, list):
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST,
            "send one declaration object, or {'declarations': [...]} with a list of them",
        )
    if len(records) > MAX_BATCH:
        raise HTTPException(
            status.HTTP_413_CONTENT_TOO_LARGE,
            f"{len(records)} declarations in one request; send at most {MAX_BATCH} at a time",
        )
    return records


def _attach_decisions(result: schemas.IngestResult, party: str) -> None:
    """Decide the channel of each accepted declaration version (once) and report it."""
    ids = [d.id for d in result.declarations]
    if not ids:
        return
    writer = get_engine().execution_options(sqlite_immediate=True)
    with Session(writer, expire_on_commit=False) as session, session.begin():
        selectivity.decide_declarations(session=session, party=party, ids=ids)
    with Session(get_engine()) as session:
        found = selectivity.decisions_for(session=session, party=party, ids=ids)
    for entry in result.declarations:
        decision = found.get(entry.id)
        entry.decision = DecisionOut.of(decision) if decision is not None else None


def _result(summary: service.IngestSummary) -> schemas.IngestResult:
    return schemas.IngestResult(
        stored=summary.stored,
        amended=summary.amended,
        unchanged=summary.unchanged,
        items=summary.items,
        rejected_rows=summary.rejected_rows,
        declarations=[schemas.DeclarationStatus(**d) for d in summary.declarations],
        problems=[
            schemas.ProblemOut(location=p.location, field=p.field, reason=p.reason)
            for p in summary.problems
        ],
    )
