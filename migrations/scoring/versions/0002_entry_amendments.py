"""Entry amendments; verified achievements count as entries.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "entry_amendments",
        sa.Column("event_id", sa.String(36), nullable=False),
        sa.Column("entry_id", sa.String(64), nullable=False),
        sa.Column("cadre_id", sa.String(64), nullable=False),
        sa.Column("points_cents", sa.BigInteger(), nullable=False),
        sa.Column("effective_date", sa.Date(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("event_id", name="pk_entry_amendments"),
    )
    op.create_index("ix_entry_amendments_entry_id", "entry_amendments", ["entry_id"])
    op.create_index("ix_entry_amendments_cadre_id", "entry_amendments", ["cadre_id"])


def downgrade() -> None:
    op.drop_table("entry_amendments")
