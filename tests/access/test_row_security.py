"""PostgreSQL row-level security: on every tenant table, forced, and not bypassable by the API."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from riskhub.db.engine import make_engine
from riskhub.db.tenancy import acting_for
from riskhub.declarations import service as declarations
from tests.conftest import APP_ROLE, TEST_DATABASE_URL, Databases, is_postgres
from tests.helpers import nested

pytestmark = pytest.mark.skipif(
    not (TEST_DATABASE_URL and is_postgres(TEST_DATABASE_URL)), reason="PostgreSQL only"
)


def seed(engine: Engine) -> None:
    for party, office in (("AL", "AL-MOR"), ("RS", "RS-PRE"), ("RS", "RS-HOR")):
        declarations.ingest_records(
            engine=engine, records=[nested(f"{party}-{office}", party=party, office=office)],
            submitted_by_party=party, body_sha256=office,
        )  # fmt: skip


def test_every_table_with_a_party_has_forced_row_security(engine: Engine) -> None:
    with engine.connect() as conn:
        tables = conn.execute(
            text(
                "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity, "
                "pg_get_userbyid(c.relowner) FROM pg_class c "
                "JOIN information_schema.columns col ON col.table_name = c.relname "
                "AND col.table_schema = 'public' AND col.column_name = 'party' "
                "WHERE c.relkind = 'r'"
            )
        ).all()
        role = conn.execute(
            text("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = :r"), {"r": APP_ROLE}
        ).one()
    assert len(tables) >= 10
    unprotected = [name for name, enabled, forced, _ in tables if not (enabled and forced)]
    assert unprotected == []
    assert all(owner != APP_ROLE for *_, owner in tables)
    assert tuple(role) == (False, False)


def test_the_app_role_sees_only_its_partys_rows_and_none_without_one(
    engine: Engine, app_engine: Engine
) -> None:
    seed(engine)
    count = "SELECT COUNT(*) FROM declarations"
    with app_engine.connect() as conn:
        assert conn.execute(text(count)).scalar_one() == 0
    with acting_for("RS"), app_engine.connect() as conn:
        assert conn.execute(text(count)).scalar_one() == 2
        assert conn.execute(
            text("SELECT DISTINCT party FROM declaration_items")
        ).scalars().all() == ["RS"]
    with acting_for("AL"), app_engine.connect() as conn:
        assert conn.execute(text(count)).scalar_one() == 1


def test_the_app_role_cannot_switch_row_security_off(app_engine: Engine, engine: Engine) -> None:
    seed(engine)
    with acting_for("RS"), app_engine.connect() as conn:
        conn.execute(text("SET LOCAL row_security = off"))
        with pytest.raises(DBAPIError, match="row-level security"):
            conn.execute(text("SELECT COUNT(*) FROM declarations"))
    with acting_for("RS"), app_engine.connect() as conn, pytest.raises(DBAPIError, match="owner"):
        conn.execute(text("ALTER TABLE declarations DISABLE ROW LEVEL SECURITY"))
    intrude = text(
        "INSERT INTO users (party, name, role, disabled, created_at) "
        "VALUES ('AL', 'intruder', 'party_admin', false, now())"
    )
    with (
        acting_for("RS"),
        app_engine.connect() as conn,
        pytest.raises(DBAPIError, match="row-level security"),
    ):
        conn.execute(intrude)


def test_a_pooled_connection_carries_no_party_into_the_next_request(
    databases: Databases, engine: Engine
) -> None:
    seed(engine)
    pooled = make_engine(databases.app_url, pool_size=1, max_overflow=0)
    count = text(
        "SELECT (SELECT COUNT(*) FROM declarations), pg_backend_pid(), "
        "current_setting('riskhub.party', true)"
    )
    try:
        with acting_for("AL"), pooled.connect() as conn:
            al_rows, al_pid, al_party = conn.execute(count).one()
        with acting_for("RS"), pooled.connect() as conn:
            rs_rows, rs_pid, rs_party = conn.execute(count).one()
        with pooled.connect() as conn:
            none_rows, none_pid, none_party = conn.execute(count).one()
    finally:
        pooled.dispose()
    assert al_pid == rs_pid == none_pid  # the very same connection, reused
    assert (al_rows, al_party) == (1, "AL")
    assert (rs_rows, rs_party) == (2, "RS")
    assert (none_rows, none_party) == (0, "")
