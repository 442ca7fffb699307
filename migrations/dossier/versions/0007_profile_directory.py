"""The profile directory (issue 20): each birth date, field and education level recorded for a cadre, so a
condition search narrows in SQL before it folds (``services/dossier/profile_directory.py``); filled from the
events already stored.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "profile_directory",
        sa.Column("cadre_id", sa.String(64), nullable=False),
        sa.Column("facet", sa.String(30), nullable=False),
        sa.Column("value", sa.String(100), nullable=False),
    )
    op.create_index("ix_profile_directory_cadre_id", "profile_directory", ["cadre_id"])
    op.create_index("ix_profile_directory_facet_value", "profile_directory", ["facet", "value", "cadre_id"])

    from services.dossier.directory import rebuild_sync

    rebuild_sync(op.get_bind())


def downgrade() -> None:
    op.drop_table("profile_directory")
