"""Pages: the risk register with its heat map, and joint enforcement actions.

The same services as ``/api/v1/risks`` and ``/api/v1/joint-actions``: a Party
reads its own register and the CEFTA-wide one; the RMWG and the Secretariat
see the other Parties' registers only as counts. A joint action is seen by its
participants, the RMWG and the Secretariat; another Party gets 404, as from
the API. Included by ``riskhub.web.governance``, which uses its form helpers too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import altair as alt
from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from riskhub.access.principal import Principal
from riskhub.access.roles import Permission, allows
from riskhub.api_types import ObjectId
from riskhub.db.base import utcnow
from riskhub.db.engine import get_engine
from riskhub.governance.joint_actions import service as actions
from riskhub.governance.joint_actions.schemas import CloseIn, RejectIn, ReportIn
from riskhub.governance.risks import candidates
from riskhub.governance.risks import heatmap as heat
from riskhub.governance.risks import service as register
from riskhub.web.pages import audited, read_form, render, viewer, writing

router = APIRouter(include_in_schema=False)
Reader = Annotated[Principal, Depends(viewer(Permission.GOVERNANCE_READ))]
Reporter = Annotated[Principal, Depends(viewer(Permission.JOINT_ACTIONS_WRITE))]
Rmwg = Annotated[Principal, Depends(viewer(Permission.RMWG_DECIDE))]
Text = Annotated[str, Form(max_length=8000)]
LATEST = 100
# Light fills, so the dark counts written on them keep a contrast above 4.5:1.
BAND_COLOURS = {"low": "#cfe8d4", "medium": "#fff0b3", "high": "#f9c98a", "critical": "#f4a3a3"}
LIKELIHOOD = ("rare", "unlikely", "possible", "likely", "almost certain")
IMPACT = ("minimal", "minor", "moderate", "major", "severe")
ACTION_GONE = "joint action not found"
# -- The risk register ---------------------------------------------------------------


def heat_summary(found: dict[str, Any]) -> str:
    """The heat map in one sentence, for screen readers and the caption."""
    total = sum(found["levels"].values())
    bands = ", ".join(f"{name} {n}" for name, n in found["levels"].items())
    return (f"Heat map of {total} open risk{'s' if total != 1 else ''} by likelihood and "
            f"impact: {bands}.")  # fmt: skip


def heat_chart(grid: list[list[int]], summary: str) -> alt.LayerChart:
    """The 5×5 matrix: every cell coloured by its band, the open risks counted where there are."""
    rows = [{"likelihood": li, "impact": im, "risks": grid[li - 1][im - 1],
             "band": heat.level(li, im), "rating": heat.rating(li, im)}
            for li in range(1, 6) for im in range(1, 6)]  # fmt: skip
    base = alt.Chart(alt.InlineData(values=rows)).encode(
        x=alt.X("impact:O", title="Impact (1 minimal – 5 severe)", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("likelihood:O", title="Likelihood (1 rare – 5 almost certain)",
                sort="descending"),
    )  # fmt: skip
    cells = base.mark_rect(stroke="#ffffff", strokeWidth=2).encode(
        color=alt.Color("band:N", title="Band",
                        scale=alt.Scale(domain=list(BAND_COLOURS),
                                        range=list(BAND_COLOURS.values()))),
        tooltip=["likelihood:O", "impact:O", "rating:Q", "band:N", "risks:Q"],
    )  # fmt: skip
    counts = (
        base.transform_filter("datum.risks > 0")
        .mark_text(fontSize=18, fontWeight="bold", color="#1a1a1a")
        .encode(text="risks:Q")
    )
    # Vega labels the drawn chart with its description (else "Vega visualization").
    chart: alt.LayerChart = (cells + counts).properties(width=360, height=300,
                                                        description=summary)  # fmt: skip
    return chart


@router.get("/governance/risks", response_class=HTMLResponse)
def risk_register(request: Request, user: Reader) -> Response:
    """The heat map of open risks, the register (own and CEFTA-wide), and what is due for review."""
    today = utcnow().date()
    with Session(get_engine()) as session:
        found = register.heatmap(session=session, party=user.party, role=user.role, today=today)
        rows = register.list_risks(session=session, party=user.party, today=today)
        listed = [register.summary_of(r, today) for r in rows[:LATEST]]
        due = [register.summary_of(r, today) for r in rows
               if r.status == "open" and r.review_on <= today]  # fmt: skip
        profiles_due = (candidates.due_for_review(session=session, party=user.party, today=today)
                        if allows(user.role, Permission.PROFILES_READ) else None)  # fmt: skip
    cells = [{"likelihood": li, "impact": im, "risks": found["grid"][li - 1][im - 1],
              "band": heat.level(li, im)}
             for li in range(5, 0, -1) for im in range(1, 6)
             if found["grid"][li - 1][im - 1]]  # fmt: skip
    by_party = {p: heat.levels(g) for p, g in found["by_party"].items()}
    summary = heat_summary(found)
    return render(request, "governance/risks.html", user, heat=found, cells=cells,
                  summary=summary, heat_spec=heat_chart(found["grid"], summary), risks=listed,
                  more=len(rows) - len(listed),
                  due=due, profiles_due=profiles_due, by_party=by_party,
                  likelihood=LIKELIHOOD, impact=IMPACT, levels=heat.LEVELS)  # fmt: skip


# -- Joint actions -------------------------------------------------------------------


@router.get("/governance/joint-actions", response_class=HTMLResponse)
def action_list(request: Request, user: Reader) -> Response:
    """The joint actions the Party takes part in (RMWG, Secretariat: all), with their results."""
    today = utcnow().date()
    with Session(get_engine()) as session:
        rows = actions.list_actions(session=session, actor=_actor(user))
        shown = rows[:LATEST]
        reports = actions.reports_for(session=session, rows=shown)
        listed = [{**actions.summary_of(r, today),
                   "results": actions.results(r, reports[r.id])} for r in shown]  # fmt: skip
    return render(request, "governance/joint_actions.html", user, actions=listed,
                  more=len(rows) - len(shown))  # fmt: skip


def _actor(user: Principal) -> actions.Actor:
    return actions.Actor(user.user_id, user.party, user.role, user.name)


def _action_page(request: Request, user: Principal, action_id: int, *,
                 error: str | None = None, status_code: int = 200) -> Response:  # fmt: skip
    with Session(get_engine()) as session:
        row = actions.get_action(session=session, actor=_actor(user), action_id=action_id)
        if row is None:
            raise HTTPException(404, ACTION_GONE)
        detail = actions.detail_of(session, row)
    mine = next((r for r in detail["reports"] if r.party == user.party), None)
    reporter = (allows(user.role, Permission.JOINT_ACTIONS_WRITE)
                and user.party in detail["participants"])  # fmt: skip
    return render(request, "governance/joint_action.html", user, status_code=status_code,
                  a=detail, mine=mine, reporter=reporter, error=error,
                  decider=allows(user.role, Permission.RMWG_DECIDE))  # fmt: skip


@router.get("/governance/joint-actions/{action_id}", response_class=HTMLResponse)
def action_detail(request: Request, user: Reader, action_id: ObjectId) -> Response:
    """The plan, the RMWG's decisions, each participant's results and their totals."""
    return _action_page(request, user, action_id)


def _carry_out(user: Principal, action_id: int, what: str, outcome: str,
               work: Callable[[Session], Any]) -> Response:  # fmt: skip
    """Do one step as the API does: 403, 409 or 404 with the service's words; then audit it."""
    try:
        with writing() as session:
            done = work(session)
    except actions.ActionNotAllowed as error:
        raise HTTPException(403, str(error)) from None
    except actions.ActionConflict as error:
        raise HTTPException(409, str(error)) from None
    if done is None:
        raise HTTPException(404, ACTION_GONE)
    audited(user, f"joint_action.{what}", f"joint_action:{action_id}", outcome)
    return RedirectResponse(f"/governance/joint-actions/{action_id}", status_code=303)


