"""Pages of the analyst workbench: risk profiles with their effectiveness, and the editor.

An analyst writes a profile as YAML and sees each problem beside its line as
they type, backtests the draft over the Party's stored declarations, saves it
as a draft (a new version when it changes), then activates it with a separate
button: the services and rules of ``POST /api/v1/profiles`` and ``PUT
/api/v1/profiles/{id}/status``. The RMWG reads. The effectiveness review is the
one ``GET /api/v1/kpis/profiles`` answers; it reads every decided declaration of
its period, so the list arrives first and the review follows as a fragment.
The model monitor lives beside it, in ``models_monitor``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Annotated, Any

import altair as alt
from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from riskhub.access.principal import Principal
from riskhub.access.roles import Permission, allows
from riskhub.db.engine import get_engine
from riskhub.kpis import service as kpis
from riskhub.kpis.effectiveness import ACTIONS
from riskhub.profiles import service as profiles
from riskhub.profiles.backtest import backtest
from riskhub.profiles.document import ReadProfile, read_profile
from riskhub.profiles.models import RiskProfile
from riskhub.web.charts import WIDTH
from riskhub.web.pages import audited, render, viewer, writing

router = APIRouter(include_in_schema=False)
Reader = Annotated[Principal, Depends(viewer(Permission.PROFILES_READ))]
Writer = Annotated[Principal, Depends(viewer(Permission.PROFILES_WRITE))]
Text = Annotated[str, Form(max_length=200_000)]  # one profile; the API's backtest limit
Day = Annotated[str, Form(max_length=10)]
Owner = Annotated[str | None, Query(pattern=r"^[A-Z]{2}$")]
REVIEW_DAYS = 90  # the API's default period
HISTORY_SHOWN = 20  # versions listed on a profile's page, latest first
FLAG_LABELS = {"no_matches": "no matches", "too_few_inspections": "too few inspections",
               "not_better_than_random": "not better than random",
               "expiring": "expiring"}  # fmt: skip
OUTCOMES = {"found non-compliant": "#a00000", "inspected, nothing found": "#1f6f8b",
            "not inspected": "#b8b8b8"}  # fmt: skip
SAVED = {"created": "Saved as a new draft.", "changed": "Saved as a new version.",
         "unchanged": "Nothing changed: the stored version is kept."}  # fmt: skip
STARTER = """\
code: {party}-NEW-001
title: Footwear far below the reference price
description: >-
  Modus operandi: ... Indicator: ... Why this control: ...
threat: undervaluation
direction: IMPORT
criteria:
  all:
    - hs_code: {{startswith: "64"}}
    - unit_value_deviation_pct: {{lt: -50}}
action:
  channel: yellow
  checklist:
    - Ask for the invoice and proof of payment
weight: 30
select_share: 0.5
"""


@dataclass(frozen=True)
class Located:
    """A problem with a profile's text, and the line it is on as the analyst wrote it."""

    line: int  # 0: the whole profile (a rule checked on saving)
    column: int
    path: str
    message: str
    source: str


def _locate(text: str, read: ReadProfile) -> list[Located]:
    lines = text.splitlines()
    return [
        Located(p.loc.line, p.loc.column, p.loc.path, p.message,
                lines[p.loc.line - 1] if 0 < p.loc.line <= len(lines) else "")
        for p in read.problems
    ]  # fmt: skip


def _check(session: Session, party: str, text: str) -> tuple[ReadProfile, list[Located]]:
    """Read one profile as the import does, with the named lists ``party`` may use."""
    read = read_profile(text, lists=profiles.list_kinds(session=session, party=party))
    return read, _locate(text, read)


def _day(text: str, name: str) -> date | None:
    try:
        return date.fromisoformat(text) if text.strip() else None
    except ValueError:
        raise ValueError(f"{name} is a date written YYYY-MM-DD, not '{text}'") from None


def _recent(parties: list[str], days: int = REVIEW_DAYS) -> tuple[date, date]:
    """The ``days`` up to the latest decided declaration: the traffic, not the calendar."""
    last = kpis.last_lodged(engine=get_engine(), parties=parties) or date.today()
    return last - timedelta(days=days - 1), last


# -- the list and its effectiveness review ----------------------------------------------


@router.get("/profiles", response_class=HTMLResponse)
def profile_list(request: Request, user: Reader) -> Response:
    """Your Party's profiles and those shared with it; the effectiveness review follows."""
    with Session(get_engine()) as session:
        rows = profiles.list_profiles(session=session, party=user.party)
    today = date.today()
    rows.sort(key=lambda r: (r.party != user.party, r.party, r.code))
    shown = [(row, profiles.profile_status(row, today)) for row in rows]
    counts: dict[str, int] = defaultdict(int)
    for _, status in shown:
        counts[status] += 1
    return render(request, "workbench/profiles.html", user, rows=shown, counts=dict(counts),
                  writer=allows(user.role, Permission.PROFILES_WRITE))  # fmt: skip


