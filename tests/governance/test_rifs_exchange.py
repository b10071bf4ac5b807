"""A RIF shared with a Party on another hub, its feedback sent back, and its withdrawal.

Serbia's hub (RS, AL) and North Macedonia's hub (MK) each have their own
database and key. What one queues for the other is handed over as the sender
would, and received as the API receives (the app's role, row-level security).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from riskhub.db.base import utcnow
from riskhub.db.engine import engine_for
from riskhub.db.tenancy import acting_for
from riskhub.exchange import keys
from riskhub.exchange.loopback import LoopbackHub
from riskhub.governance.rifs import partners, service
from riskhub.governance.rifs.schemas import FeedbackIn, RifIn
from riskhub.settings import get_settings
from tests.governance import hubs
from tests.governance.test_rifs import rif


@pytest.fixture
def mk_hub(tmp_path: Path) -> Iterator[LoopbackHub]:
    hub = hubs.mk_hub(tmp_path / "mk", "riskhub_test_mk_rifs")
    yield hub
    hub.engine.dispose()


@contextmanager
def speaking_as(monkeypatch: pytest.MonkeyPatch, node: str, parties: str, key: Path | None) -> Iterator[None]:  # fmt: skip
    """This process acts as the hub ``node`` (its settings and key) inside the block."""
    with monkeypatch.context() as m:
        m.setenv("RISKHUB_NODE", node)
        m.setenv("RISKHUB_NODE_PARTIES", parties)
        if key is not None:
            m.setenv("RISKHUB_EXCHANGE_KEY_FILE", str(key))
        get_settings.cache_clear()
        yield
    get_settings.cache_clear()


def test_feedback_from_another_hub_reaches_the_originator(
    engine: Engine, app_engine: Engine, mk_hub: LoopbackHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    mk_key = mk_hub.folder / "keys" / "exchange-ed25519.pem"
    mk_app = engine_for(mk_hub.app_url)
    with speaking_as(monkeypatch, "rs-hub", "RS;AL", None):
        rs = keys.identity()
        with Session(engine) as session, session.begin():
            keys.register(session=session, node="mk-hub", parties=["MK"],
                          public_key=mk_hub.identity().public, url="https://mk.test")  # fmt: skip
        with Session(mk_hub.engine) as session, session.begin():
            keys.register(session=session, node="rs-hub", parties=["RS", "AL"],
                          public_key=rs.public, url="https://rs.test")  # fmt: skip
        with acting_for("RS"), Session(engine) as session, session.begin():
            row = service.raise_rif(session=session, party="RS", body=RifIn(**rif(share=True)),
                                    user_id=None, now=utcnow())  # fmt: skip
            rif_id, number = row.id, row.number
        assert hubs.deliver(engine, mk_app, mk_hub.identity(), "mk-hub") == 1

    with acting_for("MK"), Session(mk_app) as session:
        (got,) = partners.received(session=session, party="MK")
    assert (got["number"], got["from_party"], got["status"]) == (number, "RS", "shared")
    assert got["feedback_sent_at"] is None and "operators" not in got

    answer = FeedbackIn(control_done=True, outcome="irregularity", controls=8, detections=2,
                        value_detected_eur=5100.0, comment="two undervalued trucks")  # fmt: skip
    with speaking_as(monkeypatch, "mk-hub", "MK", mk_key):
        with acting_for("MK"), Session(mk_app) as session, session.begin():
            assert partners.feedback_on_received(session=session, party="MK", number="NO-SUCH",
                                                 body=answer, now=utcnow()) is None  # fmt: skip
            partners.feedback_on_received(session=session, party="MK", number=number,
                                          body=answer, now=utcnow())  # fmt: skip
        with acting_for("MK"), Session(mk_app) as session:
            (got,) = partners.received(session=session, party="MK")
        assert got["feedback_sent_at"] is not None
        assert hubs.deliver(mk_hub.engine, app_engine, rs, "rs-hub") == 1

    with acting_for("RS"), Session(app_engine) as session:
        row = service.get_rif(session=session, party="RS", rif_id=rif_id)
        assert row is not None
        seen = service.view(session=session, party="RS", row=row, now=utcnow())["feedback"]
    assert [(f.party, f.detections, f.value_detected_eur) for f in seen] == [("MK", 2, 5100.0)]

    # Withdrawn at the originator, the RIF shows as withdrawn at the other hub.
    with speaking_as(monkeypatch, "rs-hub", "RS;AL", None):
        with acting_for("RS"), Session(engine) as session, session.begin():
            service.withdraw(session=session, party="RS", rif_id=rif_id, now=utcnow())
        assert hubs.deliver(engine, mk_app, mk_hub.identity(), "mk-hub") == 1
    with acting_for("MK"), Session(mk_app) as session:
        (got,) = partners.received(session=session, party="MK")
    assert got["status"] == "withdrawn"
