"""The model registry, challengers' shadow scores, and offices' model settings

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28 00:29:26.192453
"""

import sqlalchemy as sa
from alembic import op

from riskhub.db import rls

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "risk_models",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("party", sa.String(length=2), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("train_from", sa.Date(), nullable=False),
        sa.Column("train_to", sa.Date(), nullable=False),
        sa.Column("trained_rows", sa.Integer(), nullable=False),
        sa.Column("features", sa.Text(), nullable=False),
        sa.Column("metrics", sa.Text(), nullable=False),
        sa.Column("revenue_weight", sa.Float(), nullable=False),
        sa.Column("artifact", sa.LargeBinary(), nullable=False),
        sa.Column("artifact_sha256", sa.String(length=64), nullable=False),
        sa.Column("trained_by", sa.String(length=80), nullable=False),
        sa.Column("trained_at", sa.DateTime(), nullable=False),
        sa.Column("approved_by", sa.String(length=80), nullable=True),
        sa.Column("approved_at", sa.DateTime(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_models")),
        sa.UniqueConstraint("party", "version", name=op.f("uq_risk_models_party")),
    )
    op.create_table(
        "shadow_scores",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("party", sa.String(length=2), nullable=False),
        sa.Column("model_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "declaration_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("declaration_version", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("scored_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["declaration_id"],
            ["declarations.id"],
            name=op.f("fk_shadow_scores_declaration_id_declarations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["model_id"],
            ["risk_models.id"],
            name=op.f("fk_shadow_scores_model_id_risk_models"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shadow_scores")),
        sa.UniqueConstraint(
            "model_id",
            "declaration_id",
            "declaration_version",
            name=op.f("uq_shadow_scores_model_id"),
        ),
    )
    with op.batch_alter_table("shadow_scores", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_shadow_scores_declaration_id"), ["declaration_id"], unique=False
        )
    with op.batch_alter_table("office_selectivity", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("revenue_weight", sa.Float(), nullable=False, server_default="0.03")
        )
        batch_op.add_column(
            sa.Column("exploration", sa.Float(), nullable=False, server_default="0.5")
        )
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in ("risk_models", "shadow_scores"):
        for statement in rls.tenant(table):
            op.execute(statement)


def downgrade() -> None:
    raise NotImplementedError("riskhub migrations only go forward")
