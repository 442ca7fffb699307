"""The event store: append with an expected version, read a stream, read everything in commit order.

The queries on the event store's tables live here: events, idempotency keys, relay checkpoints. (The
directory's tables are queried in ``directory.py``, the access log in ``access_log.py``, and the relay
takes its own advisory lock.) Functions take an open connection; the caller (the unit of work in
``service.py``, or the relay) owns the transaction and commits.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import asyncpg
import orjson
from sqlalchemy import bindparam, func, select, text, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.dossier import server_append
from services.dossier.tables import events, idempotency_keys, relay_checkpoints
from shared import chain
from shared.commit_order import Cursor, committed_after
from shared.db import asyncpg_connection, one_statement, upsert
from shared.event_registry import from_data, to_data
from shared.events import DomainEvent


class ConcurrencyError(Exception):
    """Somebody else appended to the stream first: the expected version is stale."""

    def __init__(self, stream_id: str, expected: int, actual: int | None) -> None:
        found = actual if actual is not None else "a newer one"
        super().__init__(f"stream {stream_id}: expected version {expected}, found {found}")
        self.stream_id = stream_id
        self.expected = expected
        self.actual = actual


@dataclass(frozen=True, slots=True)
class Actor:
    subject: str
    role: str


@dataclass(frozen=True, slots=True)
class StoredEvent:
    position: int
    tx_id: int
    stream_id: str
    stream_version: int
    event_id: str
    event_type: str
    schema_version: int
    data: dict[str, Any]
    effective_date: dt.date | None
    recorded_at: dt.datetime
    actor: str
    actor_role: str
    context: dict[str, str] | None = None
    hash: str | None = None

    def domain_event(self) -> DomainEvent:
        return from_data(self.event_type, self.schema_version, self.data)

    @property
    def cursor(self) -> Cursor:
        return Cursor(self.tx_id, self.position)


_COLUMNS = [c for c in events.c]


def row_to_event(row: Any) -> StoredEvent:
    recorded_at = row.recorded_at
    if recorded_at.tzinfo is None:  # SQLite keeps no zone: we only ever write UTC
        recorded_at = recorded_at.replace(tzinfo=dt.UTC)
    return StoredEvent(
        position=row.position, tx_id=row.tx_id, stream_id=row.stream_id, stream_version=row.stream_version,
        event_id=row.event_id, event_type=row.event_type, schema_version=row.schema_version, data=row.data,
        effective_date=row.effective_date, recorded_at=recorded_at, actor=row.actor, actor_role=row.actor_role,
        context=row.context, hash=row.hash,
    )


# Statements of every write, built once (building them per call cost about as much as running them).
_READ_STREAM = (select(*_COLUMNS).where(events.c.stream_id == bindparam("stream"),
                                        events.c.stream_version > bindparam("after"))
                .order_by(events.c.stream_version))
_FIND_RESPONSE = select(idempotency_keys).where(idempotency_keys.c.key == bindparam("key"))
_SAVE_RESPONSE = idempotency_keys.insert()
_LOCK_STREAM_SQL = "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))"


async def read_stream(conn: AsyncConnection, stream_id: str, after: int = 0) -> list[StoredEvent]:
    """The stream's events after version ``after``, in version order."""
    return [row_to_event(r) for r in await conn.execute(_READ_STREAM, {"stream": stream_id, "after": after})]


async def lock_stream(conn: AsyncConnection, stream_id: str) -> None:
    """Queue writers of one stream behind each other for the rest of the transaction (PostgreSQL).

    Without it, concurrent commands on one cadre race to the same version and all but one retry;
    with it they take turns, and a conflict is left only for a stale If-Match. The lock takes no
    transaction id, so ``append`` stays the transaction's first write. (SQLite writers are already
    serialised by the service's write lock.)"""
    if conn.dialect.name == "postgresql":
        async with asyncpg_connection(conn) as driver:
            await driver.execute(_LOCK_STREAM_SQL, stream_id)


