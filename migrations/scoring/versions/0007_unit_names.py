"""Unit names in the units projection, so that screening, ranking and warning rows name the cadre's unit
(issue 15). Existing rows keep a null name until the projection is rebuilt (``shiji rebuild scoring``).

Revision ID: 0007_unit_names
Revises: 0006_applied_versions
Create Date: 2026-12-10
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_unit_names"
down_revision = "0006_applied_versions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("units", sa.Column("name", sa.String(200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("units") as batch:
        batch.drop_column("name")
