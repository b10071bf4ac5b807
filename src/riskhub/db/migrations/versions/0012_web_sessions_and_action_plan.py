"""Page sessions, the Action Plan tracker's reports and reviews, and a KPI index

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-28 07:00:00
"""

import sqlalchemy as sa
from alembic import op

from riskhub.db import rls

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "actionplan_reports",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("party", sa.String(length=2), nullable=False),
        sa.Column("activity", sa.String(length=4), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["party"], ["parties.code"], name=op.f("fk_actionplan_reports_party_parties")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_actionplan_reports")),
    )
    op.create_index(
        "ix_actionplan_reports_activity_party", "actionplan_reports", ["activity", "party"]
    )
    op.create_table(
        "actionplan_snapshots",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("party", sa.String(length=2), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("taken_by", sa.String(length=80), nullable=False),
        sa.Column("taken_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["party"], ["parties.code"], name=op.f("fk_actionplan_snapshots_party_parties")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_actionplan_snapshots")),
        sa.UniqueConstraint("period", name=op.f("uq_actionplan_snapshots_period")),
    )
    op.create_table(
        "web_sessions",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("party", sa.String(length=2), nullable=False),
        sa.Column("user_id", BIG_ID, nullable=False),
        sa.Column("token_id", BIG_ID, nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["party"], ["parties.code"], name=op.f("fk_web_sessions_party_parties")
        ),
        sa.ForeignKeyConstraint(
            ["token_id"], ["api_tokens.id"], name=op.f("fk_web_sessions_token_id_api_tokens")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_web_sessions_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_sessions")),
    )
    # The KPI pages read one Party's decisions over a period.
    op.create_index(
        "ix_selectivity_decisions_party_day", "selectivity_decisions", ["party", "lodged_at"]
    )
    if op.get_bind().dialect.name == "postgresql":
        for statement in (
            *rls.cefta_wide("actionplan_reports"),
            *rls.cefta_wide("actionplan_snapshots"),
            *rls.tenant("web_sessions"),
        ):
            op.execute(statement)


def downgrade() -> None:
    raise NotImplementedError("riskhub migrations go forward only")
