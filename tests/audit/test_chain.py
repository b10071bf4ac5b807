"""The audit log: one record per call, chained per Party, and every kind of tampering found."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, text, update
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from riskhub.access.roles import Role
from riskhub.app import create_app
from riskhub.audit import keys, service
from riskhub.audit.chain import GENESIS, Entry, checkpoint_message, record_hash
from riskhub.audit.models import AuditCheckpoint, AuditRecord
from riskhub.cli import app as cli
from riskhub.settings import get_settings
from tests.conftest import MakeUser


@pytest.fixture
def every_two(monkeypatch: pytest.MonkeyPatch, engine: Engine) -> None:
    monkeypatch.setenv("RISKHUB_AUDIT_CHECKPOINT_EVERY", "2")
    get_settings.cache_clear()


def write(engine: Engine, party: str, n: int) -> None:
    for k in range(n):
        service.append(engine=engine, party=party, actor="user:1 (analyst)",
                       action="GET /api/v1/declarations", outcome="200", object=f"k={k}")  # fmt: skip


def problems(engine: Engine) -> list[str]:
    return service.verify(engine=engine).problems


def test_an_untouched_log_verifies(engine: Engine, every_two: None) -> None:
    write(engine, "RS", 5)
    write(engine, "MK", 2)
    result = service.verify(engine=engine)
    assert result.ok, result.problems
    assert (result.records, result.chains, result.checkpoints) == (7, 2, 3)
    with Session(engine) as session:
        first = session.scalars(select(AuditRecord).order_by(AuditRecord.id)).first()
    assert first is not None and first.prev_hash == GENESIS and first.seq == 1


def test_an_edited_record_is_named(engine: Engine) -> None:
    write(engine, "RS", 4)
    with engine.begin() as conn:
        conn.execute(
            update(AuditRecord).where(AuditRecord.party == "RS", AuditRecord.seq == 3)
            .values(outcome="403")
        )  # fmt: skip
    (problem,) = problems(engine)
    assert problem.startswith("chain RS, record #3")
    assert "content was altered" in problem


def test_a_deleted_record_is_found(engine: Engine) -> None:
    write(engine, "RS", 4)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_records WHERE party = 'RS' AND seq = 2"))
    (problem,) = problems(engine)
    assert "record #3" in problem and "expected record #2 here" in problem


def test_reordered_records_are_found(engine: Engine) -> None:
    write(engine, "RS", 4)
    with engine.begin() as conn:
        for old, new in ((2, -2), (3, 2), (-2, 3)):
            conn.execute(
                text(f"UPDATE audit_records SET seq = {new} WHERE party = 'RS' AND seq = {old}")
            )
    (problem,) = problems(engine)
    assert problem.startswith("chain RS, record #2") and "does not follow record #1" in problem


def test_truncation_is_found_by_the_head_and_by_checkpoints(
    engine: Engine, every_two: None
) -> None:
    write(engine, "RS", 5)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_records WHERE party = 'RS' AND seq = 5"))
    (problem,) = problems(engine)
    assert "head is at #5 but the last record is #4" in problem
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_records WHERE party = 'RS' AND seq >= 3"))
        conn.execute(text("DELETE FROM audit_heads WHERE party = 'RS'"))
    (problem,) = problems(engine)
    assert "covers record #4 but the chain ends at #2; records were truncated" in problem


def test_a_forged_checkpoint_is_refused(engine: Engine) -> None:
    write(engine, "RS", 3)
    with Session(engine) as session:
        last = session.scalars(select(AuditRecord).where(AuditRecord.seq == 3)).one()
    forger = Ed25519PrivateKey.generate()
    with engine.begin() as conn:
        conn.execute(
            AuditCheckpoint.__table__.insert().values(
                party="RS", seq=3, hash=last.hash, at=datetime.now(UTC).replace(tzinfo=None),
                signature=keys.sign(forger, checkpoint_message("RS", 3, last.hash)),
                key_id=keys.key_id(forger.public_key()),
            )
        )  # fmt: skip
    (problem,) = problems(engine)
    assert problem == "chain RS, checkpoint at #3: not signed by this hub's key"


def test_a_rewritten_chain_breaks_its_signed_checkpoint(engine: Engine, every_two: None) -> None:
    """Recomputing every hash after an edit still cannot fake the hub's signature."""
    write(engine, "RS", 4)
    with Session(engine) as session, session.begin():
        records = session.scalars(select(AuditRecord).order_by(AuditRecord.seq)).all()
        records[0].outcome = "500"
        prev = GENESIS
        for r in records:
            r.prev_hash = prev
            r.hash = record_hash(prev, Entry(r.party, r.seq, r.at, r.actor, r.action, r.object,
                                             r.outcome, r.source))  # fmt: skip
            prev = r.hash
        session.execute(text(f"UPDATE audit_heads SET hash = '{prev}' WHERE party = 'RS'"))
    (problem,) = problems(engine)
    assert problem == (
        "chain RS, record #2: differs from the signed checkpoint; the chain was rewritten"
    )


