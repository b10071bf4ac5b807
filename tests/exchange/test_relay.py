"""Hub and spoke: the same information through two relays, and what relays may carry."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from riskhub.access.distribution import Distribution
from riskhub.db import migrate
from riskhub.db.engine import make_engine
from riskhub.exchange import jws
from riskhub.exchange.inbox import receive
from riskhub.exchange.keys import partners
from riskhub.exchange.messages import MessageType, Rif
from riskhub.exchange.models import InboxMessage, OutboxMessage, ReceivedDocument
from riskhub.exchange.outbox import Outgoing, enqueue
from tests.exchange.nodes import NOW, export, node, register

RS, MK, AL, ME, XK = (node("rs-hub", "RS"), node("mk-hub", "MK"), node("al-hub", "AL"),
                      node("me-hub", "ME"), node("xk-hub", "XK"))  # fmt: skip
RMWG = node("cefta-hub", "XS")  # the hub that speaks for the RMWG publishes common profiles


def hub(tmp_path: Path, name: str) -> Engine:
    url = f"sqlite:///{tmp_path / (name + '.sqlite3')}"
    migrate.upgrade(url)
    return make_engine(url)


def queued(engine: Engine, to: str) -> list[str]:
    with Session(engine) as session:
        rows = session.execute(select(OutboxMessage.token).where(OutboxMessage.receiver_node == to))
        return list(rows.scalars())


def test_two_relays_deliver_one_piece_of_information_once(tmp_path: Path) -> None:
    rs, mk, al, me = (hub(tmp_path, n) for n in ("rs", "mk", "al", "me"))
    register(rs, MK, AL)  # RS does not know ME; MK and AL both do
    register(mk, RS, ME)
    register(al, RS, ME)
    register(me, RS, MK, AL, XK)  # ME knows RS's key: it can check the originals
    rif = Rif(rif_id="RIF-9", title="Cigarettes in furniture", risk_area="financial",
              description="hidden compartments")  # fmt: skip
    with Session(rs) as session, session.begin():
        sent = enqueue(session=session, identity=RS, now=NOW, nodes=partners(session=session),
                       message=Outgoing(MessageType.RIF, rif, "RS", ["MK", "AL", "ME", "XK"],
                                        Distribution.CEFTA))  # fmt: skip
    assert sent == 2
    for engine, identity, name in ((mk, MK, "mk-hub"), (al, AL, "al-hub")):
        done = receive(engine=engine, identity=identity, tokens=queued(rs, name), source="t",
                       now=NOW)  # fmt: skip
        assert done.counts == {"applied": 1}
    first = receive(engine=me, identity=ME, tokens=queued(mk, "me-hub"), source="t", now=NOW)
    second = receive(engine=me, identity=ME, tokens=queued(al, "me-hub"), source="t", now=NOW)
    assert (first.counts, second.counts) == ({"applied": 1}, {"duplicate": 1})
    with Session(me) as session:
        statuses = sorted(session.execute(select(InboxMessage.status)).scalars())
        documents = session.execute(select(ReceivedDocument)).scalars().all()
    assert statuses == ["applied", "duplicate"]
    assert [(d.sender_party, d.origin_node) for d in documents] == [("RS", "rs-hub")]
    assert len(queued(me, "xk-hub")) == 1  # passed on once, not once per path


def test_a_message_that_may_travel_on_carries_pseudonyms_whatever_the_agreement(
    engine: Engine,
) -> None:
    register(engine, MK)  # the RS-MK agreement lets identities travel ...
    with Session(engine) as session, session.begin():
        nodes = partners(session=session)
        for distribution in (Distribution.GROUP, Distribution.CEFTA):
            enqueue(session=session, identity=RS, now=NOW, nodes=nodes,
                    message=Outgoing(MessageType.EXPORT_DECLARATION,
                                     export(f"RS-PRE-E-{distribution.value}"), "RS", ["MK"],
                                     distribution, group=frozenset({"RS", "MK"})))  # fmt: skip
    exporters = {}
    for token in queued(engine, "mk-hub"):
        body = json.loads(jws.b64url_decode(token.split(".")[1]))
        exporters[body["distribution"]] = body["payload"]["exporter"]
        assert body["payload"]["vehicle_registration"] == "RS-1001-01"  # SEED needs the plate
    # ... to MK only: what MK may pass on to others travels with the pseudonym.
    assert exporters["group"] == "RS100000001"
    assert exporters["cefta"].startswith("T-RS-") and "100000001" not in exporters["cefta"]


def test_too_large_to_pass_on_is_kept_here_and_not_relayed(engine: Engine) -> None:
    """Wrapped once more, a nearly 4 MiB original would be over the limit: applied, not relayed."""
    from riskhub.exchange.envelope import seal
    from tests.exchange.nodes import envelope

    register(engine, RMWG, AL)
    big = {
        "code": "BIG-1",
        "action": "publish",
        "version": 1,
        "document": {"blob": "x" * 2_900_000},
    }
    message = seal(envelope(RMWG, "mk-hub", big, type=MessageType.COMMON_PROFILE,
                            receivers=["MK", "AL"], distribution=Distribution.CEFTA),
                   RMWG.key, kid=RMWG.kid)  # fmt: skip
    assert 3_500_000 < len(message) < jws.MAX_TOKEN_BYTES
    done = receive(engine=engine, identity=MK, tokens=[message], source="t", now=NOW)
    assert done.counts == {"applied": 1}
    assert queued(engine, "al-hub") == []
