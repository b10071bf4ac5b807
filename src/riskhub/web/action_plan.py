"""Pages of the Action Plan tracker (S5): timeline, status per Party, evidence, reviews.

Everyone signed in reads the plan and the Parties' reported progress; the
KPIs measured from the hub's data are cross-Party aggregates, shown to the
roles that read aggregates. A Party reports only for itself.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import altair as alt
from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from riskhub.access.principal import Principal
from riskhub.access.roles import Permission, allows
from riskhub.actionplan import activities, measures, service
from riskhub.actionplan.activities import ActionPlanError
from riskhub.db.base import utcnow
from riskhub.db.engine import get_engine
from riskhub.web.charts import WIDTH
from riskhub.web.pages import WITHOUT_NUL, audited, render, viewer, writing

router = APIRouter(include_in_schema=False)
Reader = Annotated[Principal, Depends(viewer())]
Reporter = Annotated[Principal, Depends(viewer(Permission.ACTIONPLAN_REPORT))]
Reviewer = Annotated[Principal, Depends(viewer(Permission.ACTIONPLAN_REVIEW))]
TERM_COLOURS = {"short": "#1f6f8b", "medium": "#b5651d", "long": "#5b4b8a"}


def _measured(user: Principal) -> dict[str, measures.Measure]:
    if not allows(user.role, Permission.AGGREGATES_READ):
        return {}
    return measures.measure_all(engine=get_engine(), today=date.today())


def _quarter(quarter: str) -> tuple[date, date]:
    """The first day of a quarter such as 2026Q3, and the first day after it."""
    year, q = (int(part) for part in quarter.split("Q"))
    start = date(year, 3 * (q - 1) + 1, 1)
    return start, date(year + 1, 1, 1) if q == 4 else date(year, 3 * q + 1, 1)


def timeline(plan: tuple[activities.Activity, ...], progress: dict[str, int]) -> alt.LayerChart:
    """The Gantt chart: a bar per activity over its quarters, its reported progress drawn over
    it, and today's date marked."""
    rows = []
    for a in plan:
        start, end = _quarter(a.quarters[0])[0], _quarter(a.quarters[-1])[1]
        done = start + (end - start) * progress[a.code] / 100
        rows.append({"code": a.code, "activity": a.activity, "term": a.term,
                     "progress": progress[a.code], "start": start.isoformat(),
                     "end": end.isoformat(), "done": done.isoformat()})  # fmt: skip
    order = [a.code for a in plan]
    bars = (
        alt.Chart(alt.InlineData(values=rows))
        .mark_bar(cornerRadius=2)
        .encode(
            x=alt.X("start:T", title="Quarter", axis=alt.Axis(format="%Y Q%q", tickCount=16)),
            x2="end:T",
            y=alt.Y("code:N", sort=order, title=None),
            color=alt.Color("term:N", title="Term",
                            scale=alt.Scale(domain=list(TERM_COLOURS),
                                            range=list(TERM_COLOURS.values()))),
            tooltip=["code:N", "activity:N", "term:N",
                     alt.Tooltip("progress:Q", title="progress %")],
        )
    )  # fmt: skip
    # The part of each bar as far as the reported progress goes, drawn darker over it.
    reported = (
        alt.Chart(alt.InlineData(values=[r for r in rows if r["progress"]]))
        .mark_bar(color="#1a1a1a", opacity=0.55, height=5)
        .encode(x="start:T", x2="done:T", y=alt.Y("code:N", sort=order),
                tooltip=["code:N", alt.Tooltip("progress:Q", title="progress %")])
    )  # fmt: skip
    today = alt.Chart(alt.InlineData(values=[{"today": date.today().isoformat()}])).mark_rule(
        color="#a00000", strokeDash=[4, 3]
    ).encode(x="today:T")  # fmt: skip
    chart: alt.LayerChart = (bars + reported + today).properties(width=WIDTH, height=14 * len(rows))
    return chart


def _reports_view(session: Session) -> tuple[dict[tuple[str, str], Any], dict[str, int]]:
    reports = service.current(session=session)
    progress = {a.code: service.overall(reports, a) for a in activities.load()}
    return reports, progress


