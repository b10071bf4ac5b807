"""Pages: the officers' work queue, and the inspection form that follows the checklists.

The queue holds the red and yellow consignments at the officer's offices (another
agency's officer: those whose decision notifies their agency) that their agency
has not inspected yet, AEOs' priority passage first. Recording goes through the
service behind the API's ``POST /declarations/{id}/inspections``, with the same
checks: the officer's offices only, the checklists' required items, a control
report recorded once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from riskhub.access.principal import Principal
from riskhub.access.roles import Permission, allows
from riskhub.api_types import ObjectId
from riskhub.db.base import utcnow
from riskhub.db.engine import get_engine
from riskhub.inspections import checklists, service
from riskhub.inspections.routes import recorder_of
from riskhub.inspections.schemas import Answer, FindingCategory, InspectionIn, Outcome
from riskhub.selectivity.models import SelectivityDecision
from riskhub.web.pages import audited, render, viewer, writing

router = APIRouter(include_in_schema=False)
Inspector = Annotated[Principal, Depends(viewer(Permission.INSPECTIONS_RECORD))]
LIMIT = 100  # the queue shows the first hundred; the count says how many wait
FINDING_ROWS = 3
AGENCIES = ("customs", "phytosanitary", "veterinary", "market_surveillance")
REPORT = r"^[A-Za-z0-9][A-Za-z0-9/._-]{0,34}$"
LABELS = {
    "reference": "Control report number", "kind": "Kind of control", "inspector": "Inspector",
    "started_at": "Started (UTC)", "finished_at": "Finished (UTC)", "outcome": "Outcome",
    "findings": "Findings", "answers": "Checklist", "joint_with": "Other agencies present",
    "additional_revenue_eur": "Additional revenue (EUR)", "seized_quantity": "Seized quantity",
    "seized_unit": "Unit", "notes": "Notes", "share_feedback": "Feedback",
}  # fmt: skip


@dataclass(frozen=True)
class Consignment:
    """A selected consignment as the queue and the form show it."""

    declaration_id: int
    label: str  # its reference; another agency sees the declaration number only, as in the API
    office: str
    lodged_at: datetime
    channel: str
    random_control: bool
    priority: bool
    reasons: list[str]
    agencies: list[str]
    points: list[str]  # checklist lines written in the profiles that selected it
    budget: str | None
    common: bool  # another owner's (a common) profile selected it: feedback can be shared


@dataclass(frozen=True)
class Sheet:
    """One checklist on the form: how the Party names it, and its items."""

    name: str
    title: str
    agency: str
    items: list[dict[str, Any]]


def _reason(r: dict[str, Any]) -> str:
    sentence = str(r.get("sentence", ""))
    if r.get("profile") and not r.get("selected"):
        return f"{sentence} (matched, not drawn for control this time)"
    return sentence


def _consignment(user: Principal, decision: SelectivityDecision, reference: str) -> Consignment:
    reasons = json.loads(decision.reasons)
    # Another agency's officer reads decisions, not declarations (as over the API).
    sees_declarations = allows(user.role, Permission.DECLARATIONS_READ)
    return Consignment(
        declaration_id=decision.declaration_id,
        label=reference if sees_declarations else f"declaration {decision.declaration_id}",
        office=decision.office, lodged_at=decision.lodged_at, channel=decision.channel,
        random_control=decision.random_control, priority=decision.priority,
        reasons=[_reason(r) for r in reasons], agencies=json.loads(decision.agencies),
        points=json.loads(decision.checklist), budget=decision.budget,
        common=any(r.get("profile") and r.get("selected") and r.get("owner") != user.party
                   for r in reasons),
    )  # fmt: skip


@router.get("/queue", response_class=HTMLResponse)
def work_queue(
    request: Request,
    user: Inspector,
    recorded: Annotated[str | None, Query(pattern=REPORT)] = None,
) -> Response:
    """The consignments waiting for control at the officer's offices, priority passage first."""
    with Session(get_engine()) as session:
        rows, total = service.awaiting_control(
            session=session, party=user.party, recorder=recorder_of(user), limit=LIMIT
        )
        shown = [_consignment(user, decision, reference) for decision, reference in rows]
    return render(request, "queue/list.html", user, rows=shown, total=total, recorded=recorded,
                  agency=recorder_of(user).agency)  # fmt: skip


