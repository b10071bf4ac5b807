"""A common profile published by the RMWG's hub, decided on at another hub over the exchange.

Two hubs with their own databases: the CEFTA hub speaks for the RMWG (XS) and
most Parties, North Macedonia's hub for MK. What the CEFTA hub publishes reaches
MK's hub as a signed message; MK switches it on there, and later updates and
the withdrawal take effect there as they arrive.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from riskhub.db.base import utcnow
from riskhub.db.engine import engine_for
from riskhub.db.tenancy import acting_for
from riskhub.exchange import keys
from riskhub.exchange.loopback import LoopbackHub
from riskhub.governance.common_profiles import publication, received, service
from riskhub.governance.common_profiles.service import LifecycleError
from riskhub.profiles import service as profiles
from riskhub.profiles.models import RiskProfile
from riskhub.settings import get_settings
from tests.governance import hubs
from tests.governance.test_common_profiles import CODE, document

HERE = ("XS", "RS", "AL", "BA", "ME", "MD", "XK")


@pytest.fixture
def cefta_hub(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Engine:
    monkeypatch.setenv("RISKHUB_NODE", "cefta-hub")
    monkeypatch.setenv("RISKHUB_NODE_PARTIES", ";".join(HERE))
    get_settings.cache_clear()
    return engine


@pytest.fixture
def mk_hub(tmp_path: Path) -> Iterator[LoopbackHub]:
    hub = hubs.mk_hub(tmp_path / "mk", "riskhub_test_mk_governance")
    yield hub
    hub.engine.dispose()


def _introduce(cefta: Engine, mk: LoopbackHub) -> None:
    me = keys.identity()
    with Session(cefta) as session, session.begin():
        keys.register(session=session, node="mk-hub", parties=["MK"],
                      public_key=mk.identity().public, url="https://mk.test")  # fmt: skip
    with Session(mk.engine) as session, session.begin():
        keys.register(session=session, node="cefta-hub", parties=list(HERE),
                      public_key=me.public, url="https://cefta.test")  # fmt: skip


def _published(cefta: Engine, text: str) -> int:
    now = utcnow()
    with acting_for("RS"), Session(cefta) as session, session.begin():
        case = service.draft(session=session, party="RS", text=text, user_id=None, now=now)
        service.propose(session=session, party="RS", case_id=case.id, user_id=None, now=now)
        case_id = case.id
    for party in ("RS", "AL", "BA", "XK"):
        with acting_for(party), Session(cefta) as session, session.begin():
            service.vote(session=session, party=party, case_id=case_id, choice="approve",
                         comment="", user_id=None, now=now)  # fmt: skip
    with acting_for("AL"), Session(cefta) as session, session.begin():
        service.adopt(session=session, party="AL", case_id=case_id, user_id=None, now=now)
        publication.publish(session=session, party="AL", case_id=case_id, user_id=None, now=now)
    return case_id


def _judging_mk(mk: LoopbackHub) -> list[tuple[str, int]]:
    with acting_for("MK"), Session(mk.engine) as session:
        return [(p.code, p.weight) for p in profiles.active_profiles(session=session, party="MK")]


def test_published_over_the_exchange_and_decided_at_the_other_hub(
    cefta_hub: Engine, mk_hub: LoopbackHub
) -> None:
    _introduce(cefta_hub, mk_hub)
    case_id = _published(cefta_hub, document())
    assert hubs.deliver(cefta_hub, engine_for(mk_hub.app_url), mk_hub.identity(), "mk-hub") == 1
    with acting_for("MK"), Session(mk_hub.engine) as session:
        (got,) = received.received(session=session, party="MK")
    assert (got["code"], got["version"], got["active"], got["withdrawn"]) == (CODE, 1, False, False)
    assert _judging_mk(mk_hub) == []  # received is not activated

    with acting_for("MK"), Session(engine_for(mk_hub.app_url)) as session, session.begin():
        received.decide_on_received(session=session, party="MK", code=CODE, active=True,
                                    reason="", user_id=None, now=utcnow())  # fmt: skip
    assert _judging_mk(mk_hub) == [(CODE, 30)]

    # Version 2 replaces version 1 at MK's hub as it arrives; MK's decision stands.
    with acting_for("BA"), Session(cefta_hub) as session, session.begin():
        case = service.get_case(session=session, party="BA", case_id=case_id)
        assert case is not None
        publication.revise(session=session, party="BA", case=case, text=document(weight="45"),
                           comment="", user_id=None, now=utcnow())  # fmt: skip
    with acting_for("BA"), Session(cefta_hub) as session:
        (draft,) = service.list_cases(session=session, party="BA", status="draft")
        draft_id = draft.id
    now = utcnow()
    with acting_for("BA"), Session(cefta_hub) as session, session.begin():
        service.propose(session=session, party="BA", case_id=draft_id, user_id=None, now=now)
    for party in ("RS", "AL", "BA", "XK"):
        with acting_for(party), Session(cefta_hub) as session, session.begin():
            service.vote(session=session, party=party, case_id=draft_id, choice="approve",
                         comment="", user_id=None, now=now)  # fmt: skip
    with acting_for("AL"), Session(cefta_hub) as session, session.begin():
        service.adopt(session=session, party="AL", case_id=draft_id, user_id=None, now=now)
        publication.publish(session=session, party="AL", case_id=draft_id, user_id=None, now=now)
    assert hubs.deliver(cefta_hub, engine_for(mk_hub.app_url), mk_hub.identity(), "mk-hub") == 1
    assert _judging_mk(mk_hub) == [(CODE, 45)]

    # The withdrawal stops it judging MK's declarations at once; it cannot be switched on again.
    with acting_for("ME"), Session(cefta_hub) as session, session.begin():
        case = service.get_case(session=session, party="ME", case_id=draft_id)
        assert case is not None
        publication.withdraw(session=session, party="ME", case=case, comment="obsolete",
                             user_id=None, now=utcnow())  # fmt: skip
    assert hubs.deliver(cefta_hub, engine_for(mk_hub.app_url), mk_hub.identity(), "mk-hub") == 1
    assert _judging_mk(mk_hub) == []
    with acting_for("MK"), Session(mk_hub.engine) as session:
        (got,) = received.received(session=session, party="MK")
    assert (got["withdrawn"], got["active"]) == (True, False)
    refused = pytest.raises(LifecycleError, match="withdrew")
    with acting_for("MK"), Session(mk_hub.engine) as session, refused:
        received.decide_on_received(session=session, party="MK", code=CODE, active=True,
                                    reason="", user_id=None, now=utcnow())  # fmt: skip
    with Session(mk_hub.engine) as session:
        kept = session.scalars(select(RiskProfile).where(RiskProfile.code == CODE)).one()
        assert (kept.party, kept.status) == ("XS", "suspended")


def test_a_hub_that_does_not_speak_for_the_rmwg_says_so(engine: Engine) -> None:
    case_id = _published(engine, document())
    with acting_for("RS"), Session(engine) as session:
        case = service.get_case(session=session, party="RS", case_id=case_id)
        assert case is not None
        (event,) = [e for e in service.events(session=session, case=case) if e.event == "published"]
    assert "does not speak for the RMWG" in event.detail
