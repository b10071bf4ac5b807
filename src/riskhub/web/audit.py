"""The audit log for auditors: their Party's chain newest first, filtered, and whether it verifies.

As ``GET /api/v1/audit``: an auditor reads their own Party's chain only. The
check of the chain (links, hashes, signed checkpoints) reads the whole chain,
so the page asks for it separately (an htmx fragment) and opens at once.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from riskhub.access.principal import Principal
from riskhub.access.roles import Permission
from riskhub.audit import service as audit
from riskhub.db.engine import get_engine
from riskhub.web.pages import render, viewer

router = APIRouter(include_in_schema=False)
Auditor = Annotated[Principal, Depends(viewer(Permission.AUDIT_READ))]
PER_PAGE = 50


def _day(value: str, name: str) -> date | None:
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise HTTPException(422, f"The {name} date '{value}' is not a day (YYYY-MM-DD).") from None
    if not 2000 <= day.year <= 2100:
        raise HTTPException(422, f"The {name} date lies between the years 2000 and 2100.")
    return day


@router.get("/audit", response_class=HTMLResponse)
def audit_log(
    request: Request, user: Auditor,
    action: Annotated[str, Query(max_length=80)] = "",
    since: Annotated[str, Query(max_length=10)] = "",
    until: Annotated[str, Query(max_length=10)] = "",
    page: Annotated[int, Query(ge=1, le=10**6)] = 1,
) -> Response:  # fmt: skip
    """The Party's audit records, newest first, 50 a page, by action prefix and day."""
    action = action.strip().replace("\x00", "")
    first, last = _day(since, "from"), _day(until, "to")
    if first and last and first > last:
        raise HTTPException(422, "The first day (from) is after the last day (to).")
    with Session(get_engine()) as session:
        records, total = audit.records_page(
            session=session, party=user.party, action=action or None,
            since=datetime.combine(first, time.min) if first else None,
            until=datetime.combine(last + timedelta(days=1), time.min) if last else None,
            limit=PER_PAGE, offset=(page - 1) * PER_PAGE,
        )  # fmt: skip
    pages = max(1, -(-total // PER_PAGE))
    kept = {k: v for k, v in (("action", action), ("since", since), ("until", until)) if v}

    def link(to: int) -> str:
        return "/audit?" + urlencode({**kept, "page": to})

    return render(request, "audit/index.html", user, records=records, total=total, page=page,
                  pages=pages, link=link, action=action, since=since, until=until,
                  per_page=PER_PAGE)  # fmt: skip


@router.get("/audit/verify", response_class=HTMLResponse)
def verify(request: Request, user: Auditor) -> Response:
    """Whether the Party's chain verifies: every link, every hash, every signed checkpoint."""
    with Session(get_engine()) as session:
        result = audit.verify_party(session=session, party=user.party)
    # htmx swaps the verdict into the log's page; a browser without it gets a page of its own.
    fragment = request.headers.get("hx-request") == "true"
    return render(request, "audit/_chain.html" if fragment else "audit/chain.html", user,
                  result=result)  # fmt: skip
