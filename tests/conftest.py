"""Test fixtures: a real database (SQLite file, or PostgreSQL from RISKHUB_TEST_DATABASE_URL)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from riskhub.db import migrate
from riskhub.db.base import Base
from riskhub.db.engine import engine_for, make_engine
from riskhub.db.models import load_all_models
from riskhub.settings import get_settings

TEST_DATABASE_URL = os.environ.get("RISKHUB_TEST_DATABASE_URL")


def is_postgres(url: str) -> bool:
    return url.startswith("postgresql")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A migrated, empty database for this test session."""
    url = TEST_DATABASE_URL or f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
    if is_postgres(url):
        scratch = make_engine(url)
        with scratch.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        scratch.dispose()
    migrate.upgrade(url)
    return url


@pytest.fixture
def settings_env(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """Point riskhub's settings (and so its CLI and API) at the test database."""
    monkeypatch.setenv("RISKHUB_DATABASE_URL", database_url)
    monkeypatch.setenv("RISKHUB_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("RISKHUB_API_TOKENS", '{"token-rs": "RS", "token-mk": "MK"}')
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def engine(database_url: str, settings_env: None) -> Iterator[Engine]:
    """The test database's engine; every table is emptied after each test."""
    eng = engine_for(database_url)
    yield eng
    empty_all_tables(eng)


def empty_all_tables(eng: Engine) -> None:
    load_all_models()
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with eng.begin() as conn:
        if is_postgres(str(eng.url)):
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for name in tables:
                conn.execute(text(f"DELETE FROM {name}"))
