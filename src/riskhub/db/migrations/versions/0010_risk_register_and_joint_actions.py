"""The risk register and joint enforcement actions

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-28 04:30:00
"""

import sqlalchemy as sa
from alembic import op

from riskhub.db import rls

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
# Work done for some Party (no Party set sees nothing, as everywhere else).
ANY_PARTY = "coalesce(current_setting('riskhub.party', true), '') <> ''"


def upgrade() -> None:
    op.create_table(
        "risks",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("party", sa.String(length=2), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("category", sa.String(length=24), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("likelihood", sa.Integer(), nullable=False),
        sa.Column("impact", sa.Integer(), nullable=False),
        sa.Column("owner", sa.String(length=120), nullable=False),
        sa.Column("treatment", sa.String(length=10), nullable=False),
        sa.Column("profiles", sa.Text(), nullable=False),
        sa.Column("indicators", sa.Text(), nullable=True),
        sa.Column("review_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("created_by", BIG_ID, nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risks")),
        sa.UniqueConstraint("party", "number", name=op.f("uq_risks_party")),
    )
    op.create_table(
        "risk_changes",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("risk_id", BIG_ID, nullable=False),
        sa.Column("party", sa.String(length=2), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("changes", sa.Text(), nullable=False),
        sa.Column("changed_by", BIG_ID, nullable=True),
        sa.Column("actor", sa.String(length=160), nullable=False),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["risk_id"],
            ["risks.id"],
            name=op.f("fk_risk_changes_risk_id_risks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_changes")),
        sa.UniqueConstraint("risk_id", "version", name=op.f("uq_risk_changes_risk_id")),
    )
    op.create_table(
        "risk_candidates",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("party", sa.String(length=2), nullable=False),
        sa.Column("risk_id", BIG_ID, nullable=False),
        sa.Column("profile_id", BIG_ID, nullable=False),
        sa.Column("profile_code", sa.String(length=40), nullable=False),
        sa.Column("created_by", BIG_ID, nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["profile_id"],
            ["risk_profiles.id"],
            name=op.f("fk_risk_candidates_profile_id_risk_profiles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["risk_id"],
            ["risks.id"],
            name=op.f("fk_risk_candidates_risk_id_risks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_candidates")),
        sa.UniqueConstraint("party", "profile_id", name=op.f("uq_risk_candidates_party")),
    )
    with op.batch_alter_table("risk_candidates", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_risk_candidates_risk_id"), ["risk_id"], unique=False)

    op.create_table(
        "joint_actions",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("party", sa.String(length=2), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("goal", sa.Text(), nullable=False),
        sa.Column("period_from", sa.Date(), nullable=False),
        sa.Column("period_to", sa.Date(), nullable=False),
        sa.Column("participants", sa.Text(), nullable=False),
        sa.Column("agencies", sa.Text(), nullable=False),
        sa.Column("profiles", sa.Text(), nullable=False),
        sa.Column("rifs", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("decision_note", sa.Text(), nullable=False),
        sa.Column("decided_by", sa.String(length=160), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("closed_by", sa.String(length=160), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("created_by", BIG_ID, nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_joint_actions")),
    )
    op.create_table(
        "joint_action_reports",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("action_id", BIG_ID, nullable=False),
        sa.Column("party", sa.String(length=2), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("controls", sa.Integer(), nullable=False),
        sa.Column("detections", sa.Integer(), nullable=False),
        sa.Column("seized_quantity", sa.Float(), nullable=True),
        sa.Column("seized_unit", sa.String(length=10), nullable=True),
        sa.Column("seized_value_eur", sa.Float(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("reported_by", BIG_ID, nullable=True),
        sa.Column("reported_at", sa.DateTime(), nullable=False),
        sa.Column("amended_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["action_id"],
            ["joint_actions.id"],
            name=op.f("fk_joint_action_reports_action_id_joint_actions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_joint_action_reports")),
        sa.UniqueConstraint("action_id", "party", name=op.f("uq_joint_action_reports_action_id")),
    )

    if op.get_bind().dialect.name != "postgresql":
        return
    # A register is read by its own Party and, for the CEFTA-wide one (XS), by every
    # Party; a Party's register is nobody else's business. Each writes only its own:
    # the RMWG writes the CEFTA-wide register acting for XS.
    for table in ("risks", "risk_changes"):
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY register_read ON {table} FOR SELECT "
            f"USING ({rls.TENANT} OR (party = 'XS' AND {ANY_PARTY}))"
        )
        op.execute(f"CREATE POLICY owner_insert ON {table} FOR INSERT WITH CHECK ({rls.TENANT})")
        op.execute(
            f"CREATE POLICY owner_update ON {table} FOR UPDATE "
            f"USING ({rls.TENANT}) WITH CHECK ({rls.TENANT})"
        )
        op.execute(f"CREATE POLICY owner_delete ON {table} FOR DELETE USING ({rls.TENANT})")
    for statement in rls.tenant("risk_candidates"):
        op.execute(statement)
    # Joint actions are the RMWG's working objects: every Party may read them (the
    # service shows a Party only the actions it takes part in), each writes its own rows.
    for table in ("joint_actions", "joint_action_reports"):
        for statement in rls.cefta_wide(table):
            op.execute(statement)


def downgrade() -> None:
    raise NotImplementedError("riskhub migrations only go forward")