def _view(session: Session, user: Principal, declaration_id: int) -> dict[str, Any]:
    recorder = recorder_of(user)
    found = service.reach(session=session, party=user.party, declaration_id=declaration_id,
                          recorder=recorder)  # fmt: skip
    if found is None or found.decision is None:
        raise HTTPException(404, "There is no such consignment for you to control.")
    decision = found.decision
    selected = [(str(r["owner"]), str(r["profile"]))
                for r in json.loads(decision.reasons) if r.get("selected")]  # fmt: skip
    # The checklists of the API's inspection form: the channel's, and the selecting profiles'.
    sheets = [
        Sheet(checklists.name_of(row, user.party), row.title, row.agency, json.loads(row.items))
        for row in checklists.applicable(session=session, party=user.party,
                                         channel=decision.channel, selected=selected)
    ]  # fmt: skip
    done = service.inspections_of(session=session, party=user.party,
                                  declaration_id=declaration_id, recorder=recorder)  # fmt: skip
    return {
        "c": _consignment(user, decision, found.declaration.reference),
        "sheets": sheets,
        "done": [(i.reference, i.kind, i.agency, i.outcome, i.finished_at) for i in done or []],
        "lodged_at": found.declaration.lodged_at,
    }


def _defaults(user: Principal, view: dict[str, Any]) -> dict[str, Any]:
    now = utcnow().replace(second=0, microsecond=0)
    started = max(now - timedelta(hours=1), view["lodged_at"].replace(second=0, microsecond=0))
    kind = "physical" if view["c"].channel == "red" else "documentary"
    return {"kind": kind, "inspector": user.name[:80], "started_at": f"{started:%Y-%m-%dT%H:%M}",
            "finished_at": f"{now:%Y-%m-%dT%H:%M}", "outcome": "no_discrepancy"}  # fmt: skip


def _page(
    request: Request, user: Principal, declaration_id: int, *, values: dict[str, Any] | None = None,
    errors: list[tuple[str, str]] | None = None, status_code: int = 200,
) -> Response:  # fmt: skip
    with Session(get_engine()) as session:
        view = _view(session, user, declaration_id)
    problems = errors or []
    return render(request, "queue/consignment.html", user, status_code=status_code, **view,
                  values=values if values is not None else _defaults(user, view),
                  errors=problems, error_on={field for field, _ in problems},
                  labels=LABELS, agencies=[a for a in AGENCIES if a != recorder_of(user).agency],
                  outcomes=list(Outcome), categories=list(FindingCategory),
                  answers=list(Answer), finding_rows=range(1, FINDING_ROWS + 1))  # fmt: skip


@router.get("/queue/{declaration_id}", response_class=HTMLResponse)
def consignment(request: Request, user: Inspector, declaration_id: ObjectId) -> Response:
    """One selected consignment: why it was selected, its checklists, and the result form."""
    return _page(request, user, declaration_id)


def _values(form: FormData) -> dict[str, Any]:
    """What the officer typed, to fill the form again when it is sent back with errors."""
    values: dict[str, Any] = {k: str(v) for k, v in form.items() if isinstance(v, str)}
    values["joint_with"] = [str(v) for v in form.getlist("joint_with")]
    return values


