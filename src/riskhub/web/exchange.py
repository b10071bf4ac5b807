"""The exchange monitor: a Party's messages out and in, failures, and its matching findings.

Counts come from the same service as ``GET /api/v1/exchange/status``; the
findings section appears only for roles that read findings (as
``GET /api/v1/matching/findings``). Only the Party's own traffic is shown: the
outbox rows a Party may pull as a receiver are another Party's messages.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time, timedelta
from typing import Annotated

import altair as alt
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from riskhub.access.principal import Principal
from riskhub.access.roles import Permission, allows
from riskhub.db.engine import get_engine
from riskhub.exchange import keys
from riskhub.exchange import service as exchange
from riskhub.matching import service as matching
from riskhub.web.charts import WIDTH
from riskhub.web.pages import render, viewer

router = APIRouter(include_in_schema=False)
Monitor = Annotated[Principal, Depends(viewer(Permission.EXCHANGE_READ))]
DAYS = 30  # the chart's span
SHOWN = 100  # rows of each list
# Each series of the chart and its colour: failures stand out in red.
SERIES = {
    "out: delivered": "#1f6f8b",
    "out: pending": "#8fb8c9",
    "out: failed": "#c00000",
    "in: applied": "#2e7d32",
    "in: duplicate": "#a5d6a7",
}


def _series(direction: str, status: str) -> str:
    if direction == "out" and status in exchange.FAILED:
        return "out: failed"
    return f"{direction}: {status}"


def daily(per_day: list[tuple[str, str, str, int]]) -> dict[str, Counter[str]]:
    """Messages per day (YYYY-MM-DD) and series, for the days that had any."""
    out: dict[str, Counter[str]] = {}
    for day, direction, status, n in per_day:
        out.setdefault(day, Counter())[_series(direction, status)] += n
    return out


def chart(per_day: dict[str, Counter[str]], days: list[str]) -> alt.Chart:
    """Messages out and in per day, side by side, stacked by status; failures in red."""
    rows = [{"day": day, "series": s, "direction": s.split(":")[0], "messages": n}
            for day, counted in per_day.items() for s, n in counted.items()]  # fmt: skip
    out: alt.Chart = (
        alt.Chart(alt.InlineData(values=rows))
        .mark_bar()
        .encode(
            x=alt.X("day:O", title="Day (UTC)", scale=alt.Scale(domain=days),
                    axis=alt.Axis(labelAngle=-60, labelExpr="slice(datum.value, 5)")),
            xOffset=alt.XOffset("direction:N", scale=alt.Scale(domain=["out", "in"])),
            y=alt.Y("sum(messages):Q", title="Messages"),
            color=alt.Color("series:N", title="Messages",
                            scale=alt.Scale(domain=list(SERIES), range=list(SERIES.values()))),
            tooltip=["day:O", "series:N", "messages:Q"],
        )
        .properties(width=WIDTH, height=220)
    )  # fmt: skip
    return out


@router.get("/exchange", response_class=HTMLResponse)
def monitor(request: Request, user: Monitor) -> Response:
    """Messages out and in by type and status, per day, the failures, and matching findings."""
    last = date.today()
    first = last - timedelta(days=DAYS - 1)
    findings_shown = allows(user.role, Permission.FINDINGS_READ)
    with Session(get_engine()) as session:
        status = exchange.status(session=session, party=user.party, identity=keys.identity())
        seen = exchange.monitor(session=session, party=user.party,
                                since=datetime.combine(first, time.min), limit=SHOWN)  # fmt: skip
        findings = counts = None
        if findings_shown:
            findings = matching.findings(session=session, party=user.party, limit=SHOWN)
            counts = matching.finding_counts(session=session, party=user.party)
    per_day = daily(seen.per_day)
    days = [(first + timedelta(days=k)).isoformat() for k in range(DAYS)]
    return render(request, "exchange/index.html", user, status=status, seen=seen,
                  per_day=per_day, series=list(SERIES), first=first, last=last,
                  chart=chart(per_day, days) if per_day else None, findings=findings,
                  finding_counts=counts, findings_shown=findings_shown,
                  shown=SHOWN)  # fmt: skip
