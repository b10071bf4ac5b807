"""Revenue in known outcomes; the AEO registry

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

APP_ROLE = "riskhub_app"


def upgrade() -> None:
    with op.batch_alter_table("known_outcomes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("revenue_eur", sa.Float(), nullable=True))
        # A source may give the revenue a control recovered without naming the kind.
        batch_op.alter_column("outcome", existing_type=sa.String(length=40), nullable=True)
    op.create_table(
        "aeo_authorisations",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("party", sa.String(length=2), nullable=False),
        sa.Column("trader", sa.String(length=35), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["party"], ["parties.code"], name=op.f("fk_aeo_authorisations_party_parties")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_aeo_authorisations")),
        sa.UniqueConstraint("party", "trader", "kind", name=op.f("uq_aeo_authorisations_party")),
    )
    if op.get_bind().dialect.name == "postgresql":
        _row_level_security()


def downgrade() -> None:
    raise NotImplementedError("riskhub migrations only go forward")


def _row_level_security() -> None:
    # A tenant table like those of 0002: each Party sees and writes only its own
    # authorisations. The default privileges of 0002 cover a table the same owner
    # creates, but the grants are spelled out so that the table never depends on
    # who ran which migration.
    tenant = "party = current_setting('riskhub.party', true)"
    op.execute("ALTER TABLE aeo_authorisations ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE aeo_authorisations FORCE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY tenant ON aeo_authorisations USING ({tenant}) WITH CHECK ({tenant})")
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON aeo_authorisations TO {APP_ROLE}")
    op.execute(f"GRANT USAGE, SELECT ON SEQUENCE aeo_authorisations_id_seq TO {APP_ROLE}")
