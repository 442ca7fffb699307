"""The kept day sheet: a row per cadre for the current day, its ranking groups and its state
(services/scoring/day_sheet).

Revision ID: 0015_day_sheet
Revises: 0014_cadres_by_unit
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0015_day_sheet"
down_revision = "0014_cadres_by_unit"
branch_labels = None
depends_on = None


def _id(length: int) -> sa.String:
    """An id column compared byte by byte on PostgreSQL, as the facts' ids are (0013)."""
    return sa.String(length, collation="C") if op.get_bind().dialect.name == "postgresql" else sa.String(length)


def _rules() -> sa.types.TypeEngine:
    """Rule names: a text array on PostgreSQL (decoded by asyncpg in C); JSON on SQLite, where nothing is kept."""
    return postgresql.ARRAY(sa.String(100)) if op.get_bind().dialect.name == "postgresql" else sa.JSON()


def upgrade() -> None:
    # The sheet is kept on PostgreSQL only (services/scoring/day_sheet): SQLite gets the tables, never the rows.
    if op.get_bind().dialect.name == "postgresql":
        op.execute(sa.schema.CreateSequence(sa.Sequence("day_sheet_seq")))
    op.create_table(
        "day_sheet",
        sa.Column("cadre_id", _id(64), primary_key=True),
        sa.Column("as_of", sa.Date, nullable=False),
        sa.Column("rule_set", sa.String(100), nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("stream_version", sa.BigInteger, nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("unit_id", sa.String(100), nullable=False),
        sa.Column("total", sa.Numeric, nullable=False),
        sa.Column("positive", sa.Numeric, nullable=False),
        sa.Column("negative", sa.Numeric, nullable=False),
        sa.Column("verdict", sa.String(20), nullable=False),
        sa.Column("excluded_by", _rules(), nullable=False),
        sa.Column("unknown", _rules(), nullable=False),
    )
    op.create_table(
        "day_sheet_groups",
        sa.Column("group_id", _id(200), primary_key=True),
        sa.Column("cadre_id", _id(64), primary_key=True),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("total", sa.Numeric, nullable=False),
    )
    op.create_index("ix_day_sheet_groups_total", "day_sheet_groups", ["group_id", "total"])
    op.create_index("ix_day_sheet_groups_cadre", "day_sheet_groups", ["cadre_id"])
    op.create_table(
        "day_sheet_state",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("as_of", sa.Date, nullable=False),
        sa.Column("rule_set", sa.String(100), nullable=False),
        sa.Column("complete", sa.Boolean, nullable=False),
        sa.Column("fill_seq", sa.BigInteger, nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("day_sheet_state")
    op.drop_table("day_sheet_groups")
    op.drop_table("day_sheet")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(sa.schema.DropSequence(sa.Sequence("day_sheet_seq")))
