"""Test fixtures: a real database (SQLite file, or PostgreSQL from RISKHUB_TEST_DATABASE_URL).

On PostgreSQL the tests run as the operators do (the schema owner, for setup and
bulk loads) and as the API does (the ``riskhub_app`` role, bound by row-level
security), each with its own URL.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from riskhub.access import service as access
from riskhub.access.roles import Role
from riskhub.db import migrate
from riskhub.db.base import Base
from riskhub.db.engine import engine_for, make_engine
from riskhub.db.models import load_all_models
from riskhub.settings import get_settings

TEST_DATABASE_URL = os.environ.get("RISKHUB_TEST_DATABASE_URL")
APP_ROLE = "riskhub_app"
REFERENCE_TABLES = {"parties", "agencies", "offices"}


def is_postgres(url: str) -> bool:
    return url.startswith("postgresql")


@dataclass(frozen=True)
class Databases:
    admin_url: str  # operators: migrations, bulk loads, audit checks
    app_url: str  # the API's role (on PostgreSQL, bound by row-level security)


@pytest.fixture(scope="session")
def databases(tmp_path_factory: pytest.TempPathFactory) -> Databases:
    """A migrated, empty database for this test session."""
    url = TEST_DATABASE_URL or f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
    if not is_postgres(url):
        migrate.upgrade(url)
        return Databases(url, url)
    scratch = make_engine(url)
    with scratch.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    migrate.upgrade(url)
    with scratch.begin() as conn:
        conn.execute(text(f"ALTER ROLE {APP_ROLE} LOGIN"))
    scratch.dispose()
    app_url = make_url(url).set(username=APP_ROLE, password=None)
    return Databases(url, app_url.render_as_string(hide_password=False))


@pytest.fixture(scope="session")
def database_url(databases: Databases) -> str:
    return databases.admin_url


@pytest.fixture
def settings_env(
    databases: Databases, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """Point riskhub's settings (and so its CLI and API) at the test database."""
    monkeypatch.setenv("RISKHUB_DATABASE_URL", databases.app_url)
    monkeypatch.setenv("RISKHUB_ADMIN_DATABASE_URL", databases.admin_url)
    monkeypatch.setenv("RISKHUB_DATA_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def engine(databases: Databases, settings_env: None) -> Iterator[Engine]:
    """The operators' engine on the test database; every tenant table is emptied after each test."""
    eng = engine_for(databases.admin_url)
    yield eng
    empty_all_tables(eng)


@pytest.fixture
def app_engine(databases: Databases, engine: Engine) -> Engine:
    """The API's engine (row-level security applies on PostgreSQL)."""
    return engine_for(databases.app_url)


def empty_all_tables(eng: Engine) -> None:
    load_all_models()
    tables = [
        t.name for t in reversed(Base.metadata.sorted_tables) if t.name not in REFERENCE_TABLES
    ]
    with eng.begin() as conn:
        if is_postgres(str(eng.url)):
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for name in tables:
                conn.execute(text(f"DELETE FROM {name}"))


MakeUser = Callable[..., str]


@pytest.fixture
def make_user(engine: Engine) -> MakeUser:
    """Create a user and return their API token."""

    def make(party: str, role: Role, *, name: str | None = None, offices: list[str] | None = None,
             agency: str | None = None, days: int = 30) -> str:  # fmt: skip
        now = datetime.now(UTC).replace(tzinfo=None)
        with Session(engine) as session, session.begin():
            user = access.create_user(
                session=session, party=party, name=name or f"{role.value}-{party}",
                role=role, offices=offices, agency=agency, now=now,
            )  # fmt: skip
            return access.issue_token(session=session, user=user, days=days, now=now).token

    return make