def _body(values: dict[str, Any], sheets: list[Sheet]) -> dict[str, Any]:
    """The API's request body from the form's fields; the schema checks it as for the API."""
    answers = []
    for sheet in sheets:
        for item in sheet.items:
            answer = values.get(f"answer:{sheet.name}:{item['key']}")
            # An item left unanswered is left out: the service names the required ones.
            if answer:
                answers.append({"checklist": sheet.name, "item": item["key"], "answer": answer,
                                "evidence": values.get(f"evidence:{sheet.name}:{item['key']}",
                                                       "")})  # fmt: skip
    findings = [
        {"category": values[f"finding_category_{n}"],
         "item_no": values.get(f"finding_item_{n}") or None,
         "detail": values.get(f"finding_detail_{n}", "")}
        for n in range(1, FINDING_ROWS + 1) if values.get(f"finding_category_{n}")
    ]  # fmt: skip
    return {
        "reference": values.get("reference", "").strip(), "kind": values.get("kind"),
        "joint_with": values.get("joint_with", []), "inspector": values.get("inspector", ""),
        "started_at": values.get("started_at"), "finished_at": values.get("finished_at"),
        "outcome": values.get("outcome"), "findings": findings, "answers": answers,
        "additional_revenue_eur": values.get("additional_revenue_eur") or 0,
        "seized_quantity": values.get("seized_quantity") or None,
        "seized_unit": values.get("seized_unit") or None, "notes": values.get("notes", ""),
        "share_feedback": {"level": "cefta"} if values.get("share_feedback") else None,
    }  # fmt: skip


def _plain(error: ValidationError) -> list[tuple[str, str]]:
    out = []
    for e in error.errors():
        loc = [str(p) for p in e["loc"]]
        message = str(e["msg"]).removeprefix("Value error, ")
        if e["type"] == "string_pattern_mismatch" and loc[:1] == ["reference"]:
            message = "letters, digits and / . _ - only, up to 35 characters, e.g. CR-2026-0412"
        if len(loc) > 1 and loc[1].isdigit():
            # Findings are numbered for the officer as on the form, from 1.
            message = f"row {int(loc[1]) + 1}: {message}"
        out.append((loc[0] if loc else "", message))
    return out


def _record(request: Request, user: Principal, declaration_id: int, form: FormData) -> Response:
    with Session(get_engine()) as session:
        sheets = _view(session, user, declaration_id)["sheets"]
    values = _values(form)
    try:
        body = InspectionIn.model_validate(_body(values, sheets))
    except ValidationError as error:
        return _page(request, user, declaration_id, values=values, errors=_plain(error),
                     status_code=422)  # fmt: skip
    with writing() as session:
        [done] = service.record_many(session=session, party=user.party,
                                     records=[(declaration_id, body)],
                                     recorder=recorder_of(user))  # fmt: skip
    if done.status == "not_found":
        raise HTTPException(404, "There is no such consignment for you to control.")
    if done.status == "existing" or (done.problems and done.problems[0][0] == "reference"):
        why = (
            done.problems[0][1]
            if done.problems
            else f"control report {body.reference} is already recorded: it is not recorded twice"
        )
        if done.status == "existing" and done.shared_on:
            # The API answers a repeat that now asks for feedback by sharing it: say so.
            shared = ", ".join(done.shared_on)
            why += f"; its feedback is shared with the owners of {shared}"
            audited(user, "inspections.share_feedback", f"declaration_id={declaration_id}",
                    f"feedback shared on {shared}")  # fmt: skip
        return _page(request, user, declaration_id, values=values, errors=[("reference", why)],
                     status_code=409)  # fmt: skip
    if done.status == "rejected":
        problems = [(name.split(".")[0], why) for name, why in done.problems]
        return _page(request, user, declaration_id, values=values, errors=problems,
                     status_code=422)  # fmt: skip
    audited(
        user, "inspections.record", f"declaration_id={declaration_id}", f"recorded {body.reference}"
    )
    return RedirectResponse(f"/queue?recorded={body.reference}", status_code=303)


@router.post("/queue/{declaration_id}", response_model=None)
async def record_inspection(
    request: Request, user: Inspector, declaration_id: ObjectId
) -> Response:
    """Record the control's result, as the API would; back to the queue when it is stored."""
    form = await request.form()
    return await run_in_threadpool(_record, request, user, declaration_id, form)
