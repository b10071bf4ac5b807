"""The demo's risk register and joint action: a few risks, an emerging threat's candidate
profile (backtested), the heat maps, and one joint action reported by RS, MK and AL."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from riskhub.access.roles import Role
from riskhub.db.tenancy import acting_for
from riskhub.governance.joint_actions import service as actions
from riskhub.governance.joint_actions.schemas import ActionIn, ReportIn
from riskhub.governance.risks import candidates, service
from riskhub.governance.risks.heatmap import lines as heatmap_lines
from riskhub.governance.risks.models import Risk
from riskhub.governance.risks.schemas import CandidateIn, RiskIn
from riskhub.kpis import service as kpis
from riskhub.profiles.backtest import backtest
from riskhub.profiles.models import RiskProfile
from riskhub.reference.parties import SECRETARIAT_PARTY

# Falsified medicines and protective equipment, as in the last health crisis (M8).
EMERGING_INDICATORS = """\
all:
  - hs_code: {startswith: ['3004', '3005', '6307', '9018', '9020']}
  - any:
      - origin_country: [CN, IN, TR]
      - customs_value_eur: {lt: 2000}
"""
PARTICIPANTS = ("RS", "MK", "AL")  # RS plans; MK and AL take part
ACTION_PROFILE = "CEFTA-EXC-001"
CIGARETTES = "Cigarette smuggling on Corridor X"  # the common excise profile the action works with


def _existing(engine: Engine, party: str, codes: list[str]) -> list[str]:
    with acting_for(party), Session(engine) as session:
        found = set(session.scalars(select(RiskProfile.code).where(RiskProfile.party == party)))
    return [code for code in codes if code in found]


def _add(engine: Engine, author: service.Author, **fields: object) -> Risk:
    review = date.today() + timedelta(days=int(str(fields.pop("review_in", 90))))
    data = RiskIn.model_validate({**fields, "review_on": review})
    with (
        acting_for(author.party),
        Session(engine, expire_on_commit=False) as session,
        session.begin(),
    ):
        return service.add_risk(session=session, author=author, data=data)


def show(*, engine: Engine, since: datetime, until: datetime) -> list[str]:
    """Record (once) the demo's risks and joint action over the traffic period; lines to print."""
    analyst = {p: service.Author(None, p, Role.ANALYST, f"demo-analyst-{p}") for p in PARTICIPANTS}
    rmwg = service.Author(None, "RS", Role.RMWG, "demo-rmwg-RS")
    lines = ["Risk register (RMWG): risks, heat map, an emerging threat, a joint action"]
    with acting_for(SECRETARIAT_PARTY), Session(engine) as session:
        done = session.scalars(
            select(Risk).where(Risk.party == SECRETARIAT_PARTY, Risk.title == CIGARETTES)
        ).first()
    if done is not None:
        return [*lines, "  recorded by an earlier run: riskhub risks list --party XS"]
    common = _existing(engine, SECRETARIAT_PARTY, ["CEFTA-UV-001", "CEFTA-EXC-001"])
    own = _add(
        engine,
        analyst["RS"],
        title="Undervalued textiles and footwear from Asia",
        category="undervaluation",
        likelihood=4,
        impact=3,
        owner="Head of risk analysis",
        treatment="treat",
        profiles=[f"XS/{p}" for p in common if "UV" in p],
    )
    drugs = _add(
        engine,
        analyst["MK"],
        title="Cocaine in fruit containers via Thessaloniki",
        category="drugs",
        likelihood=2,
        impact=5,
        owner="Drugs unit",
        treatment="treat",
    )
    cash = _add(
        engine,
        analyst["AL"],
        title="Cash couriers at Rinas airport",
        category="cash",
        likelihood=3,
        impact=2,
        owner="Airport customs",
        treatment="tolerate",
    )
    cigarettes = _add(
        engine,
        rmwg,
        title=CIGARETTES,
        category="illicit_trade",
        likelihood=5,
        impact=4,
        owner="RMWG chair",
        treatment="treat",
        profiles=[f"XS/{p}" for p in common if "EXC" in p],
    )
    threat = _add(
        engine,
        rmwg,
        title="Falsified medicines and protective equipment",
        category="health_crisis",
        likelihood=3,
        impact=5,
        owner="RMWG chair",
        treatment="treat",
        indicators=EMERGING_INDICATORS,
        description="Emerging threat (M8): demand spikes in a health crisis.",
    )
    lines.append(
        f"  recorded {', '.join(service.reference(r) for r in (own, drugs, cash))} and CEFTA-wide "
        f"{service.reference(cigarettes)}, {service.reference(threat)} (emerging)"
    )
    lines += _candidate(engine, analyst["RS"], threat, since, until)
    with acting_for(SECRETARIAT_PARTY), Session(engine) as session:
        oversight = service.heatmap(session=session, party=SECRETARIAT_PARTY, role=Role.SECRETARIAT)
    with acting_for("RS"), Session(engine) as session:
        rs = service.heatmap(session=session, party="RS", role=Role.ANALYST)
    lines += ["  " + line for line in heatmap_lines(rs)]
    lines += ["  " + line for line in heatmap_lines(oversight)]
    lines += _joint_action(engine, cigarettes, since, until)
    return lines


