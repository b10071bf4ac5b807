"""The LPCO registry and AEO mutual recognition

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-28 04:30:00
"""

import sqlalchemy as sa
from alembic import op

from riskhub.db import rls

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "lpcos",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("party", sa.String(length=2), nullable=False),
        sa.Column("number", sa.String(length=35), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("agency", sa.String(length=24), nullable=False),
        sa.Column("holder", sa.String(length=35), nullable=False),
        sa.Column("hs_scope", sa.Text(), nullable=False),
        sa.Column("allowance", sa.Float(), nullable=True),
        sa.Column("unit", sa.String(length=8), nullable=True),
        sa.Column("used", sa.Float(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("issued_by", sa.String(length=80), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency"], ["agencies.code"], name=op.f("fk_lpcos_agency_agencies")
        ),
        sa.ForeignKeyConstraint(["party"], ["parties.code"], name=op.f("fk_lpcos_party_parties")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lpcos")),
        sa.UniqueConstraint("party", "number", name=op.f("uq_lpcos_party")),
    )
    op.create_table(
        "lpco_events",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("party", sa.String(length=2), nullable=False),
        sa.Column("lpco_id", BIG_ID, nullable=False),
        sa.Column("action", sa.String(length=12), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["lpco_id"],
            ["lpcos.id"],
            name=op.f("fk_lpco_events_lpco_id_lpcos"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lpco_events")),
    )
    with op.batch_alter_table("lpco_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lpco_events_lpco_id"), ["lpco_id"], unique=False)
    op.create_table(
        "lpco_drawdowns",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("party", sa.String(length=2), nullable=False),
        sa.Column("lpco_id", BIG_ID, nullable=False),
        sa.Column("reference", sa.String(length=35), nullable=False),
        sa.Column("item_no", sa.Integer(), nullable=False),
        sa.Column("declaration_id", BIG_ID, nullable=False),
        sa.Column("declaration_version", sa.Integer(), nullable=False),
        sa.Column("amount", sa.Float(), nullable=False),
        sa.Column("drawn_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["lpco_id"],
            ["lpcos.id"],
            name=op.f("fk_lpco_drawdowns_lpco_id_lpcos"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lpco_drawdowns")),
        sa.UniqueConstraint(
            "lpco_id", "party", "reference", "item_no", name=op.f("uq_lpco_drawdowns_lpco_id")
        ),
    )
    op.create_index("ix_lpco_drawdowns_party_reference", "lpco_drawdowns", ["party", "reference"])
    op.create_table(
        "aeo_recognitions",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("party", sa.String(length=2), nullable=False),
        sa.Column("partner", sa.String(length=2), nullable=False),
        sa.Column("reference", sa.String(length=80), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("ended_by", sa.String(length=80), nullable=True),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["party"], ["parties.code"], name=op.f("fk_aeo_recognitions_party_parties")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_aeo_recognitions")),
        sa.UniqueConstraint("party", "reference", name=op.f("uq_aeo_recognitions_party")),
    )
    with op.batch_alter_table("selectivity_decisions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("priority", sa.Boolean(), server_default=sa.false(), nullable=False)
        )

    if op.get_bind().dialect.name != "postgresql":
        return
    for table in ("lpcos", "lpco_events", "lpco_drawdowns", "aeo_recognitions"):
        for statement in rls.tenant(table):
            op.execute(statement)
    # A Party also reads the authorisations of the Parties whose AEOs it recognises
    # (partner 'EU': every EU Member State), so its decisions can give their holders
    # priority passage. It still writes only its own.
    recognised = (
        "EXISTS (SELECT 1 FROM aeo_recognitions r "
        "WHERE r.party = current_setting('riskhub.party', true) "
        "AND (r.partner = aeo_authorisations.party OR (r.partner = 'EU' AND EXISTS ("
        "SELECT 1 FROM parties p WHERE p.code = aeo_authorisations.party "
        "AND p.kind = 'eu_partner'))))"
    )
    op.execute(
        f"CREATE POLICY recognised_read ON aeo_authorisations FOR SELECT USING ({recognised})"
    )


def downgrade() -> None:
    raise NotImplementedError("riskhub migrations only go forward")
