"""The model monitor: the Party's risk models, their measured quality, drift, and approval.

Each version's metrics were measured when it was trained, on later days it
never saw (``targeting.service.retrain``). Drift compares the recent traffic
with the champion's training window (``targeting.drift``); it scores every
recent declaration, so it arrives as a fragment after the page. Approval goes
through ``registry.approve``, as ``riskhub model approve`` does, and is audited.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any

import altair as alt
from fastapi import APIRouter, Depends, Form, HTTPException, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from riskhub.access.principal import Principal
from riskhub.access.roles import Permission
from riskhub.db.engine import get_engine
from riskhub.kpis import service as kpis
from riskhub.targeting import registry
from riskhub.targeting.drift import SHIFT, WATCH, drift
from riskhub.targeting.models import RiskModelVersion
from riskhub.web.charts import WIDTH
from riskhub.web.pages import audited, render, viewer, writing

router = APIRouter(include_in_schema=False)
Analyst = Annotated[Principal, Depends(viewer(Permission.PROFILES_WRITE))]
# As retraining measured them on the held-out days; "at 10%": the top tenth by score.
SHOWN = {"auc": "AUC", "precision_at_1": "precision at 1%", "precision_at_5": "precision at 5%",
         "precision_at_10": "precision at 10%", "recall_at_10": "recall at 10%",
         "revenue_at_10": "revenue at 10%"}  # fmt: skip
CHARTED = ("auc", "precision_at_10", "recall_at_10", "revenue_at_10")
FEATURES_SHOWN = 10  # the most shifted features
FEW_ITEMS = 1000  # below this many goods items, a PSI says more about chance than traffic


@dataclass(frozen=True)
class Version:
    """A registered model as the monitor shows it: the row, and its metrics read."""

    row: RiskModelVersion
    metrics: dict[str, Any]

    @property
    def measured(self) -> dict[str, float]:
        return {k: float(v) for k, v in self.metrics.items()
                if k in SHOWN and isinstance(v, int | float) and math.isfinite(v)}  # fmt: skip


def metrics_chart(versions: list[Version]) -> alt.Chart:
    """Each version's measured quality, one bar per metric."""
    rows = [{"version": f"v{v.row.version}", "metric": SHOWN[k], "value": value}
            for v in sorted(versions, key=lambda v: v.row.version)
            for k, value in v.measured.items() if k in CHARTED]  # fmt: skip
    chart: alt.Chart = (
        alt.Chart(alt.InlineData(values=rows))
        .mark_bar()
        .encode(
            x=alt.X("version:N", title="Model version", sort=None, axis=alt.Axis(labelAngle=0)),
            xOffset=alt.XOffset("metric:N", sort=[SHOWN[k] for k in CHARTED]),
            y=alt.Y("value:Q", title="Measured on held-out days", scale=alt.Scale(domain=[0, 1])),
            color=alt.Color("metric:N", title="Metric", sort=[SHOWN[k] for k in CHARTED]),
            tooltip=["version:N", "metric:N", alt.Tooltip("value:Q", format=".3f")],
        )
        .properties(width=WIDTH, height=220)
    )  # fmt: skip
    return chart


def _monitor(request: Request, user: Principal, *, error: str | None = None,
             status_code: int = 200) -> Response:  # fmt: skip
    with Session(get_engine()) as session:
        rows = registry.versions(session=session, party=user.party)
    versions = [Version(r, json.loads(r.metrics or "{}")) for r in rows]
    measured = [v for v in versions if any(k in CHARTED for k in v.measured)]
    return render(request, "workbench/models.html", user, status_code=status_code,
                  versions=versions, error=error, shown=SHOWN,
                  champion=next((v for v in versions if v.row.status == "champion"), None),
                  challenger=next((v for v in versions if v.row.status == "challenger"), None),
                  metrics_spec=metrics_chart(measured) if measured else None)  # fmt: skip


@router.get("/models", response_class=HTMLResponse)
def monitor(request: Request, user: Analyst) -> Response:
    """The Party's models: champion, challenger, candidates; metrics per version."""
    return _monitor(request, user)


@router.get("/models/drift", response_class=HTMLResponse)
def drift_report(
    request: Request, user: Analyst, days: Annotated[int, Query(ge=7, le=365)] = 90
) -> Response:
    """The champion's drift over the latest ``days`` of traffic (a fragment of the monitor)."""
    last = kpis.last_lodged(engine=get_engine(), parties=[user.party]) or date.today()
    since = datetime.combine(last - timedelta(days=days - 1), time.min)
    until = datetime.combine(last + timedelta(days=1), time.min)
    try:
        report = drift(engine=get_engine(), party=user.party, since=since, until=until)
    except registry.RegistryError as error:  # the stored model's bytes do not match
        return render(request, "workbench/_drift.html", user, status_code=409,
                      error=str(error), report=None)  # fmt: skip
    shifted = sorted(((n, v) for n, v in (report.get("features") or {}).items() if v is not None),
                     key=lambda item: -item[1])[:FEATURES_SHOWN]  # fmt: skip
    return render(request, "workbench/_drift.html", user, error=None, report=report,
                  shifted=shifted, shift=SHIFT, watch=WATCH, days=days, few=FEW_ITEMS,
                  period=kpis.span(since, until))  # fmt: skip


@router.post("/models/{version}/approve", response_model=None)
def approve(
    request: Request, user: Analyst, version: Annotated[int, Path(ge=1, le=1_000_000)],
    role: Annotated[str, Form(pattern="^(champion|challenger)$")],
) -> Response:  # fmt: skip
    """Make a version the champion (it serves) or the challenger (shadow); the old one retires."""
    try:
        with writing() as session:
            status = {r.version: r.status for r in registry.versions(session=session,
                                                                     party=user.party)}  # fmt: skip
            if version not in status:
                raise HTTPException(404, f"{user.party} has no model version {version}.")
            if status[version] == role:
                # The registry would only stamp it again; say so rather than re-approve.
                raise registry.RegistryError(f"version {version} is already the {role}")
            registry.approve(session=session, party=user.party, version=version, role=role,
                             approved_by=user.name[:80])  # fmt: skip
    except registry.RegistryError as error:
        return _monitor(request, user, error=f"Not approved: {error}.", status_code=409)
    audited(user, "models.approve", f"model:{user.party}-v{version}", role)
    return RedirectResponse("/models", status_code=303)