def test_cli_verify_reports_and_exits_nonzero_on_tampering(engine: Engine) -> None:
    write(engine, "AL", 3)
    runner = CliRunner()
    ok = runner.invoke(cli, ["audit", "verify"])
    assert ok.exit_code == 0, ok.output
    assert "Audit log intact: 3 records in 1 chains" in ok.output
    with engine.begin() as conn:
        conn.execute(text("UPDATE audit_records SET actor = 'someone else' WHERE seq = 1"))
    bad = runner.invoke(cli, ["audit", "verify"])
    assert bad.exit_code == 1
    assert "TAMPERED chain AL, record #1" in bad.output


def test_each_api_call_leaves_one_record_saying_who_what_and_how(
    engine: Engine, make_user: MakeUser
) -> None:
    token = make_user("RS", Role.ANALYST)
    with TestClient(create_app()) as client:
        client.get("/api/v1/declarations/12345", headers={"Authorization": f"Bearer {token}"})
        client.get(
            "/api/v1/me", headers={"Authorization": "Bearer rh.RS.1.forgedforgedforgedforged"}
        )
    with Session(engine) as session:
        records = session.scalars(select(AuditRecord).order_by(AuditRecord.id)).all()
    assert [(r.party, r.action, r.object, r.outcome) for r in records] == [
        ("RS", "GET /api/v1/declarations/{declaration_id}", "declaration_id=12345", "404"),
        ("XH", "GET /api/v1/me", None, "401"),
    ]
    assert records[0].actor.endswith("(analyst)") and records[1].actor == "anonymous"
    assert records[0].source == "testclient"
    assert service.verify(engine=engine).ok


def test_odd_paths_are_recorded_not_refused(engine: Engine) -> None:
    with TestClient(create_app()) as client:
        response = client.get("/api/v1/" + "x" * 300 + "%00")
    assert response.status_code == 404
    with Session(engine) as session:
        (record,) = session.scalars(select(AuditRecord)).all()
    assert len(record.action) == 80 and record.outcome == "404"
    assert service.verify(engine=engine).ok


def test_a_removed_checkpoint_is_found(engine: Engine, every_two: None) -> None:
    write(engine, "RS", 5)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_checkpoints WHERE party = 'RS' AND seq = 2"))
    (problem,) = problems(engine)
    assert problem == "chain RS: the signed checkpoint at #2 was removed"


def test_anchors_kept_outside_catch_a_cut_back_or_deleted_chain(
    engine: Engine, every_two: None, tmp_path: Path
) -> None:
    write(engine, "RS", 5)
    write(engine, "MK", 2)
    runner = CliRunner()
    printed = runner.invoke(cli, ["audit", "checkpoint"])
    assert printed.exit_code == 0, printed.output
    anchors = tmp_path / "anchors.jsonl"
    anchors.write_text(
        "\n".join(line for line in printed.stdout.splitlines() if line.startswith("{"))
    )
    assert runner.invoke(cli, ["audit", "verify", "--anchors", str(anchors)]).exit_code == 0
    # Cut RS back to #3 and hide every trace of #4 and #5, head included; drop MK whole.
    with engine.begin() as conn:
        conn.execute(
            text("DELETE FROM audit_records WHERE (party = 'RS' AND seq > 3) OR party = 'MK'")
        )
        conn.execute(
            text("DELETE FROM audit_checkpoints WHERE (party = 'RS' AND seq > 3) OR party = 'MK'")
        )
        conn.execute(text("DELETE FROM audit_heads WHERE party = 'MK'"))
        last = conn.execute(
            text("SELECT hash FROM audit_records WHERE party = 'RS' AND seq = 3")
        ).scalar_one()
        conn.execute(text(f"UPDATE audit_heads SET seq = 3, hash = '{last}' WHERE party = 'RS'"))
    assert service.verify(engine=engine).ok  # nothing inside the database can tell...
    result = runner.invoke(cli, ["audit", "verify", "--anchors", str(anchors)])
    assert result.exit_code == 1  # ...but the anchors kept outside it can
    assert "chain RS, record #5: missing the checkpoint kept outside" in result.output
    assert "chain MK, record #2: missing the checkpoint kept outside" in result.output
