"""Fill in, submit, compare and report the assessments (S3, S4).

A Party's administrator saves answers as a draft, as often as needed, and
submits them once complete; the scores are computed and kept with the answers
(``scoring``). Submitted assessments are read by the Party itself and, across
Parties, by the RMWG and the Secretariat; a draft is the Party's own.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from riskhub.actionplan.service import PERIOD
from riskhub.assessments import scoring
from riskhub.assessments.models import AssessmentResponse
from riskhub.assessments.questionnaire import Questionnaire, latest, shipped
from riskhub.db.base import utcnow
from riskhub.reference.parties import CEFTA_PARTIES

SUBMITTED = "submitted"


class AssessmentError(ValueError):
    """Why an assessment cannot be saved or submitted; ``status`` is the HTTP answer."""

    def __init__(self, status: int, problems: list[str], where: str = "body") -> None:
        super().__init__("; ".join(problems))
        self.status = status
        self.problems = problems
        self.where = where  # "body": problems start with the question's key; else a path part


def questionnaires() -> list[Questionnaire]:
    """The newest version of each shipped questionnaire."""
    codes = sorted({code for code, _ in shipped()})
    return [q for code in codes if (q := latest(code)) is not None]


def questionnaire(*, code: str, version: int | None = None) -> Questionnaire:
    """One questionnaire (its newest version unless ``version``), or a 404 AssessmentError."""
    found = latest(code) if version is None else shipped().get((code, version))
    if found is None:
        raise AssessmentError(404, [f"there is no questionnaire {code!r}"])
    return found


def response(*, session: Session, party: str, code: str, period: str) -> AssessmentResponse | None:
    """``party``'s answers to ``code`` for ``period`` (a draft or submitted), if any."""
    r = AssessmentResponse
    return session.scalars(
        select(r).where(r.party == party, r.code == code, r.period == period)
    ).one_or_none()


def checked_period(period: str) -> str:
    """``period`` if it is a half-year such as 2026-H2, else a 422 AssessmentError."""
    if PERIOD.fullmatch(period) is None:
        why = f"a period is a half-year written like 2026-H2, not {period!r}"
        raise AssessmentError(422, [why], where="period")
    return period


def save(
    *, session: Session, party: str, code: str, period: str, answers: dict[str, Any],
    comments: dict[str, str], actor: str,
) -> AssessmentResponse:  # fmt: skip
    """Lay ``answers`` and ``comments`` over ``party``'s draft (a None answer clears one)."""
    if party not in CEFTA_PARTIES:
        raise AssessmentError(403, ["assessments are filled in by the CEFTA administrations"])
    checked_period(period)
    row = response(session=session, party=party, code=code, period=period)
    form = questionnaire(code=code, version=row.version if row else None)
    if row is not None and row.status == SUBMITTED:
        why = (f"{code} for {period} is already submitted; it is kept as it was, and the "
               "next half-year is a new assessment")  # fmt: skip
        raise AssessmentError(409, [why])
    given = {k: v for k, v in answers.items() if v is not None}
    problems = scoring.check(form, given)
    problems += [f"{k}: a comment on a question that is not in {code}"
                 for k in comments if k not in form.questions()]  # fmt: skip
    if problems:
        raise AssessmentError(422, problems)
    if row is None:
        row = AssessmentResponse(party=party, code=code, version=form.version, period=period,
                                 status="draft", answers="{}", comments="{}")  # fmt: skip
        session.add(row)
    merged = {**json.loads(row.answers), **given}
    for key in (k for k, v in answers.items() if v is None):
        merged.pop(key, None)
    row.answers = json.dumps(merged, ensure_ascii=False)
    row.comments = json.dumps({**json.loads(row.comments), **comments}, ensure_ascii=False)
    row.updated_by, row.updated_at = actor, utcnow()
    session.flush()
    return row


def submit(
    *, session: Session, party: str, code: str, period: str, actor: str
) -> AssessmentResponse:
    """Submit ``party``'s complete draft: scored, and kept from then on as it is."""
    checked_period(period)
    row = response(session=session, party=party, code=code, period=period)
    if row is None:
        raise AssessmentError(404, [f"there is no draft of {code} for {period} to submit"])
    if row.status == SUBMITTED:
        return row  # submitting twice changes nothing
    form = questionnaire(code=code, version=row.version)
    answers = json.loads(row.answers)
    left = scoring.missing(form, answers)
    if left:
        raise AssessmentError(
            422, [f"{len(left)} questions are not answered yet: {', '.join(left)}"]
        )
    row.scores = json.dumps(scoring.score(form, answers))
    row.status, row.submitted_at = SUBMITTED, utcnow()
    row.updated_by, row.updated_at = actor, row.submitted_at
    session.flush()
    return row


def results(*, session: Session, parties: list[str], code: str) -> list[dict[str, Any]]:
    """The submitted scores of ``parties`` for ``code``, every half-year, oldest first."""
    r = AssessmentResponse
    rows = session.scalars(
        select(r)
        .where(r.code == code, r.status == SUBMITTED, r.party.in_(parties))
        .order_by(r.period, r.party)
    )
    out = []
    for row in rows:
        scores = json.loads(row.scores or "{}")
        out.append({
            "party": row.party, "period": row.period, "version": row.version,
            "overall": scores["overall"], "level": scores["level"],
            "dimensions": {d["key"]: d["score"] for d in scores["dimensions"]},
            "submitted_at": row.submitted_at,
        })  # fmt: skip
    return out


def gap_report(*, session: Session, parties: list[str], code: str, period: str) -> dict[str, Any]:
    """The gap report of ``code`` for ``period``: per Party, the weakest dimensions first."""
    checked_period(period)
    form = questionnaire(code=code)
    r = AssessmentResponse
    rows = session.scalars(
        select(r)
        .where(r.code == code, r.period == period, r.status == SUBMITTED, r.party.in_(parties))
        .order_by(r.party)
    ).all()
    reports = []
    for row in rows:
        answered = questionnaire(code=code, version=row.version)
        titles = {q.key: q.text for d in answered.dimensions for q in d.questions}
        scores = json.loads(row.scores or "{}")
        comments = json.loads(row.comments)
        dimensions = scoring.weakest_first(scores)
        for d in dimensions:
            for q in d["questions"]:
                q["text"] = titles.get(q["question"], q["question"])
                q["comment"] = comments.get(q["question"], "")
        reports.append({"party": row.party, "overall": scores["overall"],
                        "level": scores["level"], "dimensions": dimensions})  # fmt: skip
    missing = sorted(set(parties) & set(CEFTA_PARTIES) - {r["party"] for r in reports})
    return {"code": code, "title": form.title, "activity": form.activity, "period": period,
            "parties": reports, "not_submitted": missing}  # fmt: skip
