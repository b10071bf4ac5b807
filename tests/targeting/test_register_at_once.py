"""Models of one Party registered at the same moment (two workers retraining) get their own numbers."""

from __future__ import annotations

import threading

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from riskhub.db.tenancy import acting_for
from riskhub.targeting import registry
from riskhub.targeting.model import fit
from tests.targeting.test_features_and_bias import traffic


def test_models_registered_at_once_are_numbered_one_after_the_other(engine: Engine) -> None:
    model = fit(traffic(600, 5), rounds=10)
    writer = engine.execution_options(sqlite_immediate=True)
    barrier, failed = threading.Barrier(4), []

    def register(k: int) -> None:
        barrier.wait()
        try:
            with acting_for("RS"), Session(writer) as session, session.begin():
                registry.register(session=session, party="RS", model=model, trained_by=f"w{k}")
        except Exception as error:
            failed.append(repr(error))

    threads = [threading.Thread(target=register, args=(k,)) for k in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failed == []
    with acting_for("RS"), Session(engine) as session:
        stored = registry.versions(session=session, party="RS")
    assert sorted(v.version for v in stored) == [1, 2, 3, 4]
    assert sorted(v.trained_by for v in stored) == ["w0", "w1", "w2", "w3"]
