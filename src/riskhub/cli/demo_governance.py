"""Demo step 7: a RIF from Serbia becomes a common profile the RMWG adopts and three Parties use.

Serbia raises a RIF on footwear, garments and handbags undervalued at import
and shares it with the CEFTA Parties. North Macedonia and Albania answer it
from their own inspection results. North Macedonia turns it into a draft common
profile, narrows it to prices well below the reference, and proposes it. The
CEFTA Parties vote; the RMWG adopts and publishes it; Serbia, North Macedonia
and Albania switch it on, Bosnia and Herzegovina records why it does not. The
next month's traffic is then judged by it, and what each Party's controls
found comes back as feedback (printed after step 9).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import yaml
from rich.table import Table
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from riskhub.cli.common import console
from riskhub.db.base import utcnow
from riskhub.db.tenancy import acting_for
from riskhub.governance.common_profiles import from_rif, publication, service
from riskhub.governance.common_profiles.models import CommonProfileCase
from riskhub.governance.rifs import service as rifs
from riskhub.governance.rifs.models import Rif
from riskhub.governance.rifs.schemas import RifIn

TITLE = "Footwear, garments and handbags undervalued at import"
RIF = {
    "title": TITLE,
    "risk_area": "financial",
    "description": "Consignments of footwear, garments and leather handbags declared far "
    "below the prices of the same goods from the same origin.",
    "modus_operandi": "A second invoice or an off-book payment settles the rest of the price.",
    "indicators": ["unit value per kg well below the reference", "new importer of the goods"],
    "hs_codes": ["6403", "6109", "6203", "4202"],
    "detection_technique": "unit value against the reference price, then documentary check",
    "recommended_control": "Ask for the sales contract, the invoice and proof of payment",
    "urgency": "routine",
    "distribution": "cefta",
    "tlp": "AMBER",
    "share": True,
}
VOTES = (
    ("RS", "approve", ""),
    ("MK", "approve", ""),
    ("AL", "approve", ""),
    ("BA", "approve", ""),
    ("ME", "reject", "our valuation control already covers these goods"),
    ("MD", "abstain", ""),
)
USERS = ("RS", "MK", "AL")
DECLINED = ("BA", "a national profile on the same goods is active; to be merged at review")


def cycle(*, engine: Engine, since: datetime, until: datetime) -> int:
    """Run (once) the RIF → vote → adoption → activation cycle; print it; the case id."""
    began, now = utcnow(), utcnow()
    with Session(engine) as session:
        done = session.scalars(
            select(CommonProfileCase)
            .join(Rif, Rif.id == CommonProfileCase.source_rif_id)
            .where(Rif.title == TITLE, Rif.party == "RS")
        ).first()
        if done is not None:
            console.print(f"7. Governance: {done.code} is {done.status} (done by an earlier run).")
            return done.id
    steps: list[tuple[str, str, str]] = []
    with acting_for("RS"), Session(engine) as session, session.begin():
        body = RifIn.model_validate({**RIF, "valid_until": (now + timedelta(days=180)).date()})
        rif = rifs.raise_rif(session=session, party="RS", body=body, user_id=None, now=now)
        rif_id, number = rif.id, rif.number
    steps.append(("RS", "raised and shared", f"{number}: {TITLE}"))
    for party in ("MK", "AL"):
        with acting_for(party), Session(engine) as session, session.begin():
            row = rifs.get_rif(session=session, party=party, rif_id=rif_id)
            assert row is not None
            answer = rifs.feedback_from_inspections(session=session, party=party, row=row,
                                                    since=since, until=until)  # fmt: skip
            rifs.give_feedback(session=session, party=party, rif_id=rif_id, body=answer,
                               user_id=None, now=now)  # fmt: skip
        value = f", EUR {answer.value_detected_eur:,.0f}" if answer.value_detected_eur else ""
        steps.append((party, "RIF feedback", f"{answer.controls} controls of these goods, "
                      f"{answer.detections} found something{value}"))  # fmt: skip
    with acting_for("MK"), Session(engine) as session, session.begin():
        case = from_rif.draft_from_rif(session=session, party="MK", rif_id=rif_id, user_id=None,
                                       now=now)  # fmt: skip
        assert case is not None
        case_id, code = case.id, case.code
        document = yaml.safe_load(case.document)
        # The drafters narrow "all these goods" to prices well below the reference.
        document["criteria"] = {"all": [document["criteria"],
                                        {"unit_value_deviation_pct": {"lt": -30}},
                                        {"reference_items": {"gte": 5}}]}  # fmt: skip
        document["action"]["channel"] = "yellow"
        text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True)
        service.redraft(session=session, party="MK", case_id=case_id, text=text, user_id=None,
                        now=now)  # fmt: skip
        service.propose(session=session, party="MK", case_id=case_id, user_id=None, now=now)
    steps.append(("MK", "drafted from the RIF", f"{code}, narrowed to prices 30% under reference"))
    steps.append(("MK", "proposed to the RMWG", f"quorum {service.quorum()} of 7 CEFTA Parties"))
    for party, choice, comment in VOTES:
        with acting_for(party), Session(engine) as session, session.begin():
            service.vote(session=session, party=party, case_id=case_id, choice=choice,
                         comment=comment, user_id=None, now=now)  # fmt: skip
        steps.append((party, f"voted {choice}", comment))
    with acting_for("MK"), Session(engine) as session, session.begin():
        service.adopt(session=session, party="MK", case_id=case_id, user_id=None, now=now)
        published = publication.publish(session=session, party="MK", case_id=case_id,
                                        user_id=None, now=now)  # fmt: skip
        assert published is not None
        review_due = published.review_due
    steps.append(("RMWG", "adopted and published", f"4 approvals; review due {review_due}"))
    for party in USERS:
        with acting_for(party), Session(engine) as session, session.begin():
            publication.decide_locally(session=session, party=party, case_id=case_id,
                                       active=True, reason="", user_id=None, now=now)  # fmt: skip
        steps.append((party, "activated locally", "judges its declarations from now on"))
    party, reason = DECLINED
    with acting_for(party), Session(engine) as session, session.begin():
        publication.decide_locally(session=session, party=party, case_id=case_id,
                                   active=False, reason=reason, user_id=None, now=now)  # fmt: skip
    steps.append((party, "declined locally", reason))
    table = Table("Party", "step", "detail", title=f"7. From a RIF to a common profile ({code})")
    for row_ in steps:
        table.add_row(*row_)
    console.print(table)
    with Session(engine) as session:
        kpi = publication.adoption(session=session)
    console.print(
        f"   S6: {kpi['share_approving_all']:.0%} of the CEFTA Parties approved every common "
        f"profile in force (target 50%). Every step is in the case's trail: "
        f"[bold]riskhub governance profile show --party MK {case_id}[/]. "
        f"Done in {(utcnow() - began).total_seconds():.1f} s."
    )
    return case_id


def feedback(*, engine: Engine, case_id: int, since: datetime, until: datetime) -> None:
    """Print how the common profile did at each Party that switched it on."""
    with Session(engine) as session:
        case = session.get(CommonProfileCase, case_id)
        assert case is not None
        rows = publication.feedback(engine=engine, session=session, case=case, since=since,
                                    until=until)  # fmt: skip
    table = Table("Party", "matched", "selected", "inspected", "found something", "revenue €",
                  title=f"{case.code} at work: feedback from the Parties' controls, "
                  f"{since:%Y-%m-%d} to {until:%Y-%m-%d}")  # fmt: skip
    for r in rows:
        counts = [f"{r[k]:,}" for k in ("matches", "selected", "inspected", "hits")]
        table.add_row(r["party"], *counts, f"{r['revenue_eur']:,.0f}")
    console.print(table)
