"""Event store, relay checkpoints, idempotency keys.

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    json = JSONB() if postgres else sa.JSON()
    op.create_table(
        "events",
        sa.Column("position", sa.BigInteger(), sa.Identity(), nullable=False) if postgres
        else sa.Column("position", sa.Integer(), nullable=False),  # a rowid alias: assigned in commit order
        # On PostgreSQL the writing transaction's id, so the relay can read in commit order.
        sa.Column("tx_id", sa.BigInteger(), nullable=False,
                  server_default=sa.text("(pg_current_xact_id()::text::bigint)") if postgres else sa.text("0")),
        sa.Column("stream_id", sa.String(64), nullable=False),
        sa.Column("stream_version", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.String(36), nullable=False),
        sa.Column("event_type", sa.String(64), nullable=False),
        sa.Column("schema_version", sa.SmallInteger(), nullable=False),
        sa.Column("data", json, nullable=False),
        sa.Column("effective_date", sa.Date(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("actor_role", sa.String(50), nullable=False),
        sa.PrimaryKeyConstraint("position", name="pk_events"),
        sa.UniqueConstraint("stream_id", "stream_version", name="uq_events_stream_id_stream_version"),
        sa.UniqueConstraint("event_id", name="uq_events_event_id"),
    )
    op.create_index("ix_events_tx_id_position", "events", ["tx_id", "position"])
    op.create_table(
        "relay_checkpoints",
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("tx_id", sa.BigInteger(), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_relay_checkpoints"),
    )
    op.create_table(
        "idempotency_keys",
        sa.Column("key", sa.String(300), nullable=False),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("status_code", sa.SmallInteger(), nullable=False),
        sa.Column("response", json, nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_idempotency_keys"),
    )
    if postgres:
        # Events are never updated or deleted: make the database refuse it, not just the code.
        op.execute(
            "CREATE FUNCTION events_are_immutable() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION USING MESSAGE = 'events are append-only: ' || TG_OP || ' refused'; END $$"
        )
        op.execute(
            "CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events "
            "FOR EACH ROW EXECUTE FUNCTION events_are_immutable()"
        )
    else:
        for operation in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER events_no_{operation.lower()} BEFORE {operation} ON events "
                       "BEGIN SELECT RAISE(ABORT, 'events are append-only'); END")


def downgrade() -> None:
    op.drop_table("idempotency_keys")
    op.drop_table("relay_checkpoints")
    op.drop_table("events")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS events_are_immutable()")
