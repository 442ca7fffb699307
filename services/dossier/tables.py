"""The dossier's tables: the event store (which is also the outbox), relay checkpoints, idempotency keys.

The event table is its own outbox: an event row commits in the same transaction as the command
that produced it, and the relay publishes rows in commit order (see ``store.read_committed``).
A separate outbox table would double every write for nothing.
"""

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    SmallInteger,
    String,
    Table,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB

from shared.db import new_metadata

metadata = new_metadata()

# BIGINT identity on PostgreSQL; on SQLite the rowid alias (INTEGER PRIMARY KEY) does the same.
Position = BigInteger().with_variant(Integer(), "sqlite")
Json = JSON().with_variant(JSONB(), "postgresql")
NullableJson = JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")

events = Table(
    "events",
    metadata,
    Column("position", Position, primary_key=True, autoincrement=True),
    # The writing transaction's id (PostgreSQL: pg_current_xact_id(); SQLite: 0, writes are serial).
    Column("tx_id", BigInteger, nullable=False),
    Column("stream_id", String(64), nullable=False),
    Column("stream_version", Integer, nullable=False),
    Column("event_id", String(36), nullable=False),
    Column("event_type", String(64), nullable=False),
    Column("schema_version", SmallInteger, nullable=False),
    Column("data", Json, nullable=False),
    Column("effective_date", Date, nullable=True),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("actor", String(100), nullable=False),
    Column("actor_role", String(50), nullable=False),
    # Request context (W3C trace context, request id): operational metadata, not part of the event.
    Column("context", NullableJson, nullable=True),
    # The stream's hash chain (see chain.py): "<algorithm>:<hex>".
    Column("hash", String(80), nullable=True),
    UniqueConstraint("stream_id", "stream_version"),
    UniqueConstraint("event_id"),
    Index(None, "tx_id", "position"),
)

relay_checkpoints = Table(
    "relay_checkpoints",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("tx_id", BigInteger, nullable=False),
    Column("position", BigInteger, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("key", String(300), primary_key=True),
    Column("request_hash", String(64), nullable=False),
    Column("status_code", SmallInteger, nullable=False),
    Column("response", Json, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
)

# Inline projections: kept in the same transaction as the events they derive from, so a command
# can ask "who are this cadre's superiors?" or "does this unit exist?" without folding every
# stream. Derived data: ``directory.rebuild`` recreates them from the events.
unit_directory = Table(
    "unit_directory",
    metadata,
    Column("unit_id", String(100), primary_key=True),
    Column("parent_id", String(100), nullable=True, index=True),
    Column("name", String(200), nullable=False),
    Column("level", String(20), nullable=False),
    Column("unit_class", String(100), nullable=False),
)

post_directory = Table(
    "post_directory",
    metadata,
    Column("post_id", String(64), primary_key=True),
    Column("cadre_id", String(64), nullable=False, index=True),
    Column("unit_id", String(100), nullable=False, index=True),
    Column("leadership", String(20), nullable=False),
    Column("start_date", Date, nullable=False),
    Column("end_date", Date, nullable=True),
)

cadre_directory = Table(
    "cadre_directory",
    metadata,
    Column("cadre_id", String(64), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("unit_id", String(100), nullable=False, index=True),
)

# The access log (issue 5): who read or wrote what, when, from where, with what outcome. Append-only
# (database triggers refuse UPDATE and DELETE) and hash-chained like a stream (see access_log.py).
access_log = Table(
    "access_log",
    metadata,
    Column("seq", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=False),
    Column("entry_id", String(36), nullable=False, unique=True),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("subject", String(200), nullable=False),
    Column("role", String(50), nullable=False),
    Column("data", Json, nullable=False),  # unit, client, method, path, action, cadre_id, status, outcome, request id
    Column("cadre_id", String(64), nullable=True, index=True),
    Column("hash", String(80), nullable=False),
)
