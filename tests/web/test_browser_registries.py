"""The registries, the exchange monitor and the audit log in a real browser (headless Chromium)."""

from __future__ import annotations

from sqlalchemy import Engine

from riskhub.access.roles import Role
from tests.conftest import MakeUser
from tests.registries.support import issue, lpco
from tests.web.conftest import BrowserLogin, chart_marks, needs_chromium
from tests.web.test_exchange_pages import traffic

pytestmark = needs_chromium


def test_an_agency_officer_suspends_an_lpco_with_a_reason(
    browser_as: BrowserLogin, make_user: MakeUser, engine: Engine
) -> None:
    licence = issue(engine, "RS-PHY-7", kind="certificate", agency="phytosanitary",
                    hs_scope=["0808"])  # fmt: skip
    issue(engine, "RS-LIC-8")  # market surveillance's: not on this officer's page
    page = browser_as(make_user("RS", Role.AGENCY_OFFICER, name="Phyto", agency="phytosanitary"))
    page.get_by_role("navigation").get_by_role("link", name="Registries").click()
    page.wait_for_url("**/registries")
    assert "RS-LIC-8" not in page.inner_text("main")
    page.get_by_role("link", name="RS-PHY-7").click()
    page.wait_for_url("**/registries/lpco/RS-PHY-7")
    assert page.inner_text("#lpco-status") == "active"
    assert "0 of 1,000 kg used, 1,000 left" in page.inner_text("#lpco-allowance")
    page.get_by_label("Reason (kept in the LPCO's history)").fill("holder under investigation")
    page.get_by_role("button", name="Suspend the LPCO").click()
    page.wait_for_url("**/registries/lpco/RS-PHY-7")
    assert page.inner_text("#lpco-status") == "suspended"
    assert "holder under investigation" in page.inner_text("#lpco-history")
    assert page.get_by_role("button", name="Reinstate the LPCO").is_visible()
    assert lpco(engine, licence).status == "suspended"


def test_the_exchange_monitor_draws_messages_per_day(
    browser_as: BrowserLogin, make_user: MakeUser, engine: Engine
) -> None:
    traffic(engine)
    page = browser_as(make_user("RS", Role.ANALYST, name="Ana"))
    page.goto("/exchange")
    # One day of traffic: delivered, pending and failed messages out stacked in one column.
    assert chart_marks(page, "#exchange-chart") == 3
    assert "no route to al-hub" in page.inner_text("#failures")


def test_an_auditor_sees_their_sign_in_and_the_chain_verified(
    browser_as: BrowserLogin, make_user: MakeUser
) -> None:
    page = browser_as(make_user("RS", Role.AUDITOR, name="Auditor"))
    page.get_by_role("navigation").get_by_role("link", name="Audit log").click()
    page.wait_for_url("**/audit")
    # Newest first: the home page shown after signing in, then the sign-in itself.
    rows = page.locator("#audit-records tbody tr")
    assert "GET /\t" in rows.nth(0).inner_text() and "user:1 (auditor)" in rows.nth(0).inner_text()
    assert "web.login" in rows.nth(1).inner_text() and "signed in" in rows.nth(1).inner_text()
    page.wait_for_selector("#chain-verdict")  # swapped in by htmx once the check is done
    # ... and by then the view of this page too.
    assert page.inner_text("#chain-verdict").startswith("The chain verifies: 3 records")
    page.get_by_label("Action starts with").fill("web.logout")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**/audit?action=web.logout**")
    assert "No record matches this filter." in page.inner_text("main")
