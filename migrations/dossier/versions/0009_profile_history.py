"""The profile history (issue 20, fourth round): every version of a cadre's birth date, education of each kind and
expertise, in the order recorded with the day each counts from, so a condition search decides its fact conditions
in SQL instead of folding every candidate (``services/dossier/search_directory.py``); filled from the events
already stored.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    position = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    op.create_table(
        "profile_history",
        sa.Column("row_id", position, primary_key=True, autoincrement=True),
        sa.Column("cadre_id", sa.String(64), nullable=False),
        sa.Column("facet", sa.String(30), nullable=False),
        sa.Column("latest", sa.Boolean, nullable=False),
        sa.Column("effective", sa.Date, nullable=True),
        sa.Column("birth_date", sa.Date, nullable=True),
        sa.Column("level", sa.String(20), nullable=True),
        sa.Column("major", sa.String(100), nullable=True),
        sa.Column("discipline", sa.String(60), nullable=True),
        sa.Column("professional_field", sa.String(60), nullable=True),
        sa.Column("familiar_fields", sa.String(700), nullable=True),
    )
    op.create_index("ix_profile_history_cadre_id", "profile_history", ["cadre_id"])
    op.create_index("ix_profile_history_facet_latest_effective", "profile_history", ["facet", "latest", "effective"])

    from services.dossier.search_directory import rebuild_sync

    rebuild_sync(op.get_bind())


def downgrade() -> None:
    op.drop_table("profile_history")