@router.get("/profiles/effectiveness", response_class=HTMLResponse)
def effectiveness(request: Request, user: Reader, since: str = "", until: str = "") -> Response:
    """The effectiveness review of the active profiles (a fragment of the list page)."""
    parties = kpis.parties_for(party=user.party, role=user.role)
    try:
        first_day, last_day = _day(since, "since"), _day(until, "until")
        if last_day is None:
            last_day = _recent(parties)[1]
        first, last = kpis.period(first_day, last_day, days=REVIEW_DAYS)
    except ValueError as error:
        return render(request, "workbench/_effectiveness.html", user, status_code=422,
                      error=str(error), rows=[], period=None)  # fmt: skip
    rows = kpis.profile_review(engine=get_engine(), parties=parties, since=first, until=last)
    return render(request, "workbench/_effectiveness.html", user, error=None, rows=rows,
                  period=kpis.span(first, last), parties=parties, labels=FLAG_LABELS,
                  actions=ACTIONS)  # fmt: skip


# -- the editor ---------------------------------------------------------------------------


def _editor(
    request: Request, user: Principal, *, row: RiskProfile | None, text: str,
    problems: list[Located] | None = None, status_code: int = 200, saved: str | None = None,
) -> Response:  # fmt: skip
    """The profile's page: an editor for its owner's analysts, the text for everyone else."""
    versions: list[dict[str, Any]] = []
    status = None
    if row is not None:
        with Session(get_engine()) as session:
            versions = profiles.history(session=session, party=user.party, profile_id=row.id) or []
        status = profiles.profile_status(row)
    editable = allows(user.role, Permission.PROFILES_WRITE) and (
        row is None or row.party == user.party
    )
    since, until = _recent([user.party]) if editable else (None, None)
    return render(request, "workbench/profile.html", user, status_code=status_code, row=row,
                  status=status, text=text, problems=problems, editable=editable,
                  versions=versions[::-1][:HISTORY_SHOWN],
                  older=max(0, len(versions) - HISTORY_SHOWN),
                  since=since, until=until, saved=SAVED.get(saved or ""))  # fmt: skip


@router.get("/profiles/new", response_class=HTMLResponse)
def new_profile(request: Request, user: Writer) -> Response:
    """An empty editor, with a starter profile to overwrite."""
    return _editor(request, user, row=None, text=STARTER.format(party=user.party))


@router.post("/profiles/check", response_class=HTMLResponse)
def check(request: Request, user: Writer, document: Text = "") -> Response:
    """Every problem of the text with its line (a fragment the editor asks for as you type)."""
    with Session(get_engine()) as session:
        _, problems = _check(session, user.party, document)
    return render(request, "workbench/_problems.html", user, problems=problems,
                  status_code=422 if problems else 200)  # fmt: skip


