"""Risk profiles, their versions, named lists, selectivity decisions and office settings

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

from riskhub.db import rls
from riskhub.db.base import BigId

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "risk_profiles",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("party", sa.String(2), nullable=False),
        sa.Column("code", sa.String(40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("threat", sa.String(24), nullable=False),
        sa.Column("direction", sa.String(8), nullable=False),
        sa.Column("channel", sa.String(8), nullable=False),
        sa.Column("weight", sa.Integer(), nullable=False),
        sa.Column("select_share", sa.Float(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("distribution", sa.String(10), nullable=False),
        sa.Column("tlp", sa.String(6), nullable=False),
        sa.Column("sharing_group", sa.String(60), nullable=True),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("updated_by", BigId, nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("party", "code", name="uq_risk_profiles_party"),
    )
    op.create_table(
        "risk_profile_versions",
        sa.Column("id", BigId, primary_key=True),
        sa.Column(
            "profile_id",
            BigId,
            sa.ForeignKey(
                "risk_profiles.id",
                ondelete="CASCADE",
                name="fk_risk_profile_versions_profile_id_risk_profiles",
            ),
            nullable=False,
        ),
        sa.Column("party", sa.String(2), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("change", sa.String(200), nullable=False),
        sa.Column("changed_by", BigId, nullable=True),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("profile_id", "version", name="uq_risk_profile_versions_profile_id"),
    )
    op.create_table(
        "named_lists",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("party", sa.String(2), nullable=False),
        sa.Column("name", sa.String(60), nullable=False),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("entries", sa.Text(), nullable=False),
        sa.Column("distribution", sa.String(10), nullable=False),
        sa.Column("tlp", sa.String(6), nullable=False),
        sa.Column("sharing_group", sa.String(60), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("party", "name", name="uq_named_lists_party"),
    )
    op.create_table(
        "selectivity_decisions",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("party", sa.String(2), nullable=False),
        sa.Column(
            "declaration_id",
            BigId,
            sa.ForeignKey(
                "declarations.id",
                ondelete="CASCADE",
                name="fk_selectivity_decisions_declaration_id_declarations",
            ),
            nullable=False,
        ),
        sa.Column("declaration_version", sa.Integer(), nullable=False),
        sa.Column("office", sa.String(17), nullable=False),
        sa.Column("lodged_at", sa.DateTime(), nullable=False),
        sa.Column("channel", sa.String(8), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("random_control", sa.Boolean(), nullable=False),
        sa.Column("aeo", sa.Boolean(), nullable=False),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.Column("agencies", sa.Text(), nullable=False),
        sa.Column("checklist", sa.Text(), nullable=False),
        sa.Column("budget", sa.Text(), nullable=True),
        sa.Column("engine_version", sa.String(40), nullable=False),
        sa.Column("profiles_version", sa.String(16), nullable=False),
        sa.Column("model_version", sa.String(40), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint(
            "declaration_id",
            "declaration_version",
            name="uq_selectivity_decisions_declaration_id",
        ),
    )
    op.create_index(
        "ix_selectivity_decisions_declaration_id", "selectivity_decisions", ["declaration_id"]
    )
    op.create_index(
        "ix_selectivity_decisions_office_day", "selectivity_decisions", ["office", "lodged_at"]
    )
    op.create_table(
        "office_selectivity",
        sa.Column("office", sa.String(17), primary_key=True),
        sa.Column("party", sa.String(2), nullable=False),
        sa.Column("random_rate", sa.Float(), nullable=False),
        sa.Column("random_rate_aeo", sa.Float(), nullable=False),
        sa.Column("target_red", sa.Float(), nullable=False),
        sa.Column("target_yellow", sa.Float(), nullable=False),
        sa.Column("red_capacity_per_day", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )
    # The trader lookups of history fields for a single declaration.
    op.create_index("ix_declarations_party_importer", "declarations", ["party", "importer"])
    op.create_index("ix_declarations_party_exporter", "declarations", ["party", "exporter"])
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in ("risk_profile_versions", "selectivity_decisions", "office_selectivity"):
        for statement in rls.tenant(table):
            op.execute(statement)
    for table in ("risk_profiles", "named_lists"):
        for statement in rls.shared(table):
            op.execute(statement)


def downgrade() -> None:
    raise NotImplementedError("riskhub migrations only go forward")
