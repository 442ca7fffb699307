"""Each entry as it stands now, derived from the entries, amendments and revocations.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "current_entries",
        sa.Column("entry_id", sa.String(64), nullable=False),
        sa.Column("event_id", sa.String(36), nullable=False),
        sa.Column("cadre_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("category", sa.String(100), nullable=False),
        sa.Column("points_cents", sa.BigInteger(), nullable=False),
        sa.Column("effective_date", sa.Date(), nullable=False),
        sa.Column("impact_start", sa.Date(), nullable=True),
        sa.Column("impact_end", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("entry_id", name="pk_current_entries"),
    )
    # An index-only range per cadre on PostgreSQL: what the sums read is in the index.
    op.create_index("ix_current_entries_cadre_id_effective_date", "current_entries", ["cadre_id", "effective_date"],
                    postgresql_include=["kind", "category", "points_cents", "impact_start"])
    # What the facts already hold: each entry with its newest amendment, unless revoked.
    op.execute("""
        INSERT INTO current_entries (entry_id, event_id, cadre_id, kind, category, points_cents, effective_date,
                                     impact_start, impact_end)
        SELECT e.entry_id, COALESCE(a.event_id, e.event_id), e.cadre_id, e.kind, COALESCE(a.category, e.category),
               COALESCE(a.points_cents, e.points_cents), COALESCE(a.effective_date, e.effective_date),
               CASE WHEN a.event_id IS NULL THEN e.impact_start ELSE a.impact_start END,
               CASE WHEN a.event_id IS NULL THEN e.impact_end ELSE a.impact_end END
        FROM entries e
        LEFT JOIN (SELECT entry_amendments.*,
                          row_number() OVER (PARTITION BY entry_id ORDER BY recorded_at DESC) AS newest
                   FROM entry_amendments) a ON a.entry_id = e.entry_id AND a.newest = 1
        WHERE NOT EXISTS (SELECT 1 FROM revocations r WHERE r.entry_id = e.entry_id)
    """)


def downgrade() -> None:
    op.drop_table("current_entries")
