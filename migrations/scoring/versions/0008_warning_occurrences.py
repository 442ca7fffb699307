"""Warnings keyed by occurrence, with their figures; totals with the stream version they rest on; post ranks.

- ``warnings``: the key was (cadre_id, key, raised_on), so a warning cleared and raised again on the same
  day could not be inserted (issue 15, item 2). Now (cadre_id, key, occurrence): each raising of a key is
  its next occurrence. Existing rows are numbered by their raised_on within their (cadre, key).
  ``figure`` and ``threshold`` (the condition's number on the day raised and what it was held against)
  are null for warnings raised before this revision.
- ``published_totals.stream_version``: the dossier stream version of the cadre's last event the published
  totals rest on, part of the next message's id (issue 15, item 1); null until the cadre's next change.
- ``posts.rank``: the post's level, which screening needs to count 任职满三年 across transfers at the same
  level (issue 15, item 4). Null for posts projected before this revision: a rebuild (from the topic or the
  event store) fills it; until then such a post counts on its own, as before.

Revision ID: 0008_warning_occurrences
Revises: 0007_unit_names
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_warning_occurrences"
down_revision = "0007_unit_names"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("warnings", sa.Column("occurrence", sa.Integer(), nullable=True))
    op.execute("UPDATE warnings SET occurrence = (SELECT count(*) FROM warnings earlier "
               "WHERE earlier.cadre_id = warnings.cadre_id AND earlier.key = warnings.key "
               "AND earlier.raised_on <= warnings.raised_on)")
    with op.batch_alter_table("warnings", recreate="auto") as batch:
        batch.alter_column("occurrence", existing_type=sa.Integer(), nullable=False)
        batch.drop_constraint("pk_warnings", type_="primary")
        batch.create_primary_key("pk_warnings", ["cadre_id", "key", "occurrence"])
        batch.add_column(sa.Column("figure", sa.String(40), nullable=True))
        batch.add_column(sa.Column("threshold", sa.String(40), nullable=True))
    op.add_column("published_totals", sa.Column("stream_version", sa.BigInteger(), nullable=True))
    op.add_column("posts", sa.Column("rank", sa.String(100), nullable=True))


def downgrade() -> None:
    op.drop_column("posts", "rank")
    op.drop_column("published_totals", "stream_version")
    # Only the first occurrence of a (cadre, key, day) fits the old key.
    op.execute("DELETE FROM warnings WHERE EXISTS (SELECT 1 FROM warnings earlier WHERE earlier.cadre_id = "
               "warnings.cadre_id AND earlier.key = warnings.key AND earlier.raised_on = warnings.raised_on "
               "AND earlier.occurrence < warnings.occurrence)")
    with op.batch_alter_table("warnings", recreate="auto") as batch:
        batch.drop_constraint("pk_warnings", type_="primary")
        batch.create_primary_key("pk_warnings", ["cadre_id", "key", "raised_on"])
        batch.drop_column("threshold")
        batch.drop_column("figure")
        batch.drop_column("occurrence")