async def stream_version(conn: AsyncConnection, stream_id: str) -> int:
    value = await conn.scalar(select(func.max(events.c.stream_version)).where(events.c.stream_id == stream_id))
    return value or 0


async def append(
    conn: AsyncConnection,
    stream_id: str,
    expected_version: int,
    new_events: Sequence[DomainEvent],
    actor: Actor,
    recorded_at: dt.datetime,
    context: dict[str, str] | None = None,
    algorithm: str = "sm3",
    previous_hash: str | None = None,
) -> list[StoredEvent]:
    """Append ``new_events`` after ``expected_version``; ``ConcurrencyError`` if the stream moved on.
    ``previous_hash``: the hash of the event at ``expected_version``, when the caller knows it (it saves a
    read); the append checks it under the stream's lock like the version.

    This must be the transaction's first write: on PostgreSQL the transaction id is assigned
    here, after the stream was read, so a later version of a stream always carries a later
    transaction id and the relay's (tx_id, position) order keeps each stream in order.
    """
    if conn.dialect.name == "postgresql":
        return await _append_on_asyncpg(conn, stream_id, expected_version, new_events, actor, recorded_at, context,
                                        algorithm, previous_hash)
    head = (await conn.execute(select(events.c.stream_version, events.c.hash).where(events.c.stream_id == stream_id)
                               .order_by(events.c.stream_version.desc()).limit(1))).first()
    actual = head.stream_version if head else 0
    if actual != expected_version:
        raise ConcurrencyError(stream_id, expected_version, actual)
    if previous_hash is not None and previous_hash != (head.hash if head else chain.GENESIS):
        raise ConcurrencyError(stream_id, expected_version, None)
    rows = chained_rows(stream_id, expected_version, head.hash if head else chain.GENESIS, new_events, actor,
                        recorded_at, context, algorithm)
    try:
        result = await conn.execute(events.insert().returning(*_COLUMNS, sort_by_parameter_order=True), rows)
    except IntegrityError:
        # The unique (stream_id, stream_version) caught a writer that appended between our read and insert.
        raise ConcurrencyError(stream_id, expected_version, None) from None
    return [row_to_event(r) for r in result]


# The append on PostgreSQL: one call of the server-side function ``shiji_append`` (migration 0006, which
# takes the stream's lock, checks the head and inserts), straight on asyncpg. Three round trips (BEGIN, the
# call, COMMIT) where the statements were five; the previous hash is read first only when the caller does
# not know it.
_HEAD_SQL = "SELECT stream_version, hash FROM events WHERE stream_id = $1 ORDER BY stream_version DESC LIMIT 1"
_INSERT_SQL = (
    "INSERT INTO events (stream_id, stream_version, event_id, event_type, schema_version, data, effective_date, "
    "recorded_at, actor, actor_role, context, hash) "
    "VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9, $10, $11::jsonb, $12) RETURNING position, tx_id")


async def _append_on_asyncpg(conn: AsyncConnection, stream_id: str, expected_version: int,
                             new_events: Sequence[DomainEvent], actor: Actor, recorded_at: dt.datetime,
                             context: dict[str, str] | None, algorithm: str,
                             previous_hash: str | None) -> list[StoredEvent]:
    async with asyncpg_connection(conn) as driver:
        return await _call_append(driver, stream_id, expected_version, new_events, actor, recorded_at, context,
                                  algorithm, previous_hash)


async def append_alone(engine: AsyncEngine, stream_id: str, expected_version: int, new_events: Sequence[DomainEvent],
                       actor: Actor, recorded_at: dt.datetime, context: dict[str, str] | None = None,
                       algorithm: str = "sm3", previous_hash: str | None = None) -> list[StoredEvent]:
    """``append`` as a transaction of its own. On PostgreSQL one round trip: the call of ``shiji_append`` is
    the transaction (``shared.db.one_statement``); ``previous_hash`` unknown adds the head's read before it."""
    if engine.dialect.name != "postgresql":
        async with engine.begin() as conn:
            return await append(conn, stream_id, expected_version, new_events, actor, recorded_at, context, algorithm,
                                previous_hash)
    async with one_statement(engine) as driver:
        return await _call_append(driver, stream_id, expected_version, new_events, actor, recorded_at, context,
                                  algorithm, previous_hash)


