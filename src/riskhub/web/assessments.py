"""Pages of the assessments (S3, S4): fill in and submit, compare across Parties, gap reports.

A Party's administrator answers the questionnaires for the half-year and
submits them; its analysts read the results. The RMWG and the Secretariat see
every CEFTA Party's submitted scores side by side, as the API gives them.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any

import altair as alt
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from riskhub.access.principal import Principal
from riskhub.access.roles import Permission, allows
from riskhub.actionplan.service import period_of
from riskhub.assessments import report, scoring, service
from riskhub.assessments.questionnaire import Questionnaire
from riskhub.assessments.routes import parties_of
from riskhub.db.engine import get_engine
from riskhub.reference.parties import CEFTA_PARTIES
from riskhub.web.charts import WIDTH
from riskhub.web.pages import audited, render, viewer, writing

router = APIRouter(include_in_schema=False)
Reader = Annotated[Principal, Depends(viewer(Permission.ASSESSMENTS_READ))]
Filler = Annotated[Principal, Depends(viewer(Permission.ASSESSMENTS_FILL))]


def scores_chart(form: Questionnaire, rows: list[dict[str, Any]]) -> alt.LayerChart:
    """Each Party's latest score per dimension, as a grid coloured from weak to strong."""
    cells = [{"party": r["party"], "dimension": d.title, "score": r["dimensions"][d.key]}
             for r in rows for d in form.dimensions if d.key in r["dimensions"]]  # fmt: skip
    base = alt.Chart(alt.InlineData(values=cells)).encode(
        x=alt.X("dimension:N", sort=[d.title for d in form.dimensions], title=None,
                axis=alt.Axis(labelAngle=-30, labelLimit=160)),
        y=alt.Y("party:N", title=None),
    )  # fmt: skip
    grid = base.mark_rect().encode(
        color=alt.Color("score:Q", title="score %", scale=alt.Scale(domain=[0, 100],
                                                                     scheme="redyellowgreen")),
        tooltip=["party:N", "dimension:N", alt.Tooltip("score:Q", format=".1f")],
    )  # fmt: skip
    text = base.mark_text(fontSize=11).encode(text=alt.Text("score:Q", format=".0f"))
    chart: alt.LayerChart = (grid + text).properties(width=WIDTH, height=28 * len(rows) + 20)
    return chart


