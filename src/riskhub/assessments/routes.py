"""HTTP routes of the assessments: questionnaires, a Party's answers, results and gap reports."""

from __future__ import annotations

import dataclasses
import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, status

from riskhub.access.principal import Principal, require
from riskhub.access.roles import Permission
from riskhub.api_types import unprocessable
from riskhub.assessments import scoring, service
from riskhub.assessments.models import AssessmentResponse
from riskhub.assessments.schemas import AnswersIn, QuestionnaireOut, ResponseOut, ResultOut
from riskhub.db.session import ReadSession, WriteSession
from riskhub.kpis.service import CROSS_PARTY_ROLES
from riskhub.reference.parties import CEFTA_PARTIES

router = APIRouter(prefix="/api/v1/assessments", tags=["assessments"])
Reader = Annotated[Principal, Depends(require(Permission.ASSESSMENTS_READ))]
Filler = Annotated[Principal, Depends(require(Permission.ASSESSMENTS_FILL))]
Code = Annotated[str, Path(max_length=20)]
Period = Annotated[str, Path(max_length=7)]


def _refused(error: service.AssessmentError) -> HTTPException:
    if error.status != 422:
        return HTTPException(error.status, error.problems[0])

    def loc(problem: str) -> list[str]:
        if error.where == "body":
            return ["body", problem.split(":", 1)[0]]  # the question's key
        return ["path", error.where]

    return unprocessable((loc(p), p) for p in error.problems)


def parties_of(principal: Principal) -> list[str]:
    """Whose results a reader sees: every CEFTA Party for the RMWG and the Secretariat."""
    return sorted(CEFTA_PARTIES) if principal.role in CROSS_PARTY_ROLES else [principal.party]


def questionnaire_out(form: Any) -> QuestionnaireOut:
    return QuestionnaireOut(**dataclasses.asdict(form))


def response_out(row: AssessmentResponse) -> ResponseOut:
    answers = json.loads(row.answers)
    form = service.questionnaire(code=row.code, version=row.version)
    return ResponseOut(
        party=row.party, code=row.code, version=row.version, period=row.period,
        status=row.status, answers=answers, comments=json.loads(row.comments),
        missing=scoring.missing(form, answers),
        scores=json.loads(row.scores) if row.scores else None, updated_by=row.updated_by,
        updated_at=row.updated_at, submitted_at=row.submitted_at,
    )  # fmt: skip


@router.get("", response_model=list[QuestionnaireOut])
def list_questionnaires(principal: Reader) -> list[QuestionnaireOut]:
    """The questionnaires (newest versions): the S3 gap assessment, the S4 staffing one."""
    return [questionnaire_out(q) for q in service.questionnaires()]


@router.get("/{code}", response_model=QuestionnaireOut)
def get_questionnaire(code: Code, principal: Reader) -> QuestionnaireOut:
    """One questionnaire: its dimensions, questions and scored answers."""
    try:
        return questionnaire_out(service.questionnaire(code=code))
    except service.AssessmentError as error:
        raise _refused(error) from None


@router.get("/{code}/responses/{period}", response_model=ResponseOut)
def get_response(
    code: Code, period: Period, principal: Reader, session: ReadSession
) -> ResponseOut:
    """The caller's Party's answers for the half-year, a draft or submitted."""
    row = service.response(session=session, party=principal.party, code=code, period=period)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no answers to {code} for {period} yet")
    return response_out(row)


@router.put("/{code}/responses/{period}", response_model=ResponseOut)
def put_answers(
    code: Code, period: Period, body: AnswersIn, principal: Filler, session: WriteSession
) -> ResponseOut:
    """Save answers to the draft (those left out keep their value); checked, never scored yet."""
    try:
        row = service.save(session=session, party=principal.party, code=code, period=period,
                           answers=body.answers, comments=body.comments,
                           actor=principal.describe())  # fmt: skip
    except service.AssessmentError as error:
        raise _refused(error) from None
    return response_out(row)


@router.post("/{code}/responses/{period}/submit", response_model=ResponseOut)
def submit(code: Code, period: Period, principal: Filler, session: WriteSession) -> ResponseOut:
    """Submit the complete draft: it is scored and kept as it is from then on."""
    try:
        row = service.submit(session=session, party=principal.party, code=code, period=period,
                             actor=principal.describe())  # fmt: skip
    except service.AssessmentError as error:
        raise _refused(error) from None
    return response_out(row)


@router.get("/{code}/results", response_model=list[ResultOut])
def results(code: Code, principal: Reader, session: ReadSession) -> list[ResultOut]:
    """Submitted scores per dimension, per Party and half-year: compared across and over time."""
    try:
        service.questionnaire(code=code)
    except service.AssessmentError as error:
        raise _refused(error) from None
    rows = service.results(session=session, parties=parties_of(principal), code=code)
    return [ResultOut(**r) for r in rows]


@router.get("/{code}/gaps/{period}")
def gaps(code: Code, period: Period, principal: Reader, session: ReadSession) -> dict[str, Any]:
    """The gap report for the half-year: per Party, weakest dimensions first (the pages and
    ``riskhub assess export`` print it)."""
    try:
        found = service.gap_report(session=session, parties=parties_of(principal), code=code,
                                   period=period)  # fmt: skip
    except service.AssessmentError as error:
        raise _refused(error) from None
    return found
