"""Fifty declarations decided at once against one licence never draw more than its allowance."""

from __future__ import annotations

import threading

from sqlalchemy import Engine, func, select

from riskhub.db.tenancy import acting_for
from riskhub.registries.lpco.models import LpcoDrawdown
from tests.registries.support import citing, decide, decision, issue, lpco, lpco_reasons, submit

DECLARATIONS = 50
AMOUNT = 100.0  # kg net mass per declaration
ALLOWANCE = 1250.0  # room for 12 of them


def test_fifty_concurrent_decisions_never_exceed_the_allowance(app_engine: Engine) -> None:
    licence = issue(app_engine, allowance=ALLOWANCE)
    ids = submit(app_engine, *(citing(f"C{i:02}", "RS-LIC-1") for i in range(DECLARATIONS)))
    assert len(ids) == DECLARATIONS
    errors: list[str] = []
    start = threading.Barrier(DECLARATIONS)

    def one(declaration_id: int) -> None:
        # Each its own connection and transaction, as concurrent API requests are.
        try:
            start.wait()
            decide(app_engine, [declaration_id])
        except Exception as error:
            errors.append(repr(error))

    threads = [threading.Thread(target=one, args=(i,)) for i in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    fits = int(ALLOWANCE // AMOUNT)
    used = lpco(app_engine, licence).used
    assert used == fits * AMOUNT <= ALLOWANCE
    with acting_for("RS"), app_engine.connect() as conn:
        drawn = conn.execute(select(func.count(), func.sum(LpcoDrawdown.amount))).one()
    assert tuple(drawn) == (fits, used)
    outcomes = [[r.get("problem") for r in lpco_reasons(decision(app_engine, i))] for i in ids]
    assert outcomes.count([None]) == fits
    assert outcomes.count(["allowance_exceeded"]) == DECLARATIONS - fits
