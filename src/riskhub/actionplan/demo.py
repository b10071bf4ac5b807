"""The Action Plan tracker on demo data: progress reported by a few Parties, two reviews to compare.

``show`` records what the administrations and the Secretariat might report
(each in its own name, as on the activity pages), takes the previous
half-year's review before and the current one after, and returns printable
lines. A second run finds the reports and reviews and adds nothing.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from riskhub.actionplan import measures, service
from riskhub.db.base import utcnow
from riskhub.db.tenancy import acting_for

# (Party, activity, status, progress, evidence, comment): what each might report.
REPORTS: tuple[tuple[str, str, str, int, str, str], ...] = (
    ("XS", "S1", "done", 100, "CEFTA Joint Committee Recommendation 1/2025", ""),
    ("XS", "S5", "in_progress", 60, "", "dashboard in riskhub, pilot with the RMWG"),
    ("RS", "S9", "done", 100, "risk-based selectivity live at Preševo and Batrovci",
     "pilot evaluated by the RMWG"),
    ("MK", "S9", "in_progress", 70, "", "Tabanovce live, Blace next quarter"),
    ("AL", "S9", "in_progress", 40, "", "Kakavijë pilot started"),
    ("RS", "S11", "done", 100, "inspection reports sent automatically since June", ""),
    ("MK", "S11", "in_progress", 50, "", "interface with the national system in testing"),
    ("ME", "S7", "delayed", 20, "", "legal basis for data exchange under review"),
    ("BA", "S7", "in_progress", 30, "", ""),
    ("RS", "S6", "done", 100, "voted on the common profile set at the RMWG", ""),
    ("MD", "S3", "in_progress", 50, "", "gap assessment questionnaire filled in"),
)  # fmt: skip


def previous_period(period: str) -> str:
    """The half-year before ``period`` (2026-H2 → 2026-H1 → 2025-H2)."""
    year, half = period.split("-H")
    return f"{year}-H1" if half == "2" else f"{int(year) - 1}-H2"


def show(*, engine: Engine, today: date | None = None) -> list[str]:
    """Take the last review, record the Parties' reports, take this half-year's; the story."""
    today = today or date.today()
    last, this = previous_period(service.period_of(today)), service.period_of(today)
    lines = ["Action Plan tracker (S5): progress reported, and two semi-annual reviews"]
    with Session(engine) as session:
        taken = {s.period for s in service.snapshots(session=session)}
        reported = bool(service.current(session=session))
    if reported:
        lines.append("  progress reports and reviews recorded by an earlier run")
    else:
        if last not in taken:
            _review(engine, last)
        _report_all(engine)
        if this not in taken:
            _review(engine, this)
        administrations = len({r[0] for r in REPORTS} - {"XS"})
        lines.append(f"  {len(REPORTS)} progress reports from {administrations} administrations "
                     f"and the Secretariat; reviews {last} and {this}")  # fmt: skip
    with Session(engine) as session:
        by_period = {s.period: s for s in service.snapshots(session=session)}
    if last in by_period and this in by_period:
        for r in service.compare(by_period[last], by_period[this]):
            if r["delta"]:
                lines.append(f"  {r['code']:<4} {r['before']:>3}% → {r['after']:>3}%  "
                             f"(reported by {', '.join(r['changed'])})")  # fmt: skip
    return lines


def _report_all(engine: Engine) -> None:
    for party, code, status, progress, evidence, comment in REPORTS:
        with acting_for(party), Session(engine) as session, session.begin():
            service.report(session=session, party=party, activity=code, status=status,
                           progress=progress, evidence=evidence, comment=comment,
                           actor=f"demo ({party})", now=utcnow())  # fmt: skip


def _review(engine: Engine, period: str) -> None:
    measured = measures.measure_all(engine=engine)
    with acting_for("XS"), Session(engine) as session, session.begin():
        service.take_snapshot(session=session, party="XS", period=period, measured=measured,
                              actor="demo (Secretariat)", now=utcnow())  # fmt: skip
