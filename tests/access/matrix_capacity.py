"""The access matrix's cases for capacity building: assessments (S3, S4) and training.

An assessment's answers are the caller's own Party's (the path names no Party,
so there is no foreign variant); results of other Parties reach the RMWG and
the Secretariat only. Training runs in the sandbox; a cohort is seen by its
instructor and members only, so the matrix's callers (neither) find none.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from riskhub.access.roles import Permission, Role
from riskhub.assessments import service as assessments
from riskhub.assessments.questionnaire import latest
from riskhub.db.tenancy import acting_for
from riskhub.reference.parties import CEFTA_PARTIES
from riskhub.training import service as training
from tests.access.matrix_world import Case, World

BROKEN_PROFILE = {"profiles": ["code: ZZ-X\n"]}  # read, then refused: 422 for who may send


def _answers(complete: bool) -> dict[str, Any]:
    form = latest("STAFFING")
    assert form is not None
    every = {k: (0 if q.bands else q.options[0].answer) for k, (_, q) in form.questions().items()}
    return every if complete else dict(list(every.items())[:1])


def _response(period: str, *, complete: bool = False) -> Any:
    """A draft of STAFFING for ``period`` in the Party's name (its administrator's work)."""

    def made(world: World, party: str) -> dict[str, Any]:
        if party in CEFTA_PARTIES:
            with acting_for(party), Session(world.engine) as session, session.begin():
                if assessments.response(session=session, party=party, code="STAFFING",
                                        period=period) is None:  # fmt: skip
                    assessments.save(session=session, party=party, code="STAFFING",
                                     period=period, answers=_answers(complete), comments={},
                                     actor="matrix")  # fmt: skip
        return {"code": "STAFFING", "period": period}

    return made


def _cohort(world: World, party: str) -> dict[str, Any]:
    owner = party if party in CEFTA_PARTIES else "RS"
    with acting_for(owner), Session(world.engine) as session, session.begin():
        cohort = training.create_cohort(session=session, party=owner, name=f"matrix {owner}",
                                        exercises=["MASS"], instructor_id=0,
                                        instructor="matrix", now=datetime(2026, 6, 1))  # fmt: skip
        return {"cohort_id": cohort.id}


CASES: dict[tuple[str, str], Case] = {
    ("GET", "/api/v1/assessments"): Case(Permission.ASSESSMENTS_READ, 200),
    ("GET", "/api/v1/assessments/{code}"): Case(
        Permission.ASSESSMENTS_READ, 200, target=lambda w, p: {"code": "RM-GAP"},
        foreign_variant=False,
    ),
    ("GET", "/api/v1/assessments/{code}/responses/{period}"): Case(
        Permission.ASSESSMENTS_READ, 200, target=_response("2025-H1"), foreign_variant=False,
        role_status={Role.SECRETARIAT: 404},  # the Secretariat answers no questionnaire
    ),
    ("PUT", "/api/v1/assessments/{code}/responses/{period}"): Case(
        Permission.ASSESSMENTS_FILL, 200, target=lambda w, p: {"code": "STAFFING",
                                                               "period": "2025-H2"},
        body=lambda w, p: {"answers": {"analysts": 3}}, foreign_variant=False,
    ),
    ("POST", "/api/v1/assessments/{code}/responses/{period}/submit"): Case(
        Permission.ASSESSMENTS_FILL, 200, target=_response("2024-H2", complete=True),
        foreign_variant=False,
    ),
    ("GET", "/api/v1/assessments/{code}/results"): Case(
        Permission.ASSESSMENTS_READ, 200, target=lambda w, p: {"code": "STAFFING"},
        foreign_variant=False,
    ),
    ("GET", "/api/v1/assessments/{code}/gaps/{period}"): Case(
        Permission.ASSESSMENTS_READ, 200, target=lambda w, p: {"code": "STAFFING",
                                                               "period": "2024-H2"},
        foreign_variant=False,
    ),
    ("GET", "/api/v1/training/exercises"): Case(Permission.TRAINING_TAKE, 200),
    ("POST", "/api/v1/training/exercises/{code}/start"): Case(
        Permission.TRAINING_TAKE, 200, target=lambda w, p: {"code": "MASS"},
        foreign_variant=False,
    ),
    ("POST", "/api/v1/training/exercises/{code}/attempts"): Case(
        Permission.TRAINING_TAKE, 422, target=lambda w, p: {"code": "MASS"},
        body=lambda w, p: BROKEN_PROFILE, foreign_variant=False,
    ),
    ("GET", "/api/v1/training/attempts"): Case(Permission.TRAINING_TAKE, 200),
    ("POST", "/api/v1/training/cohorts"): Case(
        Permission.TRAINING_INSTRUCT, 201, body=lambda w, p: {"name": f"cohort {p}",
                                                              "exercises": ["MASS"]},
    ),
    ("POST", "/api/v1/training/cohorts/join"): Case(
        Permission.TRAINING_TAKE, 404, body=lambda w, p: {"join_code": "NOSUCH00"}
    ),
    ("GET", "/api/v1/training/cohorts/{cohort_id}"): Case(
        Permission.TRAINING_TAKE, 404, target=_cohort  # neither its instructor nor a member
    ),
    ("POST", "/api/v1/training/records"): Case(
        Permission.TRAINING_RECORDS, 201,
        body=lambda w, p: {"person": f"Official of {p}", "course": "Selectivity basics",
                           "completed_on": "2026-06-01"},
    ),
    ("GET", "/api/v1/training/records"): Case(Permission.TRAINING_RECORDS, 200),
}  # fmt: skip


def check_no_leak(path: str, party: str, payload: Any, engine: Engine) -> None:
    """Lists of this area hold only what ``party`` may see."""
    if path == "/api/v1/training/records":
        assert all(r["person"] == f"Official of {party}" for r in payload), payload
    if path == "/api/v1/assessments/{code}/results":
        # Submitted scores of CEFTA administrations only; that a Party's own readers see
        # their Party alone (and the RMWG every Party) is tested in tests/assessments.
        assert all(r["party"] in CEFTA_PARTIES for r in payload), payload
