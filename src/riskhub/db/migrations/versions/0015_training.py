"""Training: cohorts and members, exercise attempts, training records

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-28 12:00:00
"""

import sqlalchemy as sa
from alembic import op

from riskhub.db import rls

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _party(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["party"], ["parties.code"], name=op.f(f"fk_{table}_party_parties")
    )


def upgrade() -> None:
    op.create_table(
        "training_cohorts",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("party", sa.String(length=2), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("join_code", sa.String(length=12), nullable=False),
        sa.Column("exercises", sa.Text(), nullable=False),
        sa.Column("instructor_id", BIG_ID, nullable=False),
        sa.Column("instructor", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        _party("training_cohorts"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_cohorts")),
        sa.UniqueConstraint("join_code", name=op.f("uq_training_cohorts_join_code")),
    )
    op.create_table(
        "training_members",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("party", sa.String(length=2), nullable=False),
        sa.Column("cohort_id", BIG_ID, nullable=False),
        sa.Column("user_id", BIG_ID, nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("joined_at", sa.DateTime(), nullable=False),
        _party("training_members"),
        sa.ForeignKeyConstraint(
            ["cohort_id"],
            ["training_cohorts.id"],
            name=op.f("fk_training_members_cohort_id_training_cohorts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_members")),
        sa.UniqueConstraint("cohort_id", "user_id", name=op.f("uq_training_members_cohort_id")),
    )
    op.create_table(
        "training_attempts",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("party", sa.String(length=2), nullable=False),
        sa.Column("user_id", BIG_ID, nullable=False),
        sa.Column("trainee", sa.String(length=120), nullable=False),
        sa.Column("exercise", sa.String(length=24), nullable=False),
        sa.Column("cohort_id", BIG_ID, nullable=True),
        sa.Column("profiles", sa.Text(), nullable=False),
        sa.Column("result", sa.Text(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(), nullable=False),
        _party("training_attempts"),
        sa.ForeignKeyConstraint(
            ["cohort_id"],
            ["training_cohorts.id"],
            name=op.f("fk_training_attempts_cohort_id_training_cohorts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_attempts")),
    )
    op.create_table(
        "training_records",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("party", sa.String(length=2), nullable=False),
        sa.Column("person", sa.String(length=120), nullable=False),
        sa.Column("agency", sa.String(length=24), nullable=False),
        sa.Column("course", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("completed_on", sa.Date(), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("recorded_by", sa.String(length=120), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        _party("training_records"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_records")),
        sa.UniqueConstraint(
            "party", "person", "course", "completed_on", name=op.f("uq_training_records_party")
        ),
    )
    if op.get_bind().dialect.name == "postgresql":
        # Cohorts and attempts are read across Parties (an instructor follows trainees of
        # several); the services show each only to its cohort. Records stay with their Party.
        for statement in (
            *rls.cefta_wide("training_cohorts"),
            *rls.cefta_wide("training_members"),
            *rls.cefta_wide("training_attempts"),
            *rls.tenant("training_records"),
        ):
            op.execute(statement)


def downgrade() -> None:
    raise NotImplementedError("riskhub migrations go forward only")