def _latest(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each Party's most recent submission (rows come oldest first)."""
    return sorted({r["party"]: r for r in rows}.values(), key=lambda r: r["party"])


@router.get("/assessments", response_class=HTMLResponse)
def assessments(request: Request, user: Reader) -> Response:
    """The questionnaires, this half-year's answers of the user's Party, and the results."""
    period = period_of(date.today())
    parties = parties_of(user)
    sections = []
    with Session(get_engine()) as session:
        for form in service.questionnaires():
            mine = service.response(session=session, party=user.party, code=form.code,
                                    period=period)  # fmt: skip
            rows = service.results(session=session, parties=parties, code=form.code)
            latest = _latest(rows)
            sections.append({"form": form, "mine": mine, "history": rows, "latest": latest,
                             "chart": scores_chart(form, latest) if latest else None})  # fmt: skip
    return render(request, "assessments/index.html", user, sections=sections, period=period,
                  fills=allows(user.role, Permission.ASSESSMENTS_FILL),
                  own=user.party in CEFTA_PARTIES)  # fmt: skip


def _form_page(request: Request, user: Principal, code: str, period: str, *,
               values: dict[str, Any] | None = None, comments: dict[str, str] | None = None,
               problems: list[str] | None = None, status_code: int = 200,
               saved: str | None = None) -> Response:  # fmt: skip
    service.checked_period(period)
    with Session(get_engine()) as session:
        row = service.response(session=session, party=user.party, code=code, period=period)
    form = service.questionnaire(code=code, version=row.version if row else None)
    answers = json.loads(row.answers) if row else {}
    given = {**answers, **(values or {})}
    problems = problems or []
    return render(request, "assessments/form.html", user, status_code=status_code, form=form,
                  period=period, row=row, answers=given,
                  comments={**(json.loads(row.comments) if row else {}), **(comments or {})},
                  scores=json.loads(row.scores) if row and row.scores else None,
                  missing=scoring.missing(form, answers), problems=problems,
                  wrong={p.split(":", 1)[0] for p in problems}, saved=saved,
                  fills=allows(user.role, Permission.ASSESSMENTS_FILL))  # fmt: skip


@router.get("/assessments/{code}/{period}", response_class=HTMLResponse)
def assessment(request: Request, user: Reader, code: str, period: str,
               saved: str | None = None) -> Response:  # fmt: skip
    """The user's Party's answers for one half-year: a form while a draft, the scores after."""
    try:
        return _form_page(request, user, code, period, saved=saved)
    except service.AssessmentError as error:
        return render(request, "error.html", user, status_code=error.status,
                      message="; ".join(error.problems))  # fmt: skip


def _read(form: Questionnaire, fields: dict[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """Answers and comments from the form: a number for a banded question, else the choice."""
    answers: dict[str, Any] = {}
    comments = {}
    for key, (_, question) in form.questions().items():
        value = fields.get(f"answer:{key}", "").strip()
        if value and question.bands:
            try:
                answers[key] = float(value)
            except ValueError:
                answers[key] = value  # the service names what is wrong with it
        elif value:
            answers[key] = value
        if fields.get(f"comment:{key}", "").strip():
            comments[key] = fields[f"comment:{key}"].strip()[:2000]
    return answers, comments


@router.post("/assessments/{code}/{period}", response_model=None)
async def answer(request: Request, user: Filler, code: str, period: str) -> Response:
    """Save the answers as a draft, or save and submit them."""
    # No NUL reaches the database (PostgreSQL refuses it in text).
    fields = {k: v.replace("\x00", "") for k, v in (await request.form()).items()
              if isinstance(v, str)}  # fmt: skip
    # The database work off the event loop, as every synchronous page does.
    return await run_in_threadpool(_answer, request, user, code, period, fields)


def _answer(request: Request, user: Principal, code: str, period: str,
            fields: dict[str, str]) -> Response:  # fmt: skip
    try:
        service.checked_period(period)
        form = service.questionnaire(code=code)
    except service.AssessmentError as error:
        return render(request, "error.html", user, status_code=error.status,
                      message="; ".join(error.problems))  # fmt: skip
    answers, comments = _read(form, fields)
    try:
        with writing() as session:
            service.save(session=session, party=user.party, code=code, period=period,
                         answers=answers, comments=comments, actor=user.describe())  # fmt: skip
    except service.AssessmentError as error:
        if error.status != 422:
            return render(request, "error.html", user, status_code=error.status,
                          message="; ".join(error.problems))  # fmt: skip
        return _form_page(request, user, code, period, values=answers, comments=comments,
                          problems=error.problems, status_code=422)  # fmt: skip
    audited(user, "assessments.save", f"{code} {period}", f"{len(answers)} answers")
    if fields.get("action") != "submit":
        return RedirectResponse(f"/assessments/{code}/{period}?saved=draft", status_code=303)
    try:
        with writing() as session:
            service.submit(session=session, party=user.party, code=code, period=period,
                           actor=user.describe())  # fmt: skip
    except service.AssessmentError as error:
        return _form_page(request, user, code, period, problems=error.problems,
                          status_code=error.status)  # fmt: skip
    audited(user, "assessments.submit", f"{code} {period}", "submitted")
    return RedirectResponse(f"/assessments/{code}/{period}?saved=submitted", status_code=303)


@router.get("/assessments/{code}/{period}/gaps", response_class=HTMLResponse)
def gaps(request: Request, user: Reader, code: str, period: str) -> Response:
    """The printable gap report of the half-year (the reader's Parties)."""
    try:
        with Session(get_engine()) as session:
            found = service.gap_report(session=session, parties=parties_of(user), code=code,
                                       period=period)  # fmt: skip
    except service.AssessmentError as error:
        return render(request, "error.html", user, status_code=error.status,
                      message="; ".join(error.problems))  # fmt: skip
    page = HTMLResponse(report.html(found))
    page.headers["Cache-Control"] = "no-store"
    return page
