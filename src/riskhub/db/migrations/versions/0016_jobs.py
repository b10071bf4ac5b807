"""Jobs: the queue of background work (retraining, reviews, KPI rollups) that workers claim

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01 12:00:00
"""

import sqlalchemy as sa
from alembic import op

from riskhub.db import rls

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
APP_ROLE = "riskhub_app"


def upgrade() -> None:
    op.create_table(
        "jobs",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("party", sa.String(length=2), nullable=False),
        sa.Column("parameters", sa.Text(), nullable=False),
        sa.Column("dedupe_key", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("run_after", sa.DateTime(), nullable=False),
        sa.Column("leased_until", sa.DateTime(), nullable=True),
        sa.Column("worker", sa.String(length=120), nullable=True),
        sa.Column("enqueued_by", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("result", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["party"], ["parties.code"], name=op.f("fk_jobs_party_parties")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_jobs_dedupe_key")),
    )
    op.create_index("ix_jobs_status_run_after", "jobs", ["status", "run_after"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        # Jobs are operators' work: queued by `riskhub jobs add` (or cron) and run by
        # `riskhub worker`, both on the operators' connection (BYPASSRLS), for any Party.
        # No route reads or writes them, so the API's role gets nothing at all; the
        # tenant policy is there as on every table with a Party, should that change.
        for statement in rls.tenant("jobs"):
            op.execute(statement)
        op.execute(f"REVOKE ALL ON jobs FROM {APP_ROLE}")
        op.execute(f"REVOKE ALL ON SEQUENCE jobs_id_seq FROM {APP_ROLE}")


def downgrade() -> None:
    raise NotImplementedError("riskhub migrations go forward only")
