"""Warnings, published totals, and the outbox for shiji.scoring.* topics.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

from shared.commit_order import PG_TX_ID_DEFAULT

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    op.create_table(
        "warnings",
        sa.Column("cadre_id", sa.String(64), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("raised_on", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(50), nullable=False),
        sa.Column("level", sa.String(10), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("rule_set", sa.String(100), nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cleared_on", sa.Date(), nullable=True),
        sa.Column("cleared_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("cadre_id", "key", "raised_on", name="pk_warnings"),
    )
    op.create_table(
        "published_totals",
        sa.Column("cadre_id", sa.String(64), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("total_cents", sa.BigInteger(), nullable=False),
        sa.Column("positive_cents", sa.BigInteger(), nullable=False),
        sa.Column("negative_cents", sa.BigInteger(), nullable=False),
        sa.Column("rule_set", sa.String(100), nullable=False),
        sa.PrimaryKeyConstraint("cadre_id", name="pk_published_totals"),
    )
    op.create_table(
        "outbox",
        sa.Column("position", sa.BigInteger(), sa.Identity(), nullable=False) if postgres
        else sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("tx_id", sa.BigInteger(), nullable=False,
                  server_default=sa.text(PG_TX_ID_DEFAULT) if postgres else sa.text("0")),
        sa.Column("topic", sa.String(200), nullable=False),
        sa.Column("key", sa.String(100), nullable=False),
        sa.Column("value", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("position", name="pk_outbox"),
    )
    op.create_index("ix_outbox_tx_id_position", "outbox", ["tx_id", "position"])
    op.create_table(
        "outbox_checkpoints",
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("tx_id", sa.BigInteger(), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_outbox_checkpoints"),
    )


def downgrade() -> None:
    for table in ("outbox_checkpoints", "outbox", "published_totals", "warnings"):
        op.drop_table(table)
