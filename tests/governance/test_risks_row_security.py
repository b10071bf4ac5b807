"""Row-level security of the register and joint actions, as the API's role (PostgreSQL only)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import Engine, func, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from riskhub.access.roles import Role
from riskhub.db.tenancy import acting_for
from riskhub.governance.joint_actions import service as actions
from riskhub.governance.joint_actions.models import JointAction, JointActionReport
from riskhub.governance.joint_actions.schemas import ActionIn, ReportIn
from riskhub.governance.risks import service as risks
from riskhub.governance.risks.models import Risk
from riskhub.governance.risks.schemas import RiskIn
from tests.conftest import TEST_DATABASE_URL, is_postgres

pytestmark = pytest.mark.skipif(
    not (TEST_DATABASE_URL and is_postgres(TEST_DATABASE_URL)), reason="PostgreSQL only"
)
TODAY = date.today()
RISK = RiskIn(title="Smuggled cigarettes", category="illicit_trade", likelihood=3, impact=4,
              owner="Head of enforcement", treatment="treat", review_on=TODAY)  # fmt: skip


def _add(engine: Engine, party: str, role: Role) -> int:
    author = risks.Author(None, party, role, "t")
    with acting_for(party), Session(engine) as session, session.begin():
        return risks.add_risk(session=session, author=author, data=RISK).id


def test_a_party_reads_its_register_and_the_cefta_wide_one_only(
    engine: Engine, app_engine: Engine
) -> None:
    _add(app_engine, "RS", Role.ANALYST)
    _add(app_engine, "MK", Role.ANALYST)
    # The RMWG member of MK writes the CEFTA-wide register as XS, through the app's role.
    wide = _add(app_engine, "MK", Role.RMWG)
    with acting_for("MK"), Session(app_engine) as session:
        assert sorted(session.scalars(select(Risk.party))) == ["MK", "XS"]
        assert session.scalar(text("SELECT COUNT(*) FROM risk_changes")) == 2
    with acting_for("AL"), Session(app_engine) as session:
        assert list(session.scalars(select(Risk.id))) == [wide]
    with Session(app_engine) as session:  # no Party: not even the CEFTA-wide register
        assert session.scalar(select(func.count(Risk.id))) == 0


def test_a_party_cannot_write_the_cefta_wide_register_without_the_rmwg_switch(
    app_engine: Engine,
) -> None:
    wide = _add(app_engine, "RS", Role.RMWG)
    with acting_for("RS"), Session(app_engine) as session, session.begin():
        changed = session.execute(update(Risk).where(Risk.id == wide).values(impact=1))
        assert changed.rowcount == 0  # type: ignore[attr-defined]
    with (
        acting_for("RS"),
        Session(app_engine) as session,
        pytest.raises(DBAPIError, match="row-level security"),
        session.begin(),
    ):
        session.execute(
            text(
                "INSERT INTO risks (party, number, version, title, category, description, "
                "likelihood, impact, owner, treatment, profiles, review_on, status, created_at, "
                "updated_at) VALUES ('XS', 99, 1, 't', 'cash', '', 1, 1, 'o', 'treat', '[]', "
                "now(), 'open', now(), now())"
            )
        )


def test_joint_action_rows_are_written_by_their_owners_only(app_engine: Engine) -> None:
    body = ActionIn(title="Operation", goal="Goal", period_from=TODAY - timedelta(days=1),
                    period_to=TODAY + timedelta(days=9), participants=["MK"])  # fmt: skip
    with acting_for("RS"), Session(app_engine) as session, session.begin():
        action = actions.plan(session=session, actor=actions.Actor(None, "RS", Role.ANALYST, "a"),
                              data=body).id  # fmt: skip
    with acting_for("MK"), Session(app_engine) as session, session.begin():
        # Without the service's switch, an RMWG member of MK cannot touch RS's row...
        stolen = session.execute(
            update(JointAction).where(JointAction.id == action).values(status="closed")
        )
        assert stolen.rowcount == 0  # type: ignore[attr-defined]
    with acting_for("MK"), Session(app_engine) as session, session.begin():
        # ...the validation writes it in RS's name, after the role check.
        rmwg = actions.Actor(None, "MK", Role.RMWG, "r")
        assert actions.validate(session=session, actor=rmwg, action_id=action) is not None
    report = ReportIn(controls=5, detections=1)
    with acting_for("MK"), Session(app_engine) as session, session.begin():
        mk = actions.Actor(None, "MK", Role.ANALYST, "m")
        actions.report(session=session, actor=mk, action_id=action, data=report)
    with acting_for("RS"), Session(app_engine) as session, session.begin():
        assert session.scalars(select(JointActionReport.party)).all() == ["MK"]  # RS reads it
        changed = session.execute(update(JointActionReport).values(detections=0))
        assert changed.rowcount == 0  # type: ignore[attr-defined]
    with (
        acting_for("RS"),
        Session(app_engine) as session,
        pytest.raises(DBAPIError, match="row-level security"),
        session.begin(),
    ):
        session.add(JointActionReport(action_id=action, party="MK", controls=1, detections=0,
                                      seized_value_eur=0, comment="", reported_at=TODAY))  # fmt: skip
        session.flush()
