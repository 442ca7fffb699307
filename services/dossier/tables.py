"""The dossier's tables: the event store (which is also the outbox), relay checkpoints, idempotency keys.

The event table is its own outbox: an event row commits in the same transaction as the command
that produced it, and the relay publishes rows in commit order (see ``store.read_committed``).
A separate outbox table would double every write for nothing.
"""

from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    SmallInteger,
    String,
    Table,
    UniqueConstraint,
    and_,
    or_,
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
    Column("position", String(200), nullable=True),  # the post's title (职务), for the cadre search
)


def posts_open_on(day: Any) -> Any:
    """The directory's posts open on ``day`` (as held now): started by it and not ended before it."""
    return and_(post_directory.c.start_date <= day,
                or_(post_directory.c.end_date.is_(None), post_directory.c.end_date >= day))

cadre_directory = Table(
    "cadre_directory",
    metadata,
    Column("cadre_id", String(64), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("unit_id", String(100), nullable=False, index=True),
    # The cadre list walks names in order (its cursor is (name, cadre_id)); on PostgreSQL a trigram index on
    # the name serves a search by part of a name (migration 0005).
    Index("ix_cadre_directory_name_cadre_id", "name", "cadre_id"),
)

# What waits for someone (issue 15): a submitted quarterly report for its cadre's superior, a claimed
# achievement for the superior's verification, an open appeal for the organization department's decision.
# Kept with the events like the directories above; a row goes when the report is endorsed or returned, the
# achievement verified or rejected, the appeal decided (``tasks.statements``).
task_directory = Table(
    "task_directory",
    metadata,
    Column("task_id", String(200), primary_key=True),  # <task>:<cadre>:<subject>
    Column("task", String(30), nullable=False),  # endorse_report, verify_achievement, decide_appeal
    Column("cadre_id", String(64), nullable=False, index=True),
    Column("subject_id", String(64), nullable=False),  # the period, the achievement's or the appeal's id
    Column("title", String(300), nullable=True),  # the achievement's title, the appealed entry's id
    Column("since", DateTime(timezone=True), nullable=False),
    Index("ix_task_directory_task_since", "task", "since", "task_id"),
)

# What a condition search narrows by first (issue 20): each birth date, field and education level ever recorded
# for a cadre, insert-only, kept with the events like the directories above (``profile_directory.py``).
profile_directory = Table(
    "profile_directory",
    metadata,
    Column("cadre_id", String(64), nullable=False, index=True),
    Column("facet", String(30), nullable=False),  # birth_date, professional_field, familiar_field, education_level
    Column("value", String(100), nullable=False),
    Index("ix_profile_directory_facet_value", "facet", "value", "cadre_id"),
)

# What a condition search decides in SQL (issue 20, fourth round): every version of a cadre's birth date, of each
# kind of education and of the expertise, in the order recorded (``row_id``), each with the day it counts from;
# the version in force on a day is the last recorded among those counting by then (``search_directory.py``).
profile_history = Table(
    "profile_history",
    metadata,
    Column("row_id", Position, primary_key=True, autoincrement=True),
    Column("cadre_id", String(64), nullable=False, index=True),
    Column("facet", String(30), nullable=False),  # birth_date, education:<kind>, expertise
    Column("latest", Boolean, nullable=False),  # the version recorded last of its cadre's facet
    Column("effective", Date, nullable=True),  # from when it counts (None: on every day, a birth date)
    Column("birth_date", Date, nullable=True),
    Column("level", String(20), nullable=True),
    Column("major", String(100), nullable=True),
    Column("discipline", String(60), nullable=True),
    Column("professional_field", String(60), nullable=True),
    Column("familiar_fields", String(700), nullable=True),  # "|a|b|": each code between bars
    Index("ix_profile_history_facet_latest_effective", "facet", "latest", "effective"),
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
