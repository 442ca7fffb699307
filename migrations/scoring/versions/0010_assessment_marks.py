"""The assessment's input watermarks (issue 16): a counter per scope, bumped with the rows it covers, so a
computed year is reused until an input of its scheme and year arrives (services/scoring/assessment_marks.py).

Revision ID: 0010_assessment_marks
Revises: 0009_assessment_facts
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_assessment_marks"
down_revision = "0009_assessment_facts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "assessment_marks",
        sa.Column("scope", sa.String(220), nullable=False),
        sa.Column("mark", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("scope", name="pk_assessment_marks"),
    )


def downgrade() -> None:
    op.drop_table("assessment_marks")
