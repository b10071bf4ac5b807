"""In a real browser: an officer works the queue and records a control; the analyst's KPIs move."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Engine

from riskhub.access.roles import Role
from riskhub.db.engine import get_engine
from riskhub.kpis import service as kpis
from riskhub.reference.parties import SECRETARIAT_PARTY
from riskhub.selectivity import service as selectivity
from riskhub.synth import officers
from tests.conftest import MakeUser
from tests.helpers import nested
from tests.selectivity.test_service import load, with_item
from tests.web.conftest import BrowserLogin, chart_marks, needs_chromium
from tests.web.test_queue import rules, traffic

pytestmark = needs_chromium


def worked_weeks(engine: Engine) -> None:
    """Four weeks of Batrovci traffic (a red, a yellow and a green consignment a day),
    controlled and released by the demo's officers: weeks, intervals and release times."""
    today = date.today()
    bodies = []
    for n in range(84):
        lodged = f"{today - timedelta(days=31 - n // 3)}T{9 + n % 3:02d}:00:00Z"
        body = (with_item(f"W-{n}", net_mass="900", gross_mass="950") if n % 3 == 0
                else with_item(f"W-{n}", customs_value_eur="20000") if n % 3 == 1
                else nested(f"W-{n}"))  # fmt: skip
        bodies.append({**body, "office": "RS-BAT", "lodged_at": lodged})
    load(engine, *bodies)
    selectivity.decide_pending(engine_=engine, party="RS")
    done = officers.simulate(engine=engine, party="RS", owner=SECRETARIAT_PARTY)
    assert done.rejected == 0 and done.release_times == 84


def headline(page: Any) -> tuple[int, int]:
    return int(page.inner_text("#total-inspections")), int(page.inner_text("#total-hits"))


def test_an_officer_records_a_control_from_the_queue_and_the_kpis_move(
    browser_as: BrowserLogin, make_user: MakeUser, engine: Engine
) -> None:
    rules(engine)
    worked_weeks(engine)
    ids = traffic(engine, day=date.today() - timedelta(days=3))
    # What the KPI API gives Serbia's analysts for the default period, before the control.
    first, last = kpis.period(None, None)
    (before,) = kpis.kpi_table(engine=get_engine(), parties=["RS"], since=first, until=last,
                               by=None)  # fmt: skip
    analyst = browser_as(make_user("RS", Role.ANALYST, name="Ana"))
    analyst.goto("/kpis")
    assert headline(analyst) == (before["inspections"], before["hits"])

    officer = browser_as(make_user("RS", Role.OFFICER, name="Officer Pre", offices=["RS-PRE"]))
    officer.get_by_role("navigation").get_by_role("link", name="Work queue").click()
    officer.wait_for_url("**/queue")
    rows = officer.locator("#queue tbody tr")
    assert rows.count() == 4
    # Priority passage: the AEO's consignment is first, though it was lodged first.
    top = rows.first
    assert top.get_attribute("id") == f"consignment-{ids['aeo']}"
    assert "AEO priority" in top.inner_text() and "red" in (top.get_attribute("class") or "")
    top.get_by_role("link", name=re.compile("^Inspect")).click()
    officer.wait_for_url(f"**/queue/{ids['aeo']}")

    # Work through the checklist as it is laid out: every item answered, weighing failed.
    sheet = officer.get_by_role("group", name=re.compile(r"^Physical examination"))
    items = sheet.locator("fieldset")
    assert items.count() == 4
    for n in range(items.count()):
        item = items.nth(n)
        weighing = "Gross mass weighed" in item.locator("legend").inner_text()
        item.get_by_label("no" if weighing else "yes", exact=True).check()
    sheet.get_by_label("Evidence kept: weighbridge ticket").fill("ticket 7781")
    officer.get_by_label("Control report number").fill("CR-WEB-1")
    officer.get_by_label("Outcome").select_option("discrepancy")
    officer.get_by_label("Finding 1: category").select_option("quantity_mass")
    officer.get_by_label("Finding 1: goods item number").fill("1")
    officer.get_by_label("Additional revenue assessed (EUR)").fill("250")
    officer.get_by_role("button", name="Record the result").click()
    officer.wait_for_url("**/queue?recorded=CR-WEB-1")
    assert "Control report CR-WEB-1 recorded" in officer.get_by_role("status").inner_text()
    assert officer.locator(f"#consignment-{ids['aeo']}").count() == 0
    assert officer.locator("#queue tbody tr").count() == 3

    # The analyst's KPIs: one more inspected declaration, and one more hit.
    analyst.reload()
    assert headline(analyst) == (before["inspections"] + 1, before["hits"] + 1)
    for chart in ("#kpi-rates", "#kpi-volume", "#release-times"):
        assert chart_marks(analyst, chart) > 0, chart
    # Release times: a box for each channel the weeks had (green, yellow, red).
    assert analyst.locator("#release tbody tr").count() == 3


def test_a_bad_result_is_shown_in_place_and_the_kpis_chart_for_the_secretariat(
    browser_as: BrowserLogin, make_user: MakeUser, engine: Engine
) -> None:
    rules(engine)
    worked_weeks(engine)
    ids = traffic(engine, day=date.today() - timedelta(days=3))
    officer = browser_as(make_user("RS", Role.OFFICER, offices=["RS-PRE"]))
    officer.goto(f"/queue/{ids['h1']}")
    officer.get_by_label("Control report number").fill("CR-WEB-2")
    officer.get_by_label("Outcome").select_option("discrepancy")  # and no finding
    officer.get_by_role("button", name="Record the result").click()
    alert = officer.get_by_role("alert")
    assert "outcome 'discrepancy' needs at least one finding" in alert.inner_text()
    assert officer.get_by_label("Control report number").input_value() == "CR-WEB-2"
    officer.goto("/queue")
    assert officer.locator(f"#consignment-{ids['h1']}").count() == 1

    secretariat = browser_as(make_user("XS", Role.SECRETARIAT))
    secretariat.goto("/kpis")
    # Serbia alone has traffic; only its weeks of ten declarations or more are shown.
    assert secretariat.locator("#by-party tbody tr").count() == 1
    weeks = secretariat.locator("#series tbody tr")
    assert weeks.count() >= 3  # the full weeks: 21 declarations each
    for n in range(weeks.count()):
        assert int(weeks.nth(n).locator("td").first.inner_text()) >= 10
    for chart in ("#kpi-rates", "#kpi-volume", "#release-times"):
        assert chart_marks(secretariat, chart) > 0, chart