async def _call_append(driver: asyncpg.Connection, stream_id: str, expected_version: int,
                       new_events: Sequence[DomainEvent], actor: Actor, recorded_at: dt.datetime,
                       context: dict[str, str] | None, algorithm: str, previous_hash: str | None) -> list[StoredEvent]:
    if previous_hash is None and expected_version == 0:
        previous_hash = chain.GENESIS
    elif previous_hash is None:
        head = await driver.fetchrow(_HEAD_SQL, stream_id)
        actual = head[0] if head else 0
        if actual != expected_version:
            raise ConcurrencyError(stream_id, expected_version, actual)
        previous_hash = head[1]
    rows = chained_rows(stream_id, expected_version, previous_hash, new_events, actor, recorded_at, context, algorithm)
    try:
        result = await server_append.call(driver, stream_id, expected_version, previous_hash, rows)
    except asyncpg.UniqueViolationError:
        raise ConcurrencyError(stream_id, expected_version, None) from None
    if result.outcome != server_append.APPENDED:
        # The same version with another hash: the stream is not the one the caller knew (a restore).
        raise ConcurrencyError(stream_id, expected_version,
                               result.version if result.version != expected_version else None)
    return [StoredEvent(position=position, tx_id=result.tx_id, **row)
            for position, row in zip(result.positions, rows, strict=True)]


def chained_rows(stream_id: str, version: int, previous_hash: str, new_events: Sequence[DomainEvent], actor: Actor,
                 recorded_at: dt.datetime, context: dict[str, str] | None, algorithm: str) -> list[dict[str, Any]]:
    """The rows of ``new_events`` appended after ``version`` (whose hash is ``previous_hash``), each
    linked into the stream's hash chain: the one way rows are made, for single and batched appends."""
    rows = []
    previous = previous_hash
    for stream_version, e in enumerate(new_events, start=version + 1):
        row = {
            "stream_id": stream_id,
            "stream_version": stream_version,
            "event_id": str(uuid.uuid4()),
            "event_type": e.event_type,
            "schema_version": e.schema_version,
            "data": to_data(e),
            "effective_date": e.effective_on(),
            "recorded_at": recorded_at,
            "actor": actor.subject,
            "actor_role": actor.role,
            "context": context,
        }
        previous = row["hash"] = chain.link(previous, SimpleNamespace(**row), algorithm)
        rows.append(row)
    return rows


# ------------------------------------------------------------------------------ batched appends (import)
# Many streams in one transaction: lock them all, read them all, append every row in one statement.


async def lock_streams(conn: AsyncConnection, stream_ids: Sequence[str]) -> None:
    """``lock_stream`` for many streams, taken in one order (by lock key) so two batches cannot deadlock."""
    if len(stream_ids) == 1:  # every single write: the statement prepared on the driver
        await lock_stream(conn, stream_ids[0])
    elif conn.dialect.name == "postgresql" and stream_ids:
        await conn.execute(text(
            "SELECT pg_advisory_xact_lock(k) FROM (SELECT DISTINCT hashtextextended(s, 0) AS k "
            "FROM unnest(CAST(:streams AS text[])) AS s ORDER BY k) AS keys"), {"streams": list(stream_ids)})


async def read_streams(conn: AsyncConnection, stream_ids: Sequence[str]) -> dict[str, list[StoredEvent]]:
    """Each stream's events in version order (streams without events are left out)."""
    found: dict[str, list[StoredEvent]] = {}
    if not stream_ids:
        return found
    rows = await conn.execute(select(*_COLUMNS).where(events.c.stream_id.in_(list(stream_ids)))
                              .order_by(events.c.stream_id, events.c.stream_version))
    for row in rows:
        found.setdefault(row.stream_id, []).append(row_to_event(row))
    return found


