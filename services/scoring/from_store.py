"""Scoring's facts built straight from the dossier's event store, set-based: how a city is rebuilt.

Replaying the topic applies every event in Python (``projection.apply``: ~3,600 events/s measured, an
hour for a city's 13.3 M). Here the store's events are copied in one pass, PostgreSQL to PostgreSQL
(``COPY (SELECT ...) TO STDOUT`` on the dossier's database into ``COPY ... FROM STDIN`` on the new
scoring database, in binary, chunks passed through without Python looking at an event), into a
temporary table; then each fact table is filled by one ``INSERT ... SELECT`` that reads the event JSON
exactly as ``projection.rows_for`` reads the event, and ``current_entries`` is derived in one statement.
``tests/integration/test_rebuild_from_store.py`` holds the two to the same checksum on a generated city;
``test_every_projected_event_type_is_read_here`` fails when an event type or version is added without
being added here.

This is the one place scoring reads the dossier's database, which architecture.md allows for rebuilds
("from offset zero, or from the dossier's event store"). It reads the events table's own columns
(append-only, their shape kept by the dossier's Alembic history), in one REPEATABLE READ snapshot.

Where the consumer goes on from: the topic's end offsets, read *before* the store's snapshot is taken.
An event is published only after it committed, so every message below those offsets is an event in
the snapshot; events in the snapshot published later are delivered to the consumer again and find their
rows there (it inserts nothing for them). Dead letters, messages that never were events, are not in the
store and are not carried over.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.scoring import facts, projection
from shared.db import asyncpg_connection

# The event types (and schema versions) whose rows are made below; anything else the store holds
# projects nothing (reports, claims, appeals...). An entry_recorded of version 1 has no impact period,
# which its JSON path reads as null, as the upcaster makes it.
PROJECTED = {
    "cadre_registered": {1}, "entry_recorded": {1, 2}, "achievement_verified": {1}, "entry_amended": {1},
    "entry_revoked": {1}, "post_assigned": {1}, "post_ended": {1}, "unit_registered": {1},
    "annual_grade_recorded": {1}, "appraisal_level_recorded": {1}, "assessment_scores_recorded": {1},
    "integrity_veto_recorded": {1}, "team_grade_recorded": {1}, "target_evaluation_recorded": {1},
    "declaration_recorded": {1},
}

# The store's events land in a temporary table partitioned by event type, so that each INSERT ... SELECT
# below reads the events of its type only (not the whole city once per statement).
_STAGED = "store_events"
_STAGING_TABLES = [
    f"CREATE TEMPORARY TABLE {_STAGED} (event_id text, event_type text, schema_version int, stream_id text, "
    f"recorded_at timestamptz, data jsonb) PARTITION BY LIST (event_type)",
    *(f"CREATE TEMPORARY TABLE {_STAGED}_{n} PARTITION OF {_STAGED} FOR VALUES IN ('{t}')"
      for n, t in enumerate(PROJECTED)),
]
_COLUMNS = ["event_id", "event_type", "schema_version", "stream_id", "recorded_at", "data"]

_POINTS = "round((data->>'points')::numeric * 100)::bigint"
_IMPACT = "(data->'impact_period'->>'start')::date, (data->'impact_period'->>'end')::date"
_UNIT = "CASE WHEN stream_id LIKE 'unit-%' THEN substr(stream_id, 6) ELSE stream_id END"  # removeprefix


def _result(kind: str, value: str, subject: str = "stream_id", event_type: str = "", extra: str = "") -> str:
    return (f"INSERT INTO results (event_id, kind, subject_id, year, value, recorded_at) "
            f"SELECT event_id, '{kind}', {subject}, (data->>'year')::int, {value}, recorded_at FROM {_STAGED} "
            f"WHERE event_type = '{event_type}'{extra} ON CONFLICT DO NOTHING")


# One statement per table and event type, in the order and with the values of ``projection.rows_for``.
# ON CONFLICT DO NOTHING as ``insert_ignore``: an id made twice keeps one row, as the consumer does.
FILL = [
    f"INSERT INTO cadres (cadre_id, event_id, name, unit_id, recorded_at) SELECT stream_id, event_id, "
    f"data->>'name', data->>'unit_id', recorded_at FROM {_STAGED} WHERE event_type = 'cadre_registered' "
    f"ON CONFLICT DO NOTHING",
    f"INSERT INTO entries (entry_id, event_id, cadre_id, kind, category, points_cents, effective_date, recorded_at, "
    f"impact_start, impact_end) SELECT data->>'entry_id', event_id, stream_id, data->>'kind', data->>'category', "
    f"{_POINTS}, (data->>'effective_date')::date, recorded_at, {_IMPACT} FROM {_STAGED} "
    f"WHERE event_type = 'entry_recorded' ON CONFLICT DO NOTHING",
    f"INSERT INTO entries (entry_id, event_id, cadre_id, kind, category, points_cents, effective_date, recorded_at, "
    f"impact_start, impact_end) SELECT data->>'achievement_id', event_id, stream_id, 'achievement', "
    f"data->>'category', {_POINTS}, (data->>'effective_date')::date, recorded_at, NULL, NULL FROM {_STAGED} "
    f"WHERE event_type = 'achievement_verified' ON CONFLICT DO NOTHING",
    f"INSERT INTO entry_amendments (event_id, entry_id, cadre_id, category, points_cents, effective_date, "
    f"recorded_at, impact_start, impact_end) SELECT event_id, data->>'entry_id', stream_id, data->>'category', "
    f"{_POINTS}, (data->>'effective_date')::date, recorded_at, {_IMPACT} FROM {_STAGED} "
    f"WHERE event_type = 'entry_amended' ON CONFLICT DO NOTHING",
    f"INSERT INTO revocations (entry_id, event_id, cadre_id, recorded_at) SELECT data->>'entry_id', event_id, "
    f"stream_id, recorded_at FROM {_STAGED} WHERE event_type = 'entry_revoked' ON CONFLICT DO NOTHING",
    f"INSERT INTO posts (post_id, event_id, cadre_id, unit_id, leadership, start_date, recorded_at) "
    f"SELECT data->>'post_id', event_id, stream_id, data->>'unit_id', data->>'leadership', "
    f"(data->>'start_date')::date, recorded_at FROM {_STAGED} WHERE event_type = 'post_assigned' "
    f"ON CONFLICT DO NOTHING",
    f"INSERT INTO post_ends (event_id, post_id, end_date, recorded_at) SELECT event_id, data->>'post_id', "
    f"(data->>'end_date')::date, recorded_at FROM {_STAGED} WHERE event_type = 'post_ended' ON CONFLICT DO NOTHING",
    f"INSERT INTO units (unit_id, event_id, parent_id, level, unit_class, recorded_at) SELECT data->>'unit_id', "
    f"event_id, data->>'parent_id', data->>'level', data->>'unit_class', recorded_at FROM {_STAGED} "
    f"WHERE event_type = 'unit_registered' ON CONFLICT DO NOTHING",
    _result("annual_grade", "data->>'grade'", event_type="annual_grade_recorded"),
    _result("appraisal_level", "data->>'level'", event_type="appraisal_level_recorded"),
    # Scores keep the text of the number as the event's JSON writes it (90.0, 85.5): str() of its Decimal.
    _result("mass_satisfaction", "data->>'mass_satisfaction'", event_type="assessment_scores_recorded",
            extra=" AND data->>'mass_satisfaction' IS NOT NULL"),
    _result("political_quality", "data->>'political_quality'", event_type="assessment_scores_recorded",
            extra=" AND data->>'political_quality' IS NOT NULL"),
    _result("veto", "data->'basis'->>'document'", event_type="integrity_veto_recorded"),
    _result("team_grade", "data->>'grade'", subject=_UNIT, event_type="team_grade_recorded"),
    _result("target_prize", "data->>'prize'", subject=_UNIT, event_type="target_evaluation_recorded"),
    f"INSERT INTO declarations (event_id, cadre_id, declaration, flagged, recorded_at) SELECT event_id, stream_id, "
    f"data->>'declaration', (data->>'flagged')::boolean::int, recorded_at FROM {_STAGED} "
    f"WHERE event_type = 'declaration_recorded' ON CONFLICT DO NOTHING",
]

_EXPORT = ("SELECT event_id::text, event_type::text, schema_version::int, stream_id::text, recorded_at, data "
           "FROM events WHERE event_type IN ({types})")


class UnknownEvents(Exception):
    """The store holds an event type or version this module does not read: rebuild from the topic."""


@dataclass(frozen=True, slots=True)
class Built:
    events: int
    copy_s: float
    fill_s: float


async def _check_known(source: AsyncConnection) -> None:
    """Refuse a store holding a projected event type in a version not read here (a newer dossier)."""
    found = (await source.execute(text(
        "SELECT DISTINCT event_type, schema_version FROM events WHERE event_type = ANY(:types)"),
        {"types": list(PROJECTED)})).all()
    unknown = sorted(f"{t} v{v}" for t, v in found if v not in PROJECTED[t])
    if unknown:
        raise UnknownEvents(f"the store holds {', '.join(unknown)}, which a rebuild from the store does not read: "
                            "rebuild from the topic instead")


async def build(store: AsyncEngine, target: AsyncConnection, ends: dict[tuple[str, int], int], consumer: str) -> Built:
    """Fill the empty fact tables of ``target`` (within its transaction) from every event in ``store``, and
    set ``consumer``'s positions to ``ends`` (the topic's end offsets, read before this is called)."""
    started = time.perf_counter()
    chunks: asyncio.Queue[bytes | None] = asyncio.Queue(maxsize=64)
    types = ", ".join(f"'{t}'" for t in PROJECTED)  # our own constants: plain identifiers

    async def export() -> None:
        try:
            async with store.connect() as source:
                source = await source.execution_options(isolation_level="REPEATABLE READ")
                async with source.begin(), asyncpg_connection(source) as driver:
                    await driver.copy_from_query(_EXPORT.format(types=types), output=chunks.put, format="binary")
        finally:
            await chunks.put(None)

    async with store.connect() as source:
        await _check_known(source)

    async def received() -> AsyncIterator[bytes]:
        while (chunk := await chunks.get()) is not None:
            yield chunk

    async with asyncpg_connection(target) as driver:
        for statement in _STAGING_TABLES:
            await driver.execute(statement)
        exporting = asyncio.create_task(export())
        try:
            status = await driver.copy_to_table(_STAGED, source=received(), columns=_COLUMNS, format="binary")
        except BaseException:
            # A failed export ends the stream early, and the COPY then fails too: report the export's error.
            done, _ = await asyncio.wait({exporting}, timeout=10)
            if exporting in done and not exporting.cancelled() and exporting.exception() is not None:
                raise exporting.exception() from None
            exporting.cancel()
            raise
        await exporting
        copied = time.perf_counter()
        for statement in FILL:
            await driver.execute(statement)
        await driver.execute(f"DROP TABLE {_STAGED}")
    await facts.derive_every_current_entry(target)
    await projection.save_positions(target, consumer, ends)
    return Built(int(status.split()[-1]), copied - started, time.perf_counter() - copied)
