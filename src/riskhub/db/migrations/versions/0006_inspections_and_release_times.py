"""Inspection protocols and results, findings, release times, feedback on common profiles

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 23:51:02.498645
"""

import sqlalchemy as sa
from alembic import op

from riskhub.db import rls

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "checklists",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("party", sa.String(length=2), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("agency", sa.String(length=24), nullable=False),
        sa.Column("channels", sa.Text(), nullable=False),
        sa.Column("profiles", sa.Text(), nullable=False),
        sa.Column("items", sa.Text(), nullable=False),
        sa.Column("distribution", sa.String(length=10), nullable=False),
        sa.Column("tlp", sa.String(length=6), nullable=False),
        sa.Column("sharing_group", sa.String(length=60), nullable=True),
        sa.Column(
            "updated_by", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checklists")),
        sa.UniqueConstraint("party", "code", name=op.f("uq_checklists_party")),
    )
    op.create_table(
        "checklist_versions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "checklist_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("party", sa.String(length=2), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column(
            "changed_by", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["checklist_id"],
            ["checklists.id"],
            name=op.f("fk_checklist_versions_checklist_id_checklists"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checklist_versions")),
        sa.UniqueConstraint(
            "checklist_id", "version", name=op.f("uq_checklist_versions_checklist_id")
        ),
    )
    op.create_table(
        "release_times",
        sa.Column(
            "declaration_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("party", sa.String(length=2), nullable=False),
        sa.Column("arrival_at", sa.DateTime(), nullable=True),
        sa.Column("pre_arrival_at", sa.DateTime(), nullable=True),
        sa.Column("channel_at", sa.DateTime(), nullable=True),
        sa.Column("document_start", sa.DateTime(), nullable=True),
        sa.Column("document_end", sa.DateTime(), nullable=True),
        sa.Column("physical_start", sa.DateTime(), nullable=True),
        sa.Column("physical_end", sa.DateTime(), nullable=True),
        sa.Column("agency_start", sa.DateTime(), nullable=True),
        sa.Column("agency_end", sa.DateTime(), nullable=True),
        sa.Column("released_at", sa.DateTime(), nullable=True),
        sa.Column("exit_at", sa.DateTime(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["declaration_id"],
            ["declarations.id"],
            name=op.f("fk_release_times_declaration_id_declarations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("declaration_id", name=op.f("pk_release_times")),
    )
    op.create_table(
        "inspections",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("party", sa.String(length=2), nullable=False),
        sa.Column("reference", sa.String(length=35), nullable=False),
        sa.Column(
            "declaration_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("declaration_version", sa.Integer(), nullable=False),
        sa.Column(
            "decision_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("office", sa.String(length=17), nullable=False),
        sa.Column("agency", sa.String(length=24), nullable=False),
        sa.Column("joint_with", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("inspector", sa.String(length=80), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=False),
        sa.Column("answers", sa.Text(), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("additional_revenue_eur", sa.Float(), nullable=False),
        sa.Column("seized_quantity", sa.Float(), nullable=True),
        sa.Column("seized_unit", sa.String(length=10), nullable=True),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column(
            "recorded_by", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["decision_id"],
            ["selectivity_decisions.id"],
            name=op.f("fk_inspections_decision_id_selectivity_decisions"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["declaration_id"],
            ["declarations.id"],
            name=op.f("fk_inspections_declaration_id_declarations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspections")),
        sa.UniqueConstraint("party", "reference", name=op.f("uq_inspections_party")),
    )
    with op.batch_alter_table("inspections", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_inspections_declaration_id"), ["declaration_id"], unique=False
        )
        batch_op.create_index("ix_inspections_party_started", ["party", "started_at"], unique=False)

    op.create_table(
        "inspection_feedback",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("party", sa.String(length=2), nullable=False),
        sa.Column(
            "inspection_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("profile_owner", sa.String(length=2), nullable=False),
        sa.Column("profile_code", sa.String(length=40), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("distribution", sa.String(length=10), nullable=False),
        sa.Column("tlp", sa.String(length=6), nullable=False),
        sa.Column("sharing_group", sa.String(length=60), nullable=True),
        sa.Column("shared_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["inspection_id"],
            ["inspections.id"],
            name=op.f("fk_inspection_feedback_inspection_id_inspections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspection_feedback")),
        sa.UniqueConstraint(
            "inspection_id",
            "profile_owner",
            "profile_code",
            name=op.f("uq_inspection_feedback_inspection_id"),
        ),
    )
    op.create_table(
        "inspection_findings",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "inspection_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("party", sa.String(length=2), nullable=False),
        sa.Column("category", sa.String(length=24), nullable=False),
        sa.Column("item_no", sa.Integer(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["inspection_id"],
            ["inspections.id"],
            name=op.f("fk_inspection_findings_inspection_id_inspections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspection_findings")),
    )
    with op.batch_alter_table("inspection_findings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_inspection_findings_inspection_id"), ["inspection_id"], unique=False
        )
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in ("checklist_versions", "inspections", "inspection_findings", "release_times"):
        for statement in rls.tenant(table):
            op.execute(statement)
    for table in ("checklists", "inspection_feedback"):
        for statement in rls.shared(table):
            op.execute(statement)


def downgrade() -> None:
    raise NotImplementedError("riskhub migrations only go forward")
