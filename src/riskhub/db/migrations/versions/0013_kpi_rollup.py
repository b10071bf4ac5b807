"""The KPI rollup: decided declarations counted per Party, day, office, channel and cause

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-28 10:00:00

The rows are derived data: ``riskhub db upgrade`` builds them for the Parties
that already have decisions (``kpis.rollup.fill_missing``), after the schema.
"""

import sqlalchemy as sa
from alembic import op

from riskhub.db import rls

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "kpi_days",
        sa.Column("party", sa.String(length=2), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("office", sa.String(length=17), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("random_control", sa.Boolean(), nullable=False),
        sa.Column("aeo", sa.Boolean(), nullable=False),
        sa.Column("driver", sa.String(length=16), nullable=False),
        sa.Column("declarations", sa.Integer(), nullable=False),
        sa.Column("inspections", sa.Integer(), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.Column("seizures", sa.Integer(), nullable=False),
        sa.Column("revenue_cents", sa.BigInteger(), nullable=False),
        sa.Column("arrival_hours", sa.Text(), nullable=False),
        sa.Column("lodgement_hours", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["party"], ["parties.code"], name=op.f("fk_kpi_days_party_parties")
        ),
        sa.PrimaryKeyConstraint(
            "party",
            "day",
            "office",
            "channel",
            "random_control",
            "aeo",
            "driver",
            name=op.f("pk_kpi_days"),
        ),
    )
    if op.get_bind().dialect.name == "postgresql":
        for statement in rls.tenant("kpi_days"):
            op.execute(statement)


def downgrade() -> None:
    raise NotImplementedError("riskhub migrations go forward only")
