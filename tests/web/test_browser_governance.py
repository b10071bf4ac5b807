"""The governance pages in a real browser: RMWG members vote and adopt; the heat map draws."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from fastapi.testclient import TestClient

from riskhub.access.roles import Role
from tests.conftest import MakeUser
from tests.web.conftest import BrowserLogin, chart_marks, needs_chromium
from tests.web.test_governance import _proposed, api

pytestmark = needs_chromium


def test_four_parties_vote_through_the_page_and_the_fourth_adopts(
    browser_as: BrowserLogin, make_user: MakeUser, client: TestClient
) -> None:
    case = _proposed(client, make_user("RS", Role.ANALYST, name="Drafter"))
    url = f"/governance/common-profiles/{case}"
    members = {p: browser_as(make_user(p, Role.RMWG, name=f"RMWG {p}"))
               for p in ("RS", "MK", "AL", "BA")}  # fmt: skip
    for approvals, (party, page) in enumerate(members.items(), start=1):
        page.goto(url)
        assert page.inner_text("#tally").startswith(f"{approvals - 1} of 4 approvals")
        assert page.get_by_role("button", name="Adopt").count() == 0
        page.get_by_label("Approve").check()
        with page.expect_navigation():
            page.get_by_role("button", name="Cast the vote").click()
        assert page.inner_text("#tally").startswith(f"{approvals} of 4 approvals")
        assert f"{party} voted approve" in page.inner_text("main")
        assert page.get_by_role("button", name="Cast the vote").count() == 0  # once per Party
    first = members["RS"]
    first.reload()
    assert first.inner_text("#tally").startswith("4 of 4 approvals")
    last = members["BA"]
    with last.expect_navigation():
        last.get_by_role("button", name="Adopt").click()
    assert last.inner_text("#case-status") == "adopted"
    assert [r.inner_text() for r in last.locator("#votes tbody th").all()] == [
        "AL", "BA", "MK", "RS"
    ]  # fmt: skip
    first.goto("/governance/common-profiles")
    assert "adopted" in first.inner_text(f"#case-{case}")


def _risk(likelihood: int, impact: int, title: str) -> dict[str, Any]:
    return {"title": title, "category": "undervaluation", "likelihood": likelihood,
            "impact": impact, "owner": "Head of risk analysis", "treatment": "treat",
            "review_on": (date.today() + timedelta(days=90)).isoformat()}  # fmt: skip


def test_the_heat_map_draws_every_cell_and_a_count_on_each_occupied_one(
    browser_as: BrowserLogin, make_user: MakeUser, client: TestClient
) -> None:
    analyst = make_user("RS", Role.ANALYST)
    for likelihood, impact, title in ((4, 3, "Undervalued textiles"), (4, 3, "Fake invoices"),
                                      (2, 2, "Misdeclared origin of honey")):  # fmt: skip
        api(client, analyst, "POST", "/risks", json=_risk(likelihood, impact, title))
    rmwg = make_user("AL", Role.RMWG)
    api(client, rmwg, "POST", "/risks", json=_risk(5, 5, "Cigarette smuggling on Corridor X"))
    page = browser_as(analyst)
    page.goto("/governance/risks")
    # 25 band-coloured cells, and a count written on the 3 occupied ones (4×3, 2×2, 5×5).
    assert chart_marks(page, "#heatmap") == 25 + 3
    counts = page.locator("#heatmap svg g.mark-text.role-mark text").all_text_contents()
    assert sorted(counts) == ["1", "1", "2"]
    assert "4 open risks" in (page.get_attribute("#heatmap", "aria-label") or "")
