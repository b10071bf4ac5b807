"""The operational KPI page over HTTP: the KPI API's numbers for the same reader, never more."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

from riskhub.access.roles import Role
from tests.conftest import MakeUser
from tests.kpis.test_kpi_service import PERIOD, traffic  # noqa: F401  (a fixture)
from tests.web.conftest import sign_in

PAGE = "/kpis?since=2026-05-01&until=2026-07-31"


def table(page: str, name: str) -> dict[str, list[str]]:
    """The rows of the table ``id=name``: its first cell, then its numbers as shown."""
    body = re.search(rf'<table id="{name}">.*?<tbody>(.*?)</tbody>', page, re.S)
    assert body, name
    out = {}
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body.group(1), re.S):
        cells = [re.sub(r"<[^>]+>", "", c).strip()
                 for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]  # fmt: skip
        if len(cells) > 1:
            out[cells[0]] = cells[1:]
    return out


def api(client: TestClient, token: str, **params: Any) -> dict[str, Any]:
    got = client.get("/api/v1/kpis", params={**PERIOD, **params},
                     headers={"Authorization": f"Bearer {token}"})  # fmt: skip
    assert got.status_code == 200, got.text
    return dict(got.json())


def counts(row: dict[str, Any]) -> list[str]:
    return [str(row["declarations"]), str(row["inspections"]), str(row["hits"])]


def test_an_analyst_sees_their_partys_numbers_as_the_api_gives_them(
    traffic: dict[str, int],  # noqa: F811
    client: TestClient,
    make_user: MakeUser,
) -> None:
    token = make_user("RS", Role.ANALYST)
    sign_in(client, token)
    page = client.get(PAGE).text
    whole = api(client, token)["rows"][0]
    assert re.search(rf'id="total-declarations">{whole["declarations"]}<', page)
    assert re.search(rf'id="total-inspections">{whole["inspections"]}<', page)
    assert re.search(rf'id="total-hits">{whole["hits"]}<', page)
    assert whole["declarations"] == 36 and whole["inspections"] >= 6
    for by in ("channel", "office"):
        shown = table(page, f"by-{by}")
        given = {r[by]: counts(r) for r in api(client, token, by=by)["rows"]}
        assert {k: v[:3] for k, v in shown.items()} == given, by
    assert 'id="by-party"' not in page  # one Party: the headline is its row
    # Over time: each week is the API's answer for that week; together they make the whole.
    weeks = table(page, "series")
    assert sum(int(v[0]) for v in weeks.values()) == 36
    assert all(re.fullmatch(r"2026-\d\d-\d\d", w) for w in weeks)
    june_first = api(client, token, since="2026-06-01", until="2026-06-07")["rows"][0]
    assert weeks["2026-06-01"][:3] == counts(june_first)  # 1 June 2026 is a Monday
    # The intervals are the service's, shown as percentages.
    hit = whole["hit_rate"]
    assert f"{hit['estimate'] * 100:.1f}% ({hit['low'] * 100:.1f}–{hit['high'] * 100:.1f})" in (
        re.sub(r"<[^>]+>", "", page)
    )
    for chart in ("kpi-rates", "kpi-volume", "release-times"):
        assert f'id="{chart}"' in page, chart
    release = table(page, "release")
    red = next(r for r in api(client, token, by="channel")["rows"] if r["channel"] == "red")
    assert release["red"][0] == str(red["release_hours"]["n"])
    assert release["red"][3] == f"{red['release_hours']['median']:.1f}"
    assert release["red"][5] == f"{red['release_hours']['p90']:.1f}"
    # One office, one channel: the API's row for it.
    office = client.get(f"{PAGE}&scope=office:RS-PRE").text
    assert re.search(r'id="total-declarations">36<', office)
    by_month = client.get(f"{PAGE}&scope=channel:red&step=month").text
    months = table(by_month, "series")
    assert list(months) == ["2026-06-01"] and months["2026-06-01"][:3] == counts(red)


def test_across_parties_groups_under_the_minimum_are_left_out(
    traffic: dict[str, int],  # noqa: F811
    client: TestClient,
    make_user: MakeUser,
) -> None:
    for role in (Role.SECRETARIAT, Role.RMWG):
        token = make_user("XS" if role is Role.SECRETARIAT else "AL", role)
        sign_in(client, token)
        page = client.get(PAGE).text
        for by in ("party", "office", "channel"):
            shown = {k: v[:3] for k, v in table(page, f"by-{by}").items()}
            given = {r[by]: counts(r) for r in api(client, token, by=by)["rows"]}
            assert shown == given, (role, by)
        # MK-BLA has three declarations: no row, and nothing when asked for by name.
        assert set(table(page, "by-office")) == {"RS-PRE", "MK-TAB"}
        assert set(table(page, "by-party")) == {"RS", "MK"}
        small = client.get(f"{PAGE}&scope=office:MK-BLA").text
        assert 'id="total-declarations"' not in small and 'id="no-total"' in small
        assert "fewer than 10" in small and 'id="no-series"' in small
        # Every week shown has at least ten declarations.
        weeks = table(client.get(f"{PAGE}&scope=party:MK").text, "series")
        assert weeks and all(int(v[0]) >= 10 for v in weeks.values())
        # Aggregates only: no reference, trader or declaration on the page.
        for secret in ("H1", "P3", "M4", "RS100000001", "MK100000002", "declaration_id"):
            assert secret not in page, (role, secret)


def test_who_may_open_the_kpis_and_what_they_may_choose(
    client: TestClient, make_user: MakeUser
) -> None:
    for role in (Role.OFFICER, Role.AGENCY_OFFICER, Role.PARTY_ADMIN, Role.AUDITOR):
        sign_in(client, make_user("ME", role, offices=["ME-DOB"] if role is Role.OFFICER else None,
                                  agency="veterinary" if role is Role.AGENCY_OFFICER else None))  # fmt: skip
        refused = client.get("/kpis")
        assert refused.status_code == 403, role
        assert f"The {role.value} role does not open this page." in refused.text
    sign_in(client, make_user("MK", Role.ANALYST))
    empty = client.get("/kpis")
    assert empty.status_code == 200
    assert "No numbers to show for this choice: no decided declaration in the period" in empty.text
    assert 'id="kpi-rates"' not in empty.text and 'id="no-series"' in empty.text
    # An analyst chooses among their own Party's offices; another Party's is refused.
    options = re.findall(r'<option value="(office:[^"]+)"', empty.text)
    assert options and all(o.startswith("office:MK-") for o in options)
    assert 'value="party:' not in empty.text
    for bad, why in (
        ("scope=office:RS-PRE", "Choose what to show from the list."),
        ("scope=party:RS", "Choose what to show from the list."),
        ("since=2026-07-01&until=2026-06-01", "Since is after until."),
        ("since=1999-01-01", "The period lies between the years 2000 and 2100."),
        ("since=June", "Since is not a date (YYYY-MM-DD)."),
    ):
        answer = client.get(f"/kpis?{bad}")
        assert answer.status_code == 422, bad
        assert f'<p class="error" role="alert">{why}</p>' in answer.text, bad
    assert client.get("/kpis?step=day").status_code == 422
    # The Secretariat may choose each Party.
    sign_in(client, make_user("XS", Role.SECRETARIAT))
    choices = client.get("/kpis").text
    assert 'value="party:RS"' in choices and 'value="party:XK"' in choices
