"""Application logs never carry a trader's identity or a credential."""

from __future__ import annotations

import io
from pathlib import Path

import orjson
import structlog
from sqlalchemy import Engine

from riskhub import logs
from riskhub.declarations import service
from tests.helpers import rows, write_csv


def test_personal_fields_and_secrets_are_redacted() -> None:
    stream = io.StringIO()
    logs.configure(stream)
    structlog.get_logger("t").info(
        "x", importer="RS100000001", Declarant="RSB1", token="rh.RS.1.secret", office="RS-PRE"
    )
    line = orjson.loads(stream.getvalue().strip())
    assert (line["importer"], line["Declarant"], line["token"]) == ("[redacted]",) * 3
    assert line["office"] == "RS-PRE" and line["level"] == "info"


def test_an_ingest_logs_counts_and_no_trader(engine: Engine, tmp_path: Path) -> None:
    stream = io.StringIO()
    logs.configure(stream)
    service.ingest_path(engine=engine, path=write_csv(tmp_path / "a.csv", rows("R1")))
    text = stream.getvalue()
    event = orjson.loads(text.strip().splitlines()[-1])
    assert (event["event"], event["stored"], event["items"]) == ("ingest.finished", 1, 2)
    for identity in ("RS100000001", "MK100000002", "RSB10001"):
        assert identity not in text
