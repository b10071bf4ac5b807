"""Settings and the database engine: SQLite by default, configured safely; PostgreSQL by URL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from riskhub.db.engine import make_engine
from riskhub.settings import Settings


def test_default_database_is_sqlite_under_the_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("RISKHUB_DATABASE_URL", raising=False)
    monkeypatch.setenv("RISKHUB_DATA_DIR", str(tmp_path))
    url = Settings().effective_database_url
    assert url == f"sqlite:///{tmp_path.resolve() / 'riskhub.sqlite3'}"


def test_postgres_url_switches_the_database(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RISKHUB_DATABASE_URL", "postgresql+psycopg://u@db/riskhub")
    assert Settings().effective_database_url == "postgresql+psycopg://u@db/riskhub"


def test_dotenv_file_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RISKHUB_INGEST_CHUNK_DECLARATIONS", raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("RISKHUB_INGEST_CHUNK_DECLARATIONS=123\n")
    assert Settings().ingest_chunk_declarations == 123


def test_sqlite_runs_in_wal_with_full_sync(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'x' / 'db.sqlite3'}")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar_one() == "wal"
        assert conn.execute(text("PRAGMA synchronous")).scalar_one() == 2  # FULL
        assert conn.execute(text("PRAGMA foreign_keys")).scalar_one() == 1
    engine.dispose()
