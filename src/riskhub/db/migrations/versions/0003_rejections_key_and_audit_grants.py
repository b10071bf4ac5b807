"""Rejections keyed by Party; the API role may only append to the audit log

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("UPDATE ingest_rejections SET party = '' WHERE party IS NULL")
    with op.batch_alter_table("ingest_rejections", schema=None) as batch_op:
        batch_op.drop_constraint("uq_ingest_rejections_source_sha256", type_="unique")
        batch_op.create_unique_constraint(
            "uq_ingest_rejections_party", ["party", "source_sha256", "location", "field"]
        )
    if op.get_bind().dialect.name == "postgresql":
        # Records and checkpoints are written once; only the chain head moves.
        op.execute("REVOKE UPDATE, DELETE ON audit_records, audit_checkpoints FROM riskhub_app")


def downgrade() -> None:
    raise NotImplementedError("riskhub migrations only go forward")
