"""The pages in a real browser (headless Chromium from Debian, driven by Playwright)."""

from __future__ import annotations

from typing import Any

from riskhub.access.roles import Role
from tests.conftest import MakeUser
from tests.web.conftest import BrowserLogin, chart_marks, needs_chromium

pytestmark = needs_chromium


def test_sign_in_read_the_action_plan_and_its_timeline(
    chromium: Any, served: str, make_user: MakeUser
) -> None:
    token = make_user("XS", Role.SECRETARIAT, name="Secretariat M&E")
    context = chromium.new_context(base_url=served)
    try:
        page = context.new_page()
        page.goto("/action-plan")
        assert page.url.endswith("/login")  # not signed in yet
        page.get_by_label("API token").fill("rh.XS.1.wrong")
        page.get_by_role("button", name="Sign in").click()
        assert "not valid" in page.get_by_role("alert").inner_text()
        page.get_by_label("API token").fill(token)
        page.keyboard.press("Enter")  # the form works from the keyboard
        page.wait_for_url(f"{served}/")
        assert "Secretariat M&E" in page.inner_text("header")
        page.get_by_role("navigation").get_by_role("link", name="Action Plan").click()
        page.wait_for_url(f"{served}/action-plan")
        assert page.locator("tbody tr[id^=activity-]").count() == 30
        assert "Priority passage granted to 300 AEOs." in page.inner_text("#activity-L7")
        assert chart_marks(page, "#gantt") >= 30  # a bar per activity, and today's rule
        page.get_by_role("button", name="Sign out").click()
        page.wait_for_url(f"{served}/login")
        page.goto("/")
        assert page.url.endswith("/login")
    finally:
        context.close()


def test_a_party_reports_progress_from_the_activity_page(
    browser_as: BrowserLogin, make_user: MakeUser
) -> None:
    page = browser_as(make_user("BA", Role.PARTY_ADMIN, name="BA admin"))
    page.goto("/action-plan/S11")
    page.get_by_label("Status").select_option("in_progress")
    page.get_by_label("Progress (%)").fill("40")
    page.get_by_label("Comment").fill("reports sent from two offices")
    page.get_by_role("button", name="Report progress").click()
    page.wait_for_url("**/action-plan/S11")
    assert "reports sent from two offices" in page.inner_text("main")
    assert page.inner_text("#progress") == "6%"  # 40 / 7 Parties
