"""Pages: the operational KPIs over time, by Party, office and channel, with their intervals.

The numbers are the KPI API's for the same reader (``kpis.service``): an analyst
sees their own Party; the RMWG and the Secretariat see every Party as
aggregates, without any group smaller than the API's minimum. A chart's numbers
are in a table beside it.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

import altair as alt
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from riskhub.access.principal import Principal
from riskhub.access.roles import Permission
from riskhub.db.engine import get_engine
from riskhub.kpis import measures, service
from riskhub.reference.crossings import OFFICES
from riskhub.web.charts import WIDTH
from riskhub.web.pages import render, viewer

router = APIRouter(include_in_schema=False)
Reader = Annotated[Principal, Depends(viewer(Permission.AGGREGATES_READ))]
Day = Annotated[str, Query(max_length=10)]
RATES = {"hit_rate": "hit rate", "detection_rate": "detection rate"}
CHANNEL_COLOURS = {"green": "#2e7d32", "blue": "#1f5fa8", "yellow": "#b58900", "red": "#b3261e"}


def _day(text: str, name: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        raise ValueError(f"{name} is not a date (YYYY-MM-DD)") from None


def _choices(parties: list[str], cross: bool) -> dict[str, list[str]]:
    """What the reader may pick to show: the whole, one Party, one office, one channel."""
    offices = sorted(code for code, o in OFFICES.items() if o.party in parties)
    return {"party": parties if cross else [], "office": offices,
            "channel": list(measures.CHANNELS)}  # fmt: skip


def _period_axis(step: str) -> alt.X:
    weekly = step == "week"
    axis = alt.Axis(format="%d %b" if weekly else "%b %Y", tickCount="week" if weekly else "month")
    return alt.X("period:T", title=f"{step.capitalize()} starting", axis=axis)


def rates_chart(series: list[dict[str, Any]], step: str) -> alt.LayerChart:
    """Hit rate (and detection rate, for whole populations) per period, the interval a band."""
    rows = [{"period": p["period"].isoformat(), "measure": label, **p[key]}
            for p in series for key, label in RATES.items()
            if p[key]["estimate"] is not None]  # fmt: skip
    base = alt.Chart(alt.InlineData(values=rows)).encode(
        x=_period_axis(step),
        color=alt.Color("measure:N", title=None),
    )
    band = base.mark_area(opacity=0.2).encode(
        y=alt.Y("low:Q", title="share", axis=alt.Axis(format="%")), y2="high:Q"
    )
    line = base.mark_line(point=True).encode(
        y="estimate:Q",
        tooltip=[alt.Tooltip("period:T"), "measure:N", alt.Tooltip("estimate:Q", format=".1%"),
                 alt.Tooltip("low:Q", format=".1%"), alt.Tooltip("high:Q", format=".1%")],
    )  # fmt: skip
    chart: alt.LayerChart = (band + line).properties(width=WIDTH, height=220)
    return chart


def volume_chart(series: list[dict[str, Any]], step: str) -> alt.Chart:
    """Declarations inspected and hits per period."""
    pairs = (("inspections", "inspected"), ("hits", "hits"))
    rows = [{"period": p["period"].isoformat(), "what": what, "count": p[key]}
            for p in series for key, what in pairs]  # fmt: skip
    chart: alt.Chart = (
        alt.Chart(alt.InlineData(values=rows))
        .mark_line(point=True)
        .encode(
            x=_period_axis(step),
            y=alt.Y("count:Q", title="declarations"),
            color=alt.Color("what:N", title=None),
            tooltip=[alt.Tooltip("period:T"), "what:N", "count:Q"],
        )
        .properties(width=WIDTH, height=180)
    )
    return chart


def release_chart(spread: list[dict[str, Any]]) -> alt.LayerChart:
    """Arrival-to-release hours per channel: whiskers 10th-90th, box quartiles, median tick."""
    colours = alt.Scale(domain=list(CHANNEL_COLOURS), range=list(CHANNEL_COLOURS.values()))
    base = alt.Chart(alt.InlineData(values=spread)).encode(
        y=alt.Y("channel:N", sort=list(measures.CHANNELS), title=None)
    )
    whiskers = base.mark_rule().encode(x=alt.X("p10:Q", title="hours from arrival to release"),
                                       x2="p90:Q")  # fmt: skip
    box = base.mark_bar(size=18).encode(
        x="p25:Q", x2="p75:Q", color=alt.Color("channel:N", scale=colours, legend=None),
        tooltip=["channel:N", "n:Q", "p10:Q", "p25:Q", "p50:Q", "p75:Q", "p90:Q"],
    )  # fmt: skip
    median = base.mark_tick(color="black", size=22, thickness=2).encode(x="p50:Q")
    layers = whiskers + box + median
    chart: alt.LayerChart = layers.properties(width=WIDTH, height=40 * len(spread))
    return chart


@router.get("/kpis", response_class=HTMLResponse)
def kpi_page(
    request: Request, user: Reader, since: Day = "", until: Day = "",
    scope: Annotated[str, Query(max_length=40)] = "all",
    step: Literal["week", "month"] = "week",
) -> Response:  # fmt: skip
    """Inspections, detections and release times over time, with the API's numbers and intervals."""
    parties = service.parties_for(party=user.party, role=user.role)
    cross = user.role in service.CROSS_PARTY_ROLES
    choices = _choices(parties, cross)
    kind, _, key = scope.partition(":")
    context: dict[str, Any] = {"choices": choices, "scope": scope, "step": step, "cross": cross,
                               "parties": parties, "min_group": service.MIN_GROUP,
                               "since": since, "until": until, "data": None}  # fmt: skip
    try:
        first, last = service.period(_day(since, "since"), _day(until, "until"))
        if scope != "all" and key not in choices.get(kind, []):
            raise ValueError("choose what to show from the list")
    except ValueError as error:
        return render(request, "kpis/page.html", user, status_code=422, error=str(error),
                      **context)  # fmt: skip
    data = service.dashboard(
        engine=get_engine(), parties=parties, since=first, until=last,
        scope=None if scope == "all" else (kind, key), step=step, aggregates_only=cross,
    )  # fmt: skip
    span = service.span(first, last)
    charts = {"rates": rates_chart(data["series"], step),
              "volume": volume_chart(data["series"], step),
              "release": release_chart(data["release"])}  # fmt: skip
    rated = any(p["hit_rate"]["estimate"] is not None for p in data["series"])
    context.update(since=span["since"], until=span["until"], data=data, charts=charts,
                   rated=rated)  # fmt: skip
    return render(request, "kpis/page.html", user, error=None, **context)
