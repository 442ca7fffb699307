"""Scoring's facts built straight from the dossier's event store, set-based: how a city is rebuilt.

Replaying the topic applies every event in Python (``projection.apply``: ~3,600 events/s measured, an
hour for a city's 13.3 M). Here the store's events are copied in one pass, PostgreSQL to PostgreSQL
(``COPY (SELECT ...) TO STDOUT`` on the dossier's database, which extracts the fields the facts need from
the event JSON, into ``COPY ... FROM STDIN`` on the new scoring database, in binary, chunks passed through
without Python looking at an event) into a temporary table; each fact table is then filled by one
``INSERT ... SELECT`` with the values ``projection.rows_for`` makes of the event, ``current_entries`` is
derived in one statement, and the indexes are built last. A city's 13.4 M events: 168 s (bench/RESULTS.md),
before the ids took the "C" collation (scoring migration 0013), which made the index builds 2.3x faster.
``tests/integration/test_rebuild_from_store.py`` holds the two to the same checksum on a generated city with
every projected event type, and fails when ``rows_for`` projects a type, or a version, not read here.

This is the one place scoring reads the dossier's database, which architecture.md allows for rebuilds
("from offset zero, or from the dossier's event store"). It reads the events table's own columns
(append-only, their shape kept by the dossier's Alembic history), in one REPEATABLE READ snapshot.

Where the consumer goes on from: the topic's end offsets, read *before* the store's snapshot is taken.
An event is published only after it committed, so every message below those offsets is an event in
the snapshot; events in the snapshot published later are delivered to the consumer again and find their
rows there (it inserts nothing for them). Dead letters, messages that never were events, are not in the
store and are not carried over. The newest version of each stream (``positions.py``) and its chain hash are
read before that snapshot, so it never claims an event the facts lack; the consumer checks the events after
it against that head (stream_check.py), and those the snapshot holds already find their rows there.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import asyncpg
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.scoring import facts, positions, projection
from shared.db import asyncpg_connection

# The event types (and schema versions) whose rows are made below; anything else the store holds
# projects nothing (reports, claims, appeals...). An entry_recorded of version 1 has no impact period,
# which its JSON path reads as null, as the upcaster makes it; a cadre_registered of version 2 adds a birth
# date, which scoring does not project (its name and unit are read alike in both).
PROJECTED = {
    "cadre_registered": {1, 2}, "entry_recorded": {1, 2}, "achievement_verified": {1}, "entry_amended": {1},
    "entry_revoked": {1}, "post_assigned": {1}, "post_ended": {1}, "unit_registered": {1},
    "annual_grade_recorded": {1}, "appraisal_level_recorded": {1}, "assessment_scores_recorded": {1},
    "integrity_veto_recorded": {1}, "team_grade_recorded": {1}, "target_evaluation_recorded": {1},
    "declaration_recorded": {1},
    "assessment_scheme_published": {1}, "indicator_reading_recorded": {1}, "evaluation_score_recorded": {1},
    "constraint_breach_recorded": {1}, "assessment_input_revoked": {1}, "assessment_grade_decided": {1},
    "assessment_notice_issued": {1}, "assessment_notice_answered": {1},
}

# What the facts read of an event, as columns the store's database extracts from the event JSON while it
# exports (no JSON is parsed again on this side): (column, type, expression over the events table). A key
# means the same in every event type that has it (``level``: a unit's, or an appraisal's).
FIELDS = [
    ("name", "text", "data->>'name'"),
    ("unit_id", "text", "data->>'unit_id'"),
    ("entry_id", "text", "data->>'entry_id'"),
    ("achievement_id", "text", "data->>'achievement_id'"),
    ("kind", "text", "data->>'kind'"),
    ("category", "text", "data->>'category'"),
    ("points_cents", "bigint", "round((data->>'points')::numeric * 100)::bigint"),  # exact: two decimals
    ("effective_date", "date", "(data->>'effective_date')::date"),
    ("impact_start", "date", "(data->'impact_period'->>'start')::date"),  # null in version 1, as upcast
    ("impact_end", "date", "(data->'impact_period'->>'end')::date"),
    ("post_id", "text", "data->>'post_id'"),
    ("leadership", "text", "data->>'leadership'"),
    ("rank", "text", "data->>'rank'"),
    ("start_date", "date", "(data->>'start_date')::date"),
    ("end_date", "date", "(data->>'end_date')::date"),
    ("parent_id", "text", "data->>'parent_id'"),
    ("level", "text", "data->>'level'"),
    ("unit_class", "text", "data->>'unit_class'"),
    ("year", "int", "(data->>'year')::int"),
    ("grade", "text", "data->>'grade'"),
    ("prize", "text", "data->>'prize'"),
    # Scores keep the text of the number as the event's JSON writes it (90.0, 85.5): str() of its Decimal.
    ("mass_satisfaction", "text", "data->>'mass_satisfaction'"),
    ("political_quality", "text", "data->>'political_quality'"),
    ("document", "text", "data->'basis'->>'document'"),
    ("declaration", "text", "data->>'declaration'"),
    ("flagged", "int", "(data->>'flagged')::boolean::int"),
    # the annual comprehensive assessment (issue 16): numbers as the text the event's JSON holds
    ("input_id", "text", "data->>'input_id'"),
    ("scheme_id", "text", "data->>'scheme_id'"),
    ("item_id", "text", "coalesce(data->>'indicator_id', data->>'component_id')"),
    ("period", "text", "data->>'period'"),
    ("evaluation", "text", "data->>'evaluation'"),
    ("value", "text", "data->>'value'"),
    ("last_year", "text", "data->>'last_year'"),
    ("target", "text", "data->>'target'"),
    ("score", "text", "data->>'score'"),
    ("note", "text", "data->>'note'"),
    ("reason", "text", "data->>'reason'"),
    ("source", "text", "data->>'source'"),
    ("version", "int", "(data->>'version')::int"),
    ("effective_from", "date", "(data->>'effective_from')::date"),
    ("scheme_document", "jsonb", "data->'scheme'"),
    # its notices (step 6), kept among the inputs: the notice id as the input id
    ("notice_id", "text", "data->>'notice_id'"),
    ("answer_document", "text", "data->>'document'"),
]
_HEAD = [("event_id", "text", "event_id::text"), ("event_type", "text", "event_type::text"),
         ("stream_id", "text", "stream_id::text"), ("recorded_at", "timestamptz", "recorded_at")]
_COLUMNS = [name for name, _, _ in _HEAD + FIELDS]
_EXPORT = (f"SELECT {', '.join(expression for _, _, expression in _HEAD + FIELDS)} FROM events "
           "WHERE event_type IN ({types})")

# They land in a temporary table partitioned by event type, so that each INSERT ... SELECT below reads
# the events of its type only (not the whole city once per statement).
_STAGED = "store_events"
_STAGING_TABLES = [
    f"CREATE TEMPORARY TABLE {_STAGED} ({', '.join(f'{n} {t}' for n, t, _ in _HEAD + FIELDS)}) "
    f"PARTITION BY LIST (event_type)",
    *(f"CREATE TEMPORARY TABLE {_STAGED}_{n} PARTITION OF {_STAGED} FOR VALUES IN ('{t}')"
      for n, t in enumerate(PROJECTED)),
]
_UNIT = (f"CASE WHEN starts_with(stream_id, '{projection.UNIT_STREAM_PREFIX}') "  # str.removeprefix
         f"THEN substr(stream_id, {len(projection.UNIT_STREAM_PREFIX) + 1}) ELSE stream_id END")


def _insert(table: str, columns: str, values: str, event_type: str, extra: str = "") -> str:
    # ON CONFLICT DO NOTHING as ``insert_ignore`` (a no-op while the keys are dropped: see _Index).
    return (f"INSERT INTO {table} ({columns}) SELECT {values} FROM {_STAGED} WHERE event_type = '{event_type}'"
            f"{extra} ON CONFLICT DO NOTHING")


def _result(kind: str, value: str, event_type: str, subject: str = "stream_id", extra: str = "") -> str:
    return _insert("results", "event_id, kind, subject_id, year, value, recorded_at",
                   f"event_id, '{kind}', {subject}, year, {value}, recorded_at", event_type, extra)


_ENTRY = "entry_id, event_id, cadre_id, kind, category, points_cents, effective_date, recorded_at, impact_start, impact_end"

_INPUT = ("event_id, event_type, input_id, subject_id, scheme_id, year, item_id, period, evaluation, effective_date, "
          "value, level, last_year, target, score, note, source, recorded_at")

# One statement per table and event type, with the values of ``projection.rows_for``.
FILL = [
    _insert("cadres", "cadre_id, event_id, name, unit_id, recorded_at",
            "stream_id, event_id, name, unit_id, recorded_at", "cadre_registered"),
    _insert("entries", _ENTRY, "entry_id, event_id, stream_id, kind, category, points_cents, effective_date, "
            "recorded_at, impact_start, impact_end", "entry_recorded"),
    # A verified achievement counts like an entry; its id is the achievement's.
    _insert("entries", _ENTRY, "achievement_id, event_id, stream_id, 'achievement', category, points_cents, "
            "effective_date, recorded_at, NULL, NULL", "achievement_verified"),
    _insert("entry_amendments", "event_id, entry_id, cadre_id, category, points_cents, effective_date, recorded_at, "
            "impact_start, impact_end", "event_id, entry_id, stream_id, category, points_cents, effective_date, "
            "recorded_at, impact_start, impact_end", "entry_amended"),
    _insert("revocations", "entry_id, event_id, cadre_id, recorded_at", "entry_id, event_id, stream_id, recorded_at",
            "entry_revoked"),
    _insert("posts", "post_id, event_id, cadre_id, unit_id, leadership, rank, start_date, recorded_at",
            "post_id, event_id, stream_id, unit_id, leadership, rank, start_date, recorded_at", "post_assigned"),
    _insert("post_ends", "event_id, post_id, end_date, recorded_at", "event_id, post_id, end_date, recorded_at",
            "post_ended"),
    _insert("units", "unit_id, event_id, parent_id, level, unit_class, recorded_at, name",
            "unit_id, event_id, parent_id, level, unit_class, recorded_at, name", "unit_registered"),
    _result("annual_grade", "grade", "annual_grade_recorded"),
    _result("appraisal_level", "level", "appraisal_level_recorded"),
    _result("mass_satisfaction", "mass_satisfaction", "assessment_scores_recorded",
            extra=" AND mass_satisfaction IS NOT NULL"),
    _result("political_quality", "political_quality", "assessment_scores_recorded",
            extra=" AND political_quality IS NOT NULL"),
    _result("veto", "document", "integrity_veto_recorded"),
    _result("team_grade", "grade", "team_grade_recorded", subject=_UNIT),
    _result("target_prize", "prize", "target_evaluation_recorded", subject=_UNIT),
    _insert("declarations", "event_id, cadre_id, declaration, flagged, recorded_at",
            "event_id, stream_id, declaration, flagged, recorded_at", "declaration_recorded"),
    _result("assessment_grade", "grade", "assessment_grade_decided", subject=_UNIT),
    _insert("assessment_schemes", "event_id, scheme_id, version, effective_from, document, recorded_at",
            "event_id, scheme_id, version, effective_from, scheme_document, recorded_at", "assessment_scheme_published"),
    *(_insert("assessment_inputs", _INPUT, f"event_id, '{t}', input_id, {_UNIT}, scheme_id, year, {item}, period, "
              f"evaluation, effective_date, value, level, last_year, target, score, {note}, source, recorded_at", t)
      for t, item, note in (("indicator_reading_recorded", "item_id", "NULL"),
                            ("evaluation_score_recorded", "item_id", "NULL"),
                            ("constraint_breach_recorded", "item_id", "note"),
                            ("assessment_input_revoked", "NULL", "reason"))),
    *(_insert("assessment_inputs", _INPUT, f"event_id, '{t}', notice_id, {_UNIT}, scheme_id, year, {item}, {period}, "
              f"NULL, effective_date, NULL, NULL, NULL, NULL, NULL, note, {source}, recorded_at", t)
      for t, item, period, source in (("assessment_notice_issued", "item_id", "period", "document"),
                                      ("assessment_notice_answered", "NULL", "NULL", "answer_document"))),
]


class UnknownEvents(Exception):
    """The store holds an event type or version this module does not read: rebuild from the topic."""


@dataclass(frozen=True, slots=True)
class Built:
    events: int
    steps: dict[str, float]  # seconds each step took, in order

    def __str__(self) -> str:
        return ", ".join(f"{step} in {seconds:.1f} s" for step, seconds in self.steps.items())


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
        # How far each stream is applied, read before the export's snapshot: a lower bound of what it copies;
        # with each head's chain hash, which the consumer checks the stream's next event against.
        heads = (await source.execute(text("SELECT DISTINCT ON (stream_id) stream_id, stream_version, hash FROM events "
                                           "ORDER BY stream_id, stream_version DESC"))).all()

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
        steps = {"copied": time.perf_counter() - started}
        await driver.execute(f"SET LOCAL maintenance_work_mem = '{INDEX_BUILD_MEMORY}'")
        deferred = [index for table, *_ in projection.FACTS for index in await _drop_indexes(driver, table.name)]
        for statement in FILL:
            await driver.execute(statement)
        await driver.execute(f"DROP TABLE {_STAGED}")
        steps["facts made"] = time.perf_counter() - started - sum(steps.values())
        await facts.derive_every_current_entry(target)
        steps["current entries derived"] = time.perf_counter() - started - sum(steps.values())
        for index in deferred:
            await index.create(driver)
        steps["indexes built"] = time.perf_counter() - started - sum(steps.values())
    await projection.save_positions(target, consumer, ends)
    await positions.record(target, {s: v for s, v, _ in heads}, {s: h for s, _, h in heads})
    return Built(int(status.split()[-1]), steps)


# Memory for each index build after the fill (PostgreSQL's default, 64 MB, sorts a city's entries on disk).
INDEX_BUILD_MEMORY = "1GB"


@dataclass(frozen=True, slots=True)
class _Index:
    """An index (or the primary key or unique constraint it backs) of an empty fact table, dropped before
    the fill and made again after it: one sorted build instead of a city's rows inserted one by one into
    b-trees keyed by random ids. Measured at 13.4 M events: inserted with its indexes in place, the entries
    table alone was still filling after almost six minutes; made after the fill, every index and key of
    every fact table took 82 s."""

    table: str
    name: str
    definition: str  # CREATE INDEX ..., or the constraint's definition (PRIMARY KEY (...), UNIQUE (...))
    constraint: bool

    async def create(self, driver: asyncpg.Connection) -> None:
        if not self.constraint:
            await driver.execute(self.definition)
            return
        add = f'ALTER TABLE "{self.table}" ADD CONSTRAINT "{self.name}" {self.definition}'
        try:
            async with driver.transaction():  # a savepoint: a duplicate key must not abort the rebuild
                await driver.execute(add)
        except asyncpg.UniqueViolationError:
            # The same id made twice (ids an import carried over, in two cadres' streams): keep the row
            # that came first, as the consumer's insert-if-absent does.
            key = self.definition[self.definition.index("(") + 1:self.definition.rindex(")")]
            columns = [c.strip() for c in key.split(",")]
            same = " AND ".join(f"a.{c} = b.{c}" for c in columns)
            await driver.execute(f'DELETE FROM "{self.table}" a USING "{self.table}" b WHERE {same} AND a.ctid > b.ctid')
            await driver.execute(add)


async def _drop_indexes(driver: asyncpg.Connection, table: str) -> list[_Index]:
    """Drop ``table``'s indexes and key constraints (its rows are about to be made); how to make them again."""
    constraints = await driver.fetch(
        "SELECT conname, pg_get_constraintdef(oid) AS definition FROM pg_constraint "
        "WHERE conrelid = $1::regclass AND contype IN ('p', 'u')", table)
    plain = await driver.fetch(
        "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = $1 "
        "AND indexname <> ALL($2::text[])", table, [c["conname"] for c in constraints])
    found = ([_Index(table, c["conname"], c["definition"], True) for c in constraints]
             + [_Index(table, i["indexname"], i["indexdef"], False) for i in plain])
    for index in found:
        if index.constraint:
            await driver.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{index.name}"')
        else:
            await driver.execute(f'DROP INDEX "{index.name}"')
    return found
