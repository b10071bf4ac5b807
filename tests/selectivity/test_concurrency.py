"""Decisions taken at the same time by the API and a batch: none fails, none is doubled."""

from __future__ import annotations

import hashlib
import threading

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from riskhub.db.tenancy import acting_for
from riskhub.declarations import service as declarations
from riskhub.selectivity import service
from riskhub.selectivity.models import SelectivityDecision
from tests.helpers import nested


def test_api_and_batch_decide_at_once(engine: Engine, app_engine: Engine) -> None:
    bodies = [nested(f"K{i}") for i in range(120)]
    summary = declarations.ingest_records(
        engine=engine,
        records=bodies,
        submitted_by_party="RS",
        body_sha256=hashlib.sha256(b"concurrent").hexdigest(),
    )
    ids = [d["id"] for d in summary.declarations]
    errors: list[str] = []

    def api(part: list[int]) -> None:
        for start in range(0, len(part), 3):
            try:
                writer = app_engine.execution_options(sqlite_immediate=True)
                with acting_for("RS"), Session(writer) as session, session.begin():
                    service.decide_declarations(
                        session=session, party="RS", ids=part[start : start + 3]
                    )
            except Exception as error:
                errors.append(f"api: {error!r}")

    def batch() -> None:
        try:
            service.decide_pending(engine_=engine, party="RS")
        except Exception as error:
            errors.append(f"batch: {error!r}")

    threads = [threading.Thread(target=api, args=(ids[i::4],)) for i in range(4)]
    threads.append(threading.Thread(target=batch))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with engine.connect() as conn:
        total = conn.execute(select(func.count(SelectivityDecision.id))).scalar_one()
        distinct = conn.execute(
            select(func.count(func.distinct(SelectivityDecision.declaration_id)))
        ).scalar_one()
    assert total == distinct == len(ids)