async def stream_heads(conn: AsyncConnection, stream_ids: Sequence[str]) -> dict[str, tuple[int, str | None]]:
    """Each stream's newest version and its hash (streams without events are left out)."""
    if not stream_ids:
        return {}
    newest = (select(events.c.stream_id, func.max(events.c.stream_version).label("version"))
              .where(events.c.stream_id.in_(list(stream_ids))).group_by(events.c.stream_id).subquery())
    rows = await conn.execute(select(events.c.stream_id, events.c.stream_version, events.c.hash).join(
        newest, (events.c.stream_id == newest.c.stream_id) & (events.c.stream_version == newest.c.version)))
    return {stream_id: (version, hash_) for stream_id, version, hash_ in rows}


_COPIED = ["stream_id", "stream_version", "event_id", "event_type", "schema_version", "data", "effective_date",
           "recorded_at", "actor", "actor_role", "context", "hash"]


# Up to this many rows go in as INSERTs pipelined in one round trip; more are COPYed.
_INSERTED_NOT_COPIED = 32
_INSERT_ROWS_SQL = _INSERT_SQL.removesuffix(" RETURNING position, tx_id")


def _json_text(value: Any) -> str:
    # jsonb keeps the value, not the text: orjson's is as good as json's and several times cheaper to make
    # (json writes what orjson refuses: integers beyond 64 bits).
    try:
        return orjson.dumps(value).decode()
    except orjson.JSONEncodeError:
        return json.dumps(value)


async def insert_rows(conn: AsyncConnection, rows: Sequence[dict[str, Any]]) -> None:
    """Insert rows made by ``chained_rows`` (for one or many streams); ``ConcurrencyError`` if a stream moved on
    (its unique (stream_id, stream_version) refuses the row).

    On PostgreSQL the rows go straight to asyncpg (position and transaction id from the columns' defaults):
    a single write's few rows as INSERTs pipelined in one round trip, a batch's many COPYed (SQLAlchemy's
    executemany spent as long binding a batch's parameters as the rest of the import spent making them)."""
    if not rows:
        return
    try:
        if conn.dialect.name == "postgresql":
            records = [(r["stream_id"], r["stream_version"], r["event_id"], r["event_type"], r["schema_version"],
                        _json_text(r["data"]), r["effective_date"], r["recorded_at"], r["actor"], r["actor_role"],
                        _json_text(r["context"]) if r["context"] is not None else None, r["hash"]) for r in rows]
            async with asyncpg_connection(conn) as driver:
                if len(records) <= _INSERTED_NOT_COPIED:
                    await driver.executemany(_INSERT_ROWS_SQL, records)
                else:
                    await driver.copy_records_to_table("events", records=records, columns=_COPIED)
        else:
            await conn.execute(events.insert(), list(rows))
    except (IntegrityError, asyncpg.UniqueViolationError):
        raise ConcurrencyError(rows[0]["stream_id"], rows[0]["stream_version"] - 1, None) from None


async def read_committed(conn: AsyncConnection, after: Cursor, limit: int) -> list[StoredEvent]:
    """Events after ``after`` in commit order, never passing one that may still commit (see
    ``shared.commit_order``)."""
    return [row_to_event(r) for r in await conn.execute(committed_after(events, after, limit, conn.dialect.name))]


async def count_after(conn: AsyncConnection, cursor: Cursor, cap: int) -> int:
    """How many events lie after ``cursor`` in commit order, counting no further than ``cap`` (relay lag:
    an exact count that stays cheap, since it reads the (tx_id, position) index only as far as the lag)."""
    after = select(events.c.position).where(
        tuple_(events.c.tx_id, events.c.position) > tuple_(cursor.tx_id, cursor.position)).limit(cap).subquery()
    return await conn.scalar(select(func.count()).select_from(after))


