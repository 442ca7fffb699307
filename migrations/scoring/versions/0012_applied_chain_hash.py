"""Each stream's last applied link (chain hash) beside its version: the consumer checks the next event's link.

Revision ID: 0012_applied_chain_hash
Revises: 0011_assessment_consequences
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_applied_chain_hash"
down_revision = "0011_assessment_consequences"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Rows from before hold no link: the next event of their stream is taken on its version alone, and its
    # link kept (services/scoring/stream_check.py).
    op.add_column("applied_versions", sa.Column("chain_hash", sa.String(80), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("applied_versions") as batch:
        batch.drop_column("chain_hash")
