"""Alembic environment: migrations run online against the configured database."""

from __future__ import annotations

from alembic import context
from sqlalchemy import pool

from riskhub.db.base import Base
from riskhub.db.engine import make_engine
from riskhub.db.models import load_all_models

load_all_models()
config = context.config
url = config.get_main_option("sqlalchemy.url")
assert url, "riskhub.db.migrate sets sqlalchemy.url"

engine = make_engine(url, poolclass=pool.NullPool)  # leave no pooled connection behind
with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