async def transaction_ids_behind(conn: AsyncConnection) -> tuple[int, int] | None:
    """(the newest tx_id in the store, this cluster's next transaction id) when the store is ahead of the
    cluster; None when it is not (and always on SQLite).

    Restored from a logical dump (pg_dump) into another cluster, the events keep the transaction ids of
    the cluster that wrote them. Ahead of this cluster's, they stay invisible to ``read_committed``;
    and events written here would sort before them, behind a restored checkpoint: never published. The
    cure is to advance this cluster's transaction ids past them before serving (RELIABILITY.md).
    """
    if conn.dialect.name != "postgresql":
        return None
    newest = await conn.scalar(select(func.max(events.c.tx_id)))
    upcoming = await conn.scalar(text("SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint"))
    return (newest, upcoming) if newest is not None and newest >= upcoming else None


async def load_checkpoint(conn: AsyncConnection, name: str) -> Cursor:
    row = (await conn.execute(select(relay_checkpoints.c.tx_id, relay_checkpoints.c.position)
                              .where(relay_checkpoints.c.name == name))).first()
    return Cursor(row.tx_id, row.position) if row else Cursor()


async def save_checkpoint(conn: AsyncConnection, name: str, cursor: Cursor) -> None:
    values = {"name": name, "tx_id": cursor.tx_id, "position": cursor.position, "updated_at": dt.datetime.now(dt.UTC)}
    await conn.execute(upsert(conn.dialect.name, relay_checkpoints, values, ["name"], ["tx_id", "position", "updated_at"]))


@dataclass(frozen=True, slots=True)
class StoredResponse:
    request_hash: str
    status_code: int
    body: dict[str, Any]
    recorded_at: dt.datetime | None = None


def _response_of(row: Any) -> StoredResponse:
    at = row.recorded_at if row.recorded_at.tzinfo else row.recorded_at.replace(tzinfo=dt.UTC)  # SQLite: UTC
    return StoredResponse(row.request_hash, row.status_code, row.response, at)


async def find_responses(conn: AsyncConnection, keys: Sequence[str]) -> dict[str, StoredResponse]:
    """The answers kept for ``keys`` (keys without one are left out), with when each was recorded."""
    if not keys:
        return {}
    if len(keys) == 1:  # every single write with a key: the statement built once
        rows = await conn.execute(_FIND_RESPONSE, {"key": keys[0]})
    else:
        rows = await conn.execute(select(idempotency_keys).where(idempotency_keys.c.key.in_(list(keys))))
    return {r.key: _response_of(r) for r in rows}


async def forget_responses(conn: AsyncConnection, keys: Sequence[str]) -> None:
    """Expired keys are free again (the public contract keeps answers for 24 hours)."""
    await conn.execute(idempotency_keys.delete().where(idempotency_keys.c.key.in_(list(keys))))


async def save_responses(conn: AsyncConnection, responses: Sequence[tuple[str, StoredResponse]]) -> None:
    """Insert; a concurrent twin with the same key makes this raise IntegrityError and roll back."""
    if not responses:
        return
    now = dt.datetime.now(dt.UTC)
    await conn.execute(_SAVE_RESPONSE, [
        {"key": key, "request_hash": r.request_hash, "status_code": r.status_code, "response": r.body,
         "recorded_at": now} for key, r in responses])


async def streams_in_order(conn: AsyncConnection, batch: int = 5000) -> AsyncIterator[list[StoredEvent]]:
    """Every stream's events in version order, one stream at a time (for ``shiji verify``)."""
    current: list[StoredEvent] = []
    result = await conn.stream(select(*_COLUMNS).order_by(events.c.stream_id, events.c.stream_version)
                               .execution_options(yield_per=batch))
    async for row in result:
        event = row_to_event(row)
        if current and current[0].stream_id != event.stream_id:
            yield current
            current = []
        current.append(event)
    if current:
        yield current