@router.post("/governance/joint-actions/{action_id}/report", response_model=None)
def report(
    request: Request, user: Reporter, action_id: ObjectId,
    controls: Annotated[str, Form(max_length=12)] = "",
    detections: Annotated[str, Form(max_length=12)] = "",
    seized_quantity: Annotated[str, Form(max_length=20)] = "",
    seized_unit: Annotated[str, Form(max_length=10)] = "",
    seized_value_eur: Annotated[str, Form(max_length=20)] = "", comment: Text = "",
) -> Response:  # fmt: skip
    """The Party's results while the action runs; reporting again amends them."""
    values = {"controls": controls, "detections": detections, "comment": comment,
              "seized_quantity": seized_quantity, "seized_unit": seized_unit,
              "seized_value_eur": seized_value_eur}  # fmt: skip
    body = read_form(ReportIn, values)
    if isinstance(body, str):
        return _action_page(request, user, action_id, error=body, status_code=422)
    return _carry_out(user, action_id, "report", f"{body.controls} controls",
                      lambda s: actions.report(session=s, actor=_actor(user),
                                               action_id=action_id, data=body))  # fmt: skip


@router.post("/governance/joint-actions/{action_id}/decision", response_model=None)
def decide(
    request: Request, user: Rmwg, action_id: ObjectId,
    decision: Annotated[str, Form(max_length=10)] = "", note: Text = "",
) -> Response:  # fmt: skip
    """The RMWG validates or rejects a planned action, or closes a running one with its summary."""
    actor = _actor(user)
    if decision == "validate":
        return _carry_out(user, action_id, "validate", "validated",
                          lambda s: actions.validate(session=s, actor=actor, action_id=action_id,
                                                     comment=note))  # fmt: skip
    if decision == "reject":
        why = read_form(RejectIn, {"reason": note})
        if isinstance(why, str):
            return _action_page(request, user, action_id, error=why, status_code=422)
        return _carry_out(user, action_id, "reject", "rejected",
                          lambda s: actions.reject(session=s, actor=actor, action_id=action_id,
                                                   reason=why.reason))  # fmt: skip
    if decision == "close":
        summary = read_form(CloseIn, {"summary": note})
        if isinstance(summary, str):
            return _action_page(request, user, action_id, error=summary, status_code=422)
        return _carry_out(user, action_id, "close", "closed",
                          lambda s: actions.close(session=s, actor=actor, action_id=action_id,
                                                  summary=summary.summary))  # fmt: skip
    return _action_page(request, user, action_id, status_code=422,
                        error="choose to validate, reject or close")  # fmt: skip
