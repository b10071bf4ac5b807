"""RIFs and the common risk profiles' lifecycle (proposals, votes, events, local activation)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-28 04:30:00
"""

import sqlalchemy as sa
from alembic import op

from riskhub.db import rls

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "profile_activations",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("party", sa.String(length=2), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("decided_by", BIG_ID, nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_profile_activations")),
        sa.UniqueConstraint("party", "code", name=op.f("uq_profile_activations_party")),
    )
    op.create_table(
        "rifs",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("party", sa.String(length=2), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("risk_area", sa.String(length=16), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("modus_operandi", sa.Text(), nullable=False),
        sa.Column("indicators", sa.Text(), nullable=False),
        sa.Column("hs_codes", sa.Text(), nullable=False),
        sa.Column("goods_description", sa.Text(), nullable=False),
        sa.Column("origin_country", sa.String(length=2), nullable=True),
        sa.Column("dispatch_country", sa.String(length=2), nullable=True),
        sa.Column("route", sa.Text(), nullable=False),
        sa.Column("transport_mode", sa.String(length=12), nullable=True),
        sa.Column("operators", sa.Text(), nullable=False),
        sa.Column("detection_technique", sa.Text(), nullable=False),
        sa.Column("seized_quantity", sa.Float(), nullable=True),
        sa.Column("seized_unit", sa.String(length=10), nullable=True),
        sa.Column("seized_value_eur", sa.Float(), nullable=True),
        sa.Column("recommended_control", sa.Text(), nullable=False),
        sa.Column("urgency", sa.String(length=10), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("distribution", sa.String(length=10), nullable=False),
        sa.Column("tlp", sa.String(length=6), nullable=False),
        sa.Column("sharing_group", sa.String(length=60), nullable=True),
        sa.Column("raised_by", BIG_ID, nullable=True),
        sa.Column("raised_at", sa.DateTime(), nullable=False),
        sa.Column("shared_at", sa.DateTime(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rifs")),
        sa.UniqueConstraint("party", "number", name=op.f("uq_rifs_party")),
    )
    op.create_table(
        "rif_feedback",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("rif_id", BIG_ID, nullable=False),
        sa.Column("party", sa.String(length=2), nullable=False),
        sa.Column("control_done", sa.Boolean(), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("controls", sa.Integer(), nullable=False),
        sa.Column("detections", sa.Integer(), nullable=False),
        sa.Column("value_detected_eur", sa.Float(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("given_by", BIG_ID, nullable=True),
        sa.Column("given_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["rif_id"], ["rifs.id"], name=op.f("fk_rif_feedback_rif_id_rifs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rif_feedback")),
        sa.UniqueConstraint("rif_id", "party", name=op.f("uq_rif_feedback_rif_id")),
    )
    op.create_table(
        "common_profile_cases",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("party", sa.String(length=2), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("drafted_by_party", sa.String(length=2), nullable=False),
        sa.Column("drafted_by", BIG_ID, nullable=True),
        sa.Column("source_rif_id", BIG_ID, nullable=True),
        sa.Column("quorum", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("proposed_at", sa.DateTime(), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("published_at", sa.DateTime(), nullable=True),
        sa.Column("review_due", sa.Date(), nullable=True),
        sa.Column("closed_reason", sa.Text(), nullable=False),
        sa.Column("profile_id", BIG_ID, nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_common_profile_cases")),
        sa.UniqueConstraint("code", "version", name=op.f("uq_common_profile_cases_code")),
    )
    op.create_table(
        "common_profile_votes",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("case_id", BIG_ID, nullable=False),
        sa.Column("party", sa.String(length=2), nullable=False),
        sa.Column("vote", sa.String(length=8), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("voted_by", BIG_ID, nullable=True),
        sa.Column("voted_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["common_profile_cases.id"],
            name=op.f("fk_common_profile_votes_case_id_common_profile_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_common_profile_votes")),
        sa.UniqueConstraint("case_id", "party", name=op.f("uq_common_profile_votes_case_id")),
    )
    op.create_table(
        "common_profile_events",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("case_id", BIG_ID, nullable=False),
        sa.Column("party", sa.String(length=2), nullable=False),
        sa.Column("event", sa.String(length=20), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("actor", BIG_ID, nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["common_profile_cases.id"],
            name=op.f("fk_common_profile_events_case_id_common_profile_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_common_profile_events")),
    )
    op.create_index("ix_common_profile_events_case", "common_profile_events", ["case_id", "id"])
    if op.get_bind().dialect.name != "postgresql":
        return
    statements = [
        *rls.shared("rifs"),
        # Beyond rls.shared: another Party never reads a draft RIF, whatever its distribution.
        "DROP POLICY shared_read ON rifs",
        f"CREATE POLICY shared_read ON rifs FOR SELECT USING ({rls.TENANT} "
        "OR (distribution <> 'own' AND status <> 'draft'))",
        *rls.cefta_wide("rif_feedback"),
        *rls.cefta_wide("profile_activations"),
        *rls.cefta_wide("common_profile_cases"),
        *rls.cefta_wide("common_profile_votes"),
        *rls.cefta_wide("common_profile_events"),
    ]
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    raise NotImplementedError("riskhub migrations only go forward")
