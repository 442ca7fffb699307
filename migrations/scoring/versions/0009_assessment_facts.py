"""The annual comprehensive assessment's facts (issue 16): schemes' versions and subjects' inputs.

Revision ID: 0009_assessment_facts
Revises: 0008_warning_occurrences
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0009_assessment_facts"
down_revision = "0008_warning_occurrences"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "assessment_schemes",
        sa.Column("event_id", sa.String(36), nullable=False),
        sa.Column("scheme_id", sa.String(100), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("document", sa.JSON().with_variant(JSONB(), "postgresql"), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("event_id", name="pk_assessment_schemes"),
    )
    op.create_index("ix_assessment_schemes_scheme_id", "assessment_schemes", ["scheme_id"])
    op.create_table(
        "assessment_inputs",
        sa.Column("event_id", sa.String(36), nullable=False),
        sa.Column("event_type", sa.String(50), nullable=False),
        sa.Column("input_id", sa.String(64), nullable=False),
        sa.Column("subject_id", sa.String(100), nullable=False),
        sa.Column("scheme_id", sa.String(100), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.String(100), nullable=True),
        sa.Column("period", sa.String(10), nullable=True),
        sa.Column("evaluation", sa.String(30), nullable=True),
        sa.Column("effective_date", sa.Date(), nullable=True),
        sa.Column("value", sa.String(50), nullable=True),
        sa.Column("level", sa.String(50), nullable=True),
        sa.Column("last_year", sa.String(50), nullable=True),
        sa.Column("target", sa.String(50), nullable=True),
        sa.Column("score", sa.String(50), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("source", sa.String(300), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("event_id", name="pk_assessment_inputs"),
    )
    op.create_index("ix_assessment_inputs_scheme_id_year", "assessment_inputs", ["scheme_id", "year"])


def downgrade() -> None:
    op.drop_table("assessment_inputs")
    op.drop_table("assessment_schemes")
