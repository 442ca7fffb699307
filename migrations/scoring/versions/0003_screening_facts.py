"""Facts for screening and rankings: posts, units, yearly results, declarations, impact periods.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("entries", "entry_amendments"):
        op.add_column(table, sa.Column("impact_start", sa.Date(), nullable=True))
        op.add_column(table, sa.Column("impact_end", sa.Date(), nullable=True))
    op.add_column("entry_amendments", sa.Column("category", sa.String(100), nullable=True))
    op.create_table(
        "posts",
        sa.Column("post_id", sa.String(64), nullable=False),
        sa.Column("event_id", sa.String(36), nullable=False),
        sa.Column("cadre_id", sa.String(64), nullable=False),
        sa.Column("unit_id", sa.String(100), nullable=False),
        sa.Column("leadership", sa.String(20), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("post_id", name="pk_posts"),
        sa.UniqueConstraint("event_id", name="uq_posts_event_id"),
    )
    op.create_index("ix_posts_cadre_id", "posts", ["cadre_id"])
    op.create_index("ix_posts_unit_id", "posts", ["unit_id"])
    op.create_table(
        "post_ends",
        sa.Column("event_id", sa.String(36), nullable=False),
        sa.Column("post_id", sa.String(64), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("event_id", name="pk_post_ends"),
    )
    op.create_index("ix_post_ends_post_id", "post_ends", ["post_id"])
    op.create_table(
        "units",
        sa.Column("unit_id", sa.String(100), nullable=False),
        sa.Column("event_id", sa.String(36), nullable=False),
        sa.Column("parent_id", sa.String(100), nullable=True),
        sa.Column("level", sa.String(20), nullable=False),
        sa.Column("unit_class", sa.String(100), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("unit_id", name="pk_units"),
        sa.UniqueConstraint("event_id", name="uq_units_event_id"),
    )
    op.create_index("ix_units_parent_id", "units", ["parent_id"])
    op.create_index("ix_units_unit_class", "units", ["unit_class"])
    op.create_table(
        "results",
        sa.Column("event_id", sa.String(36), nullable=False),
        sa.Column("subject_id", sa.String(100), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("value", sa.String(100), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("event_id", "kind", name="pk_results"),
    )
    op.create_index("ix_results_subject_id", "results", ["subject_id"])
    op.create_table(
        "declarations",
        sa.Column("event_id", sa.String(36), nullable=False),
        sa.Column("cadre_id", sa.String(64), nullable=False),
        sa.Column("declaration", sa.String(30), nullable=False),
        sa.Column("flagged", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("event_id", name="pk_declarations"),
    )
    op.create_index("ix_declarations_cadre_id", "declarations", ["cadre_id"])


def downgrade() -> None:
    for table in ("declarations", "results", "units", "post_ends", "posts"):
        op.drop_table(table)
    op.drop_column("entry_amendments", "category")
    for table in ("entries", "entry_amendments"):
        op.drop_column(table, "impact_start")
        op.drop_column(table, "impact_end")
