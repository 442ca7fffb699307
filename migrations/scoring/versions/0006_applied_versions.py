"""The newest stream version applied, per stream: how far scoring's answers are current (read your writes).

Revision ID: 0006_applied_versions
Revises: 0005
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_applied_versions"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "applied_versions",
        sa.Column("stream_id", sa.String(100), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("stream_id", name="pk_applied_versions"),
    )
    # A projection that was built before this table knows no versions: its answers state version 0 and a
    # read asking for a position waits until the stream's next event (or a rebuild) fills it in.


def downgrade() -> None:
    op.drop_table("applied_versions")
