"""Assessments: each Party's answers to the S3/S4 questionnaires, per half-year

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-28 11:00:00
"""

import sqlalchemy as sa
from alembic import op

from riskhub.db import rls

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "assessment_responses",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("party", sa.String(length=2), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("answers", sa.Text(), nullable=False),
        sa.Column("comments", sa.Text(), nullable=False),
        sa.Column("scores", sa.Text(), nullable=True),
        sa.Column("updated_by", sa.String(length=80), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["party"], ["parties.code"], name=op.f("fk_assessment_responses_party_parties")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment_responses")),
        sa.UniqueConstraint("party", "code", "period", name=op.f("uq_assessment_responses_party")),
    )
    if op.get_bind().dialect.name == "postgresql":
        # Every Party reads the submitted scores (the RMWG compares them); each writes its own.
        for statement in rls.cefta_wide("assessment_responses"):
            op.execute(statement)


def downgrade() -> None:
    raise NotImplementedError("riskhub migrations go forward only")