def _candidate(
    engine: Engine, author: service.Author, threat: Risk, since: datetime, until: datetime
) -> list[str]:
    code = f"RS-HC-{threat.number:03d}"
    with acting_for("RS"), Session(engine) as session, session.begin():
        if (
            session.scalars(
                select(RiskProfile.id).where(RiskProfile.party == "RS", RiskProfile.code == code)
            ).first()
            is not None
        ):
            return [f"  candidate {code} exists already"]
        made = candidates.generate(
            session=session,
            author=author,
            risk_id=threat.id,
            data=CandidateIn(code=code, channel="yellow"),
        )
        assert made is not None
        text = made.document
    report = backtest(engine=engine, party="RS", text=text, since=since, until=until)
    return [
        f"  RS generated draft profile {code} from {service.reference(threat)}'s indicators; "
        f"backtest over the traffic ({since:%Y-%m-%d} to {until:%Y-%m-%d}): "
        f"{report.hits} of {report.declarations} declarations hit, "
        f"{report.found} of {report.inspected} inspected were found non-compliant"
    ]


def _joint_action(engine: Engine, cigarettes: Risk, since: datetime, until: datetime) -> list[str]:
    plan = ActionIn(
        title="Operation Corridor X",
        goal=f"Cigarette smuggling ({service.reference(cigarettes)})",
        period_from=date.today() - timedelta(days=7),
        period_to=date.today() + timedelta(days=7),
        participants=[p for p in PARTICIPANTS if p != "RS"],
        agencies=["customs", "border police"],
        profiles=[f"XS/{ACTION_PROFILE}"],
        rifs=[],
    )
    with acting_for("RS"), Session(engine) as session, session.begin():
        proposer = actions.Actor(None, "RS", Role.ANALYST, "demo-analyst-RS")
        action_id = actions.plan(session=session, actor=proposer, data=plan).id
    rmwg = actions.Actor(None, "MK", Role.RMWG, "demo-rmwg-MK")
    with acting_for("MK"), Session(engine) as session, session.begin():
        actions.validate(
            session=session,
            actor=rmwg,
            action_id=action_id,
            comment="Validated at the RMWG meeting",
        )
    # Each participant reports what its own controls with the action's profile found; the
    # demo's traffic is months old, so its last 30 days stand in for the action's weeks.
    name = f"{SECRETARIAT_PARTY}/{ACTION_PROFILE}"
    since = max(since, until - timedelta(days=30))
    for party in PARTICIPANTS:
        found = kpis.profile_at(engine=engine, party=party, name=name, since=since, until=until)
        result = ReportIn(
            controls=found["inspected"],
            detections=found["hits"],
            seized_value_eur=found["revenue_eur"],
            comment=f"controls selected by {ACTION_PROFILE}, {since:%Y-%m-%d} to {until:%Y-%m-%d}",
        )
        actor = actions.Actor(None, party, Role.ANALYST, f"demo-analyst-{party}")
        with acting_for(party), Session(engine) as session, session.begin():
            actions.report(session=session, actor=actor, action_id=action_id, data=result)
    with acting_for("MK"), Session(engine) as session, session.begin():
        row = actions.get_action(session=session, actor=rmwg, action_id=action_id)
        assert row is not None
        return ["  " + line for line in actions.describe(session, row)]
