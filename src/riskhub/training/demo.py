"""Capacity building on demo data: assessments submitted, a cohort in the sandbox, records.

Three administrations submit the gap assessment and Serbia the staffing one;
Serbia's administrator runs a cohort on the MASS exercise and the demo officer
takes it; a few officials' courses are recorded. Everything is done in each
Party's name through the services the pages use. A second run adds nothing.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from riskhub.access.models import User
from riskhub.actionplan import measures
from riskhub.actionplan.service import period_of
from riskhub.assessments import service as assessments
from riskhub.assessments.questionnaire import Questionnaire
from riskhub.db.base import utcnow
from riskhub.db.tenancy import acting_for
from riskhub.training import service

# How far along each administration is: the answer at this position of every question.
GAP_ANSWERS = {"RS": 2, "MK": 1, "AL": 1}
HEAVY_TRUCKS = """\
code: ZZ-HEAVY-TRUCK
title: Truck weighed more than 10% above the declared gross mass
threat: mass
direction: IMPORT
criteria:
  mass_difference_pct: {gt: 10}
action: {channel: red}
weight: 55
"""
COURSES = (  # (Party, official, agency, course, completed on): fictional names
    ("RS", "Ana Petrović", "customs", "Risk-based selectivity, basic", date(2026, 3, 12)),
    ("RS", "Marko Ilić", "customs", "Risk-based selectivity, basic", date(2026, 3, 12)),
    (
        "RS",
        "Jelena Savić",
        "phytosanitary",
        "Joint risk management with customs",
        date(2026, 5, 20),
    ),
    ("MK", "Ilina Stojanovska", "customs", "Risk-based selectivity, basic", date(2026, 4, 2)),
    ("AL", "Erion Hoxha", "customs", "Data analysis for risk profiles", date(2026, 6, 9)),
)


def _answers(form: Questionnaire, pick: int) -> dict[str, object]:
    """The answer at position ``pick`` of every question (a number: the band's threshold)."""
    out: dict[str, object] = {}
    for key, (_, q) in form.questions().items():
        if q.options:
            out[key] = q.options[min(pick, len(q.options) - 1)].answer
        else:
            out[key] = q.bands[min(pick, len(q.bands) - 1)].at_least
    return out


def _submit(engine: Engine, party: str, code: str, period: str, pick: int) -> bool:
    with acting_for(party), Session(engine) as session, session.begin():
        if assessments.response(session=session, party=party, code=code, period=period):
            return False
        form, actor = assessments.questionnaire(code=code), f"demo ({party})"
        assessments.save(session=session, party=party, code=code, period=period,
                         answers=_answers(form, pick), comments={}, actor=actor)  # fmt: skip
        assessments.submit(session=session, party=party, code=code, period=period, actor=actor)
    return True


def _user(engine: Engine, party: str, name: str) -> User:
    with acting_for(party), Session(engine) as session:
        found = session.scalar(select(User).where(User.party == party, User.name == name))
    if found is None:
        raise LookupError(f"the demo user {name} of {party} is not there")
    return found


COHORT = "Preševo: weighbridge checks"


def show(*, engine: Engine, today: date | None = None) -> list[str]:
    """Do the capacity-building steps not done yet; the lines that tell what happened."""
    period = period_of(today or date.today())
    lines = ["Capacity building (S3, S4, S12, M6): assessments, the training sandbox, records"]
    fresh = [p for p, pick in GAP_ANSWERS.items() if _submit(engine, p, "RM-GAP", period, pick)]
    fresh += ["RS"] if _submit(engine, "RS", "STAFFING", period, 1) else []
    admin, officer = _user(engine, "RS", "demo-admin"), _user(engine, "RS", "demo-officer")
    trainee = service.Trainee(officer.id, "RS", officer.name, "customs")
    now = utcnow()
    with acting_for("RS"), Session(engine, expire_on_commit=False) as session, session.begin():
        # Found by its name: a rerun, in this half-year or a later one, makes no second one.
        cohort = next((c for c in service.cohorts_of(session=session, user_id=admin.id)
                       if c.name == COHORT), None)  # fmt: skip
        if cohort is None:
            cohort = service.create_cohort(session=session, party="RS", name=COHORT,
                                           exercises=["MASS"], instructor_id=admin.id,
                                           instructor=admin.name, now=now)  # fmt: skip
            fresh.append("cohort")
        service.join(session=session, join_code=cohort.join_code, trainee=trainee, now=now)
        cohort_id = cohort.id
        attempts = [a for a in service.attempts_of(session=session, user_id=officer.id)
                    if a.cohort_id == cohort_id]  # fmt: skip
    if not attempts:  # also after a run that stopped between the cohort and the attempt
        service.start(engine=engine, code="MASS")
        attempts = [service.submit(engine=engine, code="MASS", texts=[HEAVY_TRUCKS],
                                   trainee=trainee, cohort_id=cohort_id, now=now)]  # fmt: skip
        fresh.append("attempt")
    for party, person, agency, course, on in COURSES:  # one record per person, course and day
        with acting_for(party), Session(engine) as session, session.begin():
            service.record(session=session, party=party, person=person, agency=agency,
                           course=course, kind="course", completed_on=on, score=None,
                           recorded_by="demo", now=now)  # fmt: skip
    if not fresh:
        lines.append("  assessments, cohort and records made by an earlier run")
    with Session(engine) as session:
        results = assessments.results(session=session, parties=list(GAP_ANSWERS), code="RM-GAP")
    for r in results:
        lines.append(f"  {r['party']} gap assessment {r['period']}: {r['overall']}% ({r['level']})")
    best = max(attempts, key=lambda a: a.score)
    lines.append(f"  demo-officer scored {best.score} on the MASS exercise "
                 f"({'passed' if best.passed else 'not passed'}) in the sandbox")  # fmt: skip
    measured = measures.measure_all(engine=engine)
    for code in ("S3", "S4", "M6"):
        m = measured[code]
        value = f"{m.value:.0%}" if m.unit == "share" else f"{m.value:g}"
        target = f"{m.target:.0%}" if m.unit == "share" else f"{m.target:g}"
        lines.append(f"  {code}: {value} (target {target})")
    return lines
