"""The annual assessment's consequences acted on (issue 16, step 5).

Revision ID: 0011_assessment_consequences
Revises: 0010_assessment_marks
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_assessment_consequences"
down_revision = "0010_assessment_marks"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "assessment_consequences",
        sa.Column("key", sa.String(400), nullable=False),
        sa.Column("occurrence", sa.Integer(), nullable=False),
        sa.Column("scheme_id", sa.String(100), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.String(100), nullable=False),
        sa.Column("subject_kind", sa.String(10), nullable=False),
        sa.Column("rule", sa.String(100), nullable=False),
        sa.Column("source", sa.String(10), nullable=False),
        sa.Column("action", sa.String(50), nullable=False),
        sa.Column("bearer_id", sa.String(100), nullable=False),
        sa.Column("grade", sa.String(50), nullable=False),
        sa.Column("composite", sa.String(40), nullable=True),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("warning_kind", sa.String(50), nullable=True),
        sa.Column("raised_on", sa.Date(), nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_on", sa.Date(), nullable=True),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("filed_event_id", sa.String(36), nullable=True),
        sa.Column("filed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("key", "occurrence", name="pk_assessment_consequences"),
    )
    op.create_index("ix_assessment_consequences_scheme_id_year", "assessment_consequences", ["scheme_id", "year"])


def downgrade() -> None:
    op.drop_table("assessment_consequences")
