"""Assessment pages: an administrator answers and submits, readers compare; in a browser too."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from riskhub.access.roles import Role
from riskhub.actionplan.service import period_of
from riskhub.assessments.questionnaire import latest
from riskhub.audit.models import AuditRecord
from riskhub.db.base import utcnow
from riskhub.db.tenancy import acting_for
from tests.assessments.test_api import answers
from tests.conftest import MakeUser
from tests.web.conftest import BrowserLogin, chart_marks, sign_in

PERIOD = period_of(utcnow().date())
FORM = f"/assessments/STAFFING/{PERIOD}"


def staffing(**numbers: Any) -> dict[str, str]:
    """The STAFFING form filled in: its banded numbers and its choices (the second answer)."""
    form = latest("STAFFING")
    assert form is not None
    fields = {}
    for key, (_, q) in form.questions().items():
        fields[f"answer:{key}"] = str(numbers.get(key, 0)) if q.bands else q.options[1].answer
    return fields


def test_an_administrator_saves_a_draft_fixes_a_mistake_and_submits(
    client: TestClient, make_user: MakeUser, engine: Engine
) -> None:
    sign_in(client, make_user("RS", Role.PARTY_ADMIN))
    index = client.get("/assessments").text
    assert f'href="{FORM}">Answer it for {PERIOD}' in index
    form = client.get(FORM).text
    assert form.count('type="radio" name="answer:programme"') == 4
    assert 'name="answer:analysts" type="number"' in form

    partial = {"answer:analysts": "4", "comment:analysts": "two in the central unit"}
    saved = client.post(FORM, data={**partial, "action": "save"})
    assert saved.status_code == 303 and saved.headers["location"] == f"{FORM}?saved=draft"
    again = client.get(saved.headers["location"]).text
    assert "Saved as a draft." in again and "1 of 5 questions answered" in again
    assert 'value="two in the central unit"' in again

    wrong = client.post(FORM, data={**staffing(analysts=4), "answer:trained_share": "many",
                                    "action": "submit"})  # fmt: skip
    assert wrong.status_code == 422
    assert "trained_share: &#39;many&#39; is not a number of 0 or more" in wrong.text
    assert re.search(r'class="question invalid" id="q-trained_share"', wrong.text)

    done = client.post(FORM, data={**staffing(analysts=4, data_skills=3, trained_share=50),
                                   "action": "submit"})  # fmt: skip
    assert done.headers["location"] == f"{FORM}?saved=submitted"
    page = client.get(done.headers["location"]).text
    # analysts: 4 reaches the band of 1 of 3, data skills 3 -> 2 of 3: (1/3 + 2/3) / 2 = 50%.
    assert re.search(r"Risk analysis staff</th><td class=\"num\">50.0%", page)
    assert "<form" not in page.split("</header>")[-1]  # kept as submitted: no form any more
    with acting_for("RS"), Session(engine) as session:
        actions = session.scalars(select(AuditRecord.action).where(
            AuditRecord.action.like("web.assessments.%")).order_by(AuditRecord.seq)).all()  # fmt: skip
    # The refused form saved nothing and left no record.
    assert actions == ["web.assessments.save", "web.assessments.save", "web.assessments.submit"]


def test_readers_compare_and_others_cannot_fill_in(
    client: TestClient, make_user: MakeUser, engine: Engine
) -> None:
    for party, pick in (("RS", 3), ("MK", 0)):
        sign_in(client, make_user(party, Role.PARTY_ADMIN))
        fields = {f"answer:{k}": v for k, v in answers(pick).items()}
        sent = client.post(f"/assessments/RM-GAP/{PERIOD}", data={**fields, "action": "submit"})
        assert sent.status_code == 303, sent.text
    sign_in(client, make_user("XS", Role.SECRETARIAT))
    index = client.get("/assessments").text
    results = index.split('id="results-RM-GAP"')[1].split("</table>")[0]
    assert re.findall(r'<th scope="row">(\w+)</th><td>[^<]+</td><td class="num">([\d.]+)%',
                      results) == [("MK", "0.0"), ("RS", "100.0")]  # fmt: skip
    assert 'id="chart-RM-GAP"' in index
    gaps = client.get(f"/assessments/RM-GAP/{PERIOD}/gaps")
    assert gaps.status_code == 200 and "MK: 0.0% overall" in gaps.text
    assert client.post(f"/assessments/RM-GAP/{PERIOD}", data={"action": "save"}).status_code == 403
    sign_in(client, make_user("RS", Role.ANALYST))
    own = client.get("/assessments").text.split('id="results-RM-GAP"')[1].split("</table>")[0]
    assert "RS" in own and "MK" not in own  # an analyst reads their own Party only
    assert "Answer it for" not in client.get("/assessments").text
    sign_in(client, make_user("RS", Role.OFFICER, offices=["RS-PRE"]))
    assert client.get("/assessments").status_code == 403
    sign_in(client, make_user("BA", Role.PARTY_ADMIN))
    assert client.get("/assessments/RM-GAP/2026-Q3").status_code == 422
    assert client.get("/assessments/NOPE/2026-H2").status_code == 404


def test_an_administrator_answers_in_the_browser_and_the_rmwg_sees_the_grid(
    browser_as: BrowserLogin, make_user: MakeUser
) -> None:
    page = browser_as(make_user("AL", Role.PARTY_ADMIN, name="AL admin"))
    page.get_by_role("navigation").get_by_role("link", name="Assessments").click()
    page.get_by_role("link", name=f"Answer it for {PERIOD}").first.click()
    page.wait_for_url(f"**/assessments/RM-GAP/{PERIOD}")
    form = latest("RM-GAP")
    assert form is not None
    for key, (_, question) in form.questions().items():
        page.locator(f"#q-{key}").get_by_label(question.options[2].answer, exact=True).check()
    page.get_by_label("Evidence or remark").first.fill("Decision 7/2026")
    page.get_by_role("button", name="Save and submit").click()
    page.wait_for_url("**saved=submitted")
    assert page.inner_text("#overall").startswith("66.7% overall: established")
    rmwg = browser_as(make_user("ME", Role.RMWG))
    rmwg.goto("/assessments")
    assert chart_marks(rmwg, "#chart-RM-GAP") >= 7  # a cell per dimension


def test_odd_forms_get_a_plain_answer(client: TestClient, make_user: MakeUser) -> None:
    """Found in review: a bad period in a posted form and a NaN answer gave a 500."""
    sign_in(client, make_user("RS", Role.PARTY_ADMIN))
    odd = client.post("/assessments/STAFFING/2026-H9", data={"action": "save"})
    assert odd.status_code == 422 and "written like 2026-H2" in odd.text
    for value in ("nan", "inf", "-1", "lots"):
        sent = client.post(FORM, data={"answer:analysts": value, "action": "save"})
        assert sent.status_code == 422 and "is not a number of 0 or more" in sent.text, value