@router.get("/action-plan", response_class=HTMLResponse)
def tracker(request: Request, user: Reader) -> Response:
    """The 30 activities on a timeline, each Party's status, and the KPIs measured live."""
    plan = activities.load()
    with Session(get_engine()) as session:
        reports, progress = _reports_view(session)
    return render(request, "action_plan.html", user, plan=plan, reports=reports,
                  progress=progress, parties=service.REPORTING, statuses=service.STATUSES,
                  measured=_measured(user), timeline=timeline(plan, progress),
                  expected={a.code: service.expected(a) for a in plan})  # fmt: skip


@router.get("/action-plan/reviews", response_class=HTMLResponse)
def reviews(
    request: Request, user: Reader, earlier: str | None = None, later: str | None = None
) -> Response:
    """The semi-annual review snapshots, and two of them side by side."""
    with Session(get_engine()) as session:
        taken = service.snapshots(session=session)
    by_period = {s.period: s for s in taken}
    rows = None
    if earlier and later:
        missing = [p for p in (earlier, later) if p not in by_period]
        if missing:
            raise HTTPException(404, f"no review snapshot for {missing[0]}")
        rows = service.compare(by_period[earlier], by_period[later])
        if not allows(user.role, Permission.AGGREGATES_READ):
            # The frozen KPIs are cross-Party aggregates, as on the tracker itself.
            rows = [r | {"measure_before": None, "measure_after": None} for r in rows]
    return render(request, "action_plan_reviews.html", user, taken=taken, rows=rows,
                  earlier=earlier, later=later, period=service.period_of(date.today()),
                  error=None)  # fmt: skip


@router.post("/action-plan/reviews", response_model=None)
def take_review(request: Request, user: Reviewer,
                period: Annotated[str, Form(max_length=7)]) -> Response:  # fmt: skip
    """Freeze the tracker as it stands for the half-year's review."""
    measured = measures.measure_all(engine=get_engine(), today=date.today())
    try:
        with writing() as session:
            service.take_snapshot(session=session, party=user.party, period=period.strip(),
                                  measured=measured, actor=user.name, now=utcnow())  # fmt: skip
    except ActionPlanError as exc:
        with Session(get_engine()) as session:
            taken = service.snapshots(session=session)
        return render(request, "action_plan_reviews.html", user, status_code=409,
                      taken=taken, rows=None, earlier=None, later=None, period=period,
                      error=str(exc))  # fmt: skip
    audited(user, "actionplan.review", f"review:{period.strip()}", "taken")
    return RedirectResponse("/action-plan/reviews", status_code=303)


def _activity(code: str) -> activities.Activity:
    for a in activities.load():
        if a.code == code:
            return a
    raise HTTPException(404, f"there is no activity {code} in the Action Plan")


def _detail(request: Request, user: Principal, code: str, error: str | None = None,
            status_code: int = 200) -> Response:  # fmt: skip
    activity = _activity(code)
    with Session(get_engine()) as session:
        reports, progress = _reports_view(session)
        trail = service.history(session=session, activity=code)
    mine = reports.get((code, user.party))
    return render(request, "action_plan_activity.html", user, status_code=status_code,
                  a=activity, reports=reports, progress=progress[code], trail=trail, mine=mine,
                  parties=service.expected(activity), statuses=service.STATUSES,
                  measured=_measured(user).get(code), error=error)  # fmt: skip


@router.get("/action-plan/{code}", response_class=HTMLResponse)
def activity_page(request: Request, user: Reader, code: str) -> Response:
    """One activity: the Strategy's text, each Party's status and the evidence they gave."""
    return _detail(request, user, code)


@router.post("/action-plan/{code}", response_model=None)
def report_progress(
    request: Request, user: Reporter, code: str,
    status: Annotated[str, Form(max_length=20)],
    progress: Annotated[int, Form(ge=0, le=100)],
    evidence: Annotated[str, Form(max_length=4000), WITHOUT_NUL] = "",
    comment: Annotated[str, Form(max_length=4000), WITHOUT_NUL] = "",
) -> Response:  # fmt: skip
    """Report the signed-in user's Party's progress on one activity."""
    _activity(code)
    try:
        with writing() as session:
            service.report(session=session, party=user.party, activity=code, status=status,
                           progress=progress, evidence=evidence,
                           comment=comment, actor=user.name,
                           now=utcnow())  # fmt: skip
    except ActionPlanError as exc:
        return _detail(request, user, code, error=str(exc), status_code=422)
    audited(user, "actionplan.report", f"activity:{code}", f"{status} {progress}%")
    return RedirectResponse(f"/action-plan/{code}", status_code=303)
