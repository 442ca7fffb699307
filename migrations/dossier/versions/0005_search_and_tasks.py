"""The cadre search and the task lists (issue 15): post titles in the post directory, the task directory,
indexes for names; both filled from the events already stored.

On PostgreSQL a search by part of a name uses a trigram index (the pg_trgm extension, in PostgreSQL's
contrib: Debian's postgresql-15 ships it; it is a trusted extension, so the database's owner may create it).
Where it cannot be created the migration goes on without that index: searches then read the directory.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-10
"""

import logging

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")


def upgrade() -> None:
    bind = op.get_bind()
    op.add_column("post_directory", sa.Column("position", sa.String(200), nullable=True))
    op.create_index("ix_cadre_directory_name_cadre_id", "cadre_directory", ["name", "cadre_id"])
    op.create_table(
        "task_directory",
        sa.Column("task_id", sa.String(200), nullable=False),
        sa.Column("task", sa.String(30), nullable=False),
        sa.Column("cadre_id", sa.String(64), nullable=False),
        sa.Column("subject_id", sa.String(64), nullable=False),
        sa.Column("title", sa.String(300), nullable=True),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("task_id", name="pk_task_directory"),
    )
    op.create_index("ix_task_directory_cadre_id", "task_directory", ["cadre_id"])
    op.create_index("ix_task_directory_task_since", "task_directory", ["task", "since", "task_id"])
    if bind.dialect.name == "postgresql":
        _trigram_indexes(bind)

    from services.dossier.directory import rebuild_sync

    rebuild_sync(bind)


def _trigram_indexes(bind) -> None:
    try:
        with bind.begin_nested():
            bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    except sa.exc.DBAPIError as exc:
        log.warning("pg_trgm is not available (%s): a search by part of a name reads the directory", exc)
        return
    op.execute("CREATE INDEX ix_cadre_directory_name_trgm ON cadre_directory USING gin (name gin_trgm_ops)")
    op.execute("CREATE INDEX ix_post_directory_position_trgm ON post_directory USING gin (position gin_trgm_ops)")


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_post_directory_position_trgm")
    op.execute("DROP INDEX IF EXISTS ix_cadre_directory_name_trgm")
    op.drop_table("task_directory")
    op.drop_index("ix_cadre_directory_name_cadre_id", "cadre_directory")
    op.drop_column("post_directory", "position")