def _weekly(by_day_office: list[dict[str, Any]]) -> list[dict[str, Any]]:
    weeks: dict[date, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in by_day_office:
        day = row["day"]
        week = weeks[day - timedelta(days=day.weekday())]
        for key in ("hits", "inspected", "found"):
            week[key] += int(row[key])
    return [{"week": w.isoformat(), **counts} for w, counts in sorted(weeks.items())]


def _by_office(by_day_office: list[dict[str, Any]], days: int) -> list[dict[str, Any]]:
    offices: dict[str, int] = defaultdict(int)
    for row in by_day_office:
        offices[row["office"]] += int(row["hits"])
    return [{"office": o, "hits": n, "per_day": n / days} for o, n in sorted(offices.items())]


def backtest_chart(weeks: list[dict[str, Any]]) -> alt.Chart:
    """Declarations the draft hits per week, split by what control found."""
    rows = []
    for w in weeks:
        split = (w["found"], w["inspected"] - w["found"], w["hits"] - w["inspected"])
        rows += [{"week": w["week"], "outcome": name, "declarations": n}
                 for name, n in zip(OUTCOMES, split, strict=True) if n]  # fmt: skip
    chart: alt.Chart = (
        alt.Chart(alt.InlineData(values=rows))
        .mark_bar()
        .encode(
            x=alt.X("week:O", title="Week starting (Monday)"),
            y=alt.Y("declarations:Q", title="Declarations hit", stack="zero"),
            color=alt.Color("outcome:N", title="Control",
                            scale=alt.Scale(domain=list(OUTCOMES), range=list(OUTCOMES.values()))),
            order=alt.Order("outcome:N", sort="ascending"),
            tooltip=["week:O", "outcome:N", "declarations:Q"],
        )
        .properties(width=WIDTH, height=220)
    )  # fmt: skip
    return chart


@router.post("/profiles/backtest", response_class=HTMLResponse)
def backtest_draft(
    request: Request, user: Writer, document: Text = "", since: Day = "", until: Day = ""
) -> Response:
    """What the draft would have hit over a recent period, and what control found there."""
    with Session(get_engine()) as session:
        read, problems = _check(session, user.party, document)
    if problems or read.document is None:
        return render(request, "workbench/_problems.html", user, problems=problems,
                      status_code=422,
                      before="Fix these problems before the backtest.")  # fmt: skip
    try:
        first_day, last_day = _day(since, "From"), _day(until, "To")
        default_first, default_last = _recent([user.party])
        first, last = kpis.period(first_day or default_first, last_day or default_last)
        report = backtest(engine=get_engine(), party=user.party, text=document, since=first,
                          until=last)  # fmt: skip
    except ValueError as error:  # also ProfileError: a named list changed since the check
        return render(request, "workbench/_backtest.html", user, status_code=422,
                      error=str(error), report=None)  # fmt: skip
    days = (last - first).days
    weeks = _weekly(report.by_day_office)
    return render(request, "workbench/_backtest.html", user, error=None, report=report,
                  period=kpis.span(first, last), days=days, weeks=weeks,
                  weekly_spec=backtest_chart(weeks) if report.hits else None,
                  offices=_by_office(report.by_day_office, days),
                  share=read.document.select_share, channel=str(read.document.action.channel),
                  hits_per_day=report.hits / days,
                  controls_per_day=report.hits * read.document.select_share / days)  # fmt: skip


@router.post("/profiles", response_model=None)
def save_profile(
    request: Request, user: Writer, document: Text = "",
    editing: Annotated[str, Form(max_length=40)] = "",
) -> Response:  # fmt: skip
    """Store the profile as a draft, or as a new version when it changed (never activated)."""
    outcome = None
    with writing() as session:
        _, problems = _check(session, user.party, document)
        if not problems:
            # One profile: the text read as a mapping, so the import has one outcome.
            (outcome,) = profiles.import_profiles(session=session, party=user.party,
                                                  text=document, user_id=user.user_id)  # fmt: skip
            problems = [Located(0, 0, "", p, "") for p in outcome.problems]
    if problems or outcome is None:
        with Session(get_engine()) as session:
            row = profiles.find_profile(session=session, party=user.party, owner=user.party,
                                        code=editing) if editing else None  # fmt: skip
        return _editor(request, user, row=row, text=document, problems=problems,
                       status_code=422)  # fmt: skip
    audited(
        user, "profiles.save", f"profile:{outcome.code}", f"{outcome.outcome} v{outcome.version}"
    )
    return RedirectResponse(f"/profiles/{outcome.code}?saved={outcome.outcome}", status_code=303)


@router.get("/profiles/{code}", response_class=HTMLResponse)
def profile_page(
    request: Request, user: Reader, code: str, owner: Owner = None, saved: str | None = None
) -> Response:
    """One profile: its text (to edit, for its owner's analysts), status and versions."""
    with Session(get_engine()) as session:
        row = profiles.find_profile(session=session, party=user.party,
                                    owner=owner or user.party, code=code)  # fmt: skip
    if row is None:
        raise HTTPException(404, f"There is no profile {code} of {owner or user.party} "
                                 "that you may see.")  # fmt: skip
    return _editor(request, user, row=row, text=row.document, saved=saved)


@router.post("/profiles/{code}/status", response_model=None)
def change_status(
    request: Request, user: Writer, code: str,
    status: Annotated[str, Form(pattern="^(draft|active|suspended)$")],
) -> Response:  # fmt: skip
    """Activate, suspend or return to draft one of your Party's profiles."""
    with writing() as session:
        row = profiles.find_profile(session=session, party=user.party, owner=user.party,
                                    code=code)  # fmt: skip
        if row is None:
            raise HTTPException(404, f"{user.party} has no profile {code}.")
        profiles.set_status(session=session, party=user.party, profile_id=row.id, status=status,
                            user_id=user.user_id)  # fmt: skip
        version = row.version
    audited(user, "profiles.status", f"profile:{code}", f"{status} v{version}")
    return RedirectResponse(f"/profiles/{code}", status_code=303)
