"""The analyst workbench in a real browser: write, check, backtest and save a profile; models."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from riskhub.access.roles import Role
from riskhub.db.tenancy import acting_for
from riskhub.selectivity import service as selectivity
from riskhub.targeting import registry
from riskhub.targeting.model import RiskModel, fit
from tests.conftest import MakeUser
from tests.helpers import nested
from tests.selectivity.test_service import HEAVY, activate, load, with_item
from tests.targeting.test_features_and_bias import traffic
from tests.web.conftest import BrowserLogin, chart_marks, needs_chromium
from tests.web.test_workbench import METRICS

pytestmark = needs_chromium


def test_an_analyst_writes_checks_backtests_and_saves_a_profile(
    browser_as: BrowserLogin, make_user: MakeUser, engine: Engine
) -> None:
    activate(engine, HEAVY.replace("RS-HEAVY", "RS-OTHER"))
    load(engine,
         with_item("B1", net_mass="900", gross_mass="950", known_outcome="under_declared_mass",
                   known_revenue_eur="120.5"),
         with_item("B2", net_mass="900", gross_mass="950"),
         nested("B3"))  # fmt: skip
    selectivity.decide_pending(engine_=engine, party="RS")
    page = browser_as(make_user("RS", Role.ANALYST))
    page.goto("/profiles")
    page.get_by_role("link", name="Write a new profile").click()
    page.wait_for_url("**/profiles/new")

    editor = page.get_by_label("Profile (YAML)")
    assert HEAVY.endswith("weight: 40\n")
    editor.fill(HEAVY.removesuffix("weight: 40\n"))
    editor.press("Control+End")
    page.keyboard.type("weight: 400")  # a mistake, typed: weights go up to 100
    # The problem appears beside its line as it is typed (the text filled in had no weight).
    typed = page.locator("#problem-list li", has_text="line 9")
    typed.wait_for()
    assert "less than or equal to 100" in typed.inner_text()
    assert "9 │ weight: 400" in typed.inner_text()
    page.keyboard.press("Backspace")  # weight: 40
    page.locator("#no-problems").wait_for()
    assert page.locator("#problem-list").count() == 0

    page.get_by_role("button", name="Backtest").click()
    assert chart_marks(page, "#backtest-chart") > 0
    assert page.inner_text("#bt-hits") == "2"
    assert page.inner_text("#bt-found") == "1"

    page.get_by_role("button", name="Save as draft").click()
    page.wait_for_url("**/profiles/RS-HEAVY?saved=created")
    assert page.inner_text("#status") == "draft"
    page.get_by_role("button", name="Activate").click()
    page.wait_for_url("**/profiles/RS-HEAVY")
    assert page.inner_text("#status") == "active"
    page.get_by_role("navigation").get_by_role("link", name="Profiles", exact=True).click()
    row = page.locator("#profile-RS-RS-HEAVY")
    assert "Heavy laptops" in row.inner_text() and "active" in row.inner_text()
    # The review follows the list: the new profile has nothing decided under it yet.
    page.locator("#review-RS-RS-OTHER").wait_for()


@pytest.fixture(scope="module")
def model() -> RiskModel:
    return fit(traffic(800, 21), rounds=20)


def test_the_model_monitor_draws_the_metrics_and_approves_a_challenger(
    browser_as: BrowserLogin, make_user: MakeUser, engine: Engine, model: RiskModel
) -> None:
    with acting_for("RS"), Session(engine) as session, session.begin():
        for _ in range(2):
            registry.register(session=session, party="RS", model=model, trained_by="retrain",
                              metrics=METRICS)  # fmt: skip
        registry.approve(session=session, party="RS", version=1, role="champion",
                         approved_by="head")  # fmt: skip
    page = browser_as(make_user("RS", Role.ANALYST, name="Head of risk"))
    page.goto("/models")
    assert chart_marks(page, "#metrics-chart") == 2 * 4  # two versions, four metrics each
    page.get_by_role("button", name="Approve v2 as the challenger").click()
    page.wait_for_url("**/models")
    assert "v2, in shadow since" in page.inner_text("#challenger")
    assert page.get_by_role("button", name="Approve v2 as the challenger").count() == 0
    page.locator("#drift").get_by_text("Champion v1").wait_for()
