"""The access log: append-only, hash-chained record of every dossier read and every write.

The triggers refuse UPDATE and DELETE for every database role, the table owner included. On
PostgreSQL operators also run the application as a role without UPDATE, DELETE or TRUNCATE on it
(docs/operations.md, "The access log"): ``REVOKE UPDATE, DELETE, TRUNCATE ON access_log FROM shiji_app``.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    op.create_table(
        "access_log",
        sa.Column("seq", sa.BigInteger() if postgres else sa.Integer(), nullable=False, autoincrement=False),
        sa.Column("entry_id", sa.String(36), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("role", sa.String(50), nullable=False),
        sa.Column("data", JSONB() if postgres else sa.JSON(), nullable=False),
        sa.Column("cadre_id", sa.String(64), nullable=True),
        sa.Column("hash", sa.String(80), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_access_log"),
        sa.UniqueConstraint("entry_id", name="uq_access_log_entry_id"),
    )
    op.create_index("ix_access_log_cadre_id", "access_log", ["cadre_id"])
    if postgres:
        op.execute(
            "CREATE FUNCTION access_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION USING MESSAGE = 'the access log is append-only: ' || TG_OP || ' refused'; END $$"
        )
        op.execute("CREATE TRIGGER access_log_append_only BEFORE UPDATE OR DELETE ON access_log "
                   "FOR EACH ROW EXECUTE FUNCTION access_log_is_append_only()")
        # TRUNCATE fires no row trigger: a statement trigger refuses it too.
        op.execute("CREATE TRIGGER access_log_no_truncate BEFORE TRUNCATE ON access_log "
                   "FOR EACH STATEMENT EXECUTE FUNCTION access_log_is_append_only()")
    else:
        for operation in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER access_log_no_{operation.lower()} BEFORE {operation} ON access_log "
                       "BEGIN SELECT RAISE(ABORT, 'the access log is append-only'); END")


def downgrade() -> None:
    op.drop_table("access_log")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS access_log_is_append_only()")
