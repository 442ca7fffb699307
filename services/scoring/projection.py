"""All queries on the scoring database: applying a batch of events, positions, and reading points."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import and_, exists, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.scoring.tables import cadres, consumer_positions, dead_letters, entries, entry_amendments, revocations
from shared.db import insert_ignore, upsert
from shared.envelope import Envelope
from shared.events import AchievementVerified, CadreRegistered, DomainEvent, EntryAmended, EntryRecorded, EntryRevoked


def cents(points: Decimal) -> int:
    return int(points * 100)


@dataclass(frozen=True, slots=True)
class Applicable:
    """A message turned into an event we project, with the envelope attributes we keep."""

    envelope: Envelope
    event: DomainEvent


@dataclass(frozen=True, slots=True)
class DeadLetter:
    topic: str
    partition: int
    offset: int
    error: str
    value: bytes


_TABLES = {"cadres": cadres, "entries": entries, "entry_amendments": entry_amendments, "revocations": revocations}


def rows_for(batch: Iterable[Applicable]) -> dict[str, list[dict]]:
    rows: dict[str, list[dict]] = {name: [] for name in _TABLES}
    for item in batch:
        env, event = item.envelope, item.event
        match event:
            case CadreRegistered():
                rows["cadres"].append({"cadre_id": env.subject, "event_id": env.id, "name": event.name,
                                       "unit_id": event.unit_id, "recorded_at": env.time})
            case EntryRecorded():
                rows["entries"].append({"entry_id": event.entry_id, "event_id": env.id, "cadre_id": env.subject,
                                        "kind": event.kind.value, "category": event.category,
                                        "points_cents": cents(event.points), "effective_date": event.effective_date,
                                        "recorded_at": env.time})
            case AchievementVerified():
                # A verified achievement counts like an entry; its id is the achievement's.
                rows["entries"].append({"entry_id": event.achievement_id, "event_id": env.id, "cadre_id": env.subject,
                                        "kind": "achievement", "category": event.category,
                                        "points_cents": cents(event.points), "effective_date": event.effective_date,
                                        "recorded_at": env.time})
            case EntryAmended():
                rows["entry_amendments"].append({"event_id": env.id, "entry_id": event.entry_id,
                                                 "cadre_id": env.subject, "points_cents": cents(event.points),
                                                 "effective_date": event.effective_date, "recorded_at": env.time})
            case EntryRevoked():
                rows["revocations"].append({"entry_id": event.entry_id, "event_id": env.id,
                                            "cadre_id": env.subject, "recorded_at": env.time})
    return rows




async def apply(conn: AsyncConnection, batch: Sequence[Applicable]) -> None:
    """Insert the projection rows of ``batch``; rows already there (a redelivery) are left alone."""
    for name, rows in rows_for(batch).items():
        if rows:
            await conn.execute(insert_ignore(conn.dialect.name, _TABLES[name]), rows)


async def record_dead_letters(conn: AsyncConnection, letters: Sequence[DeadLetter]) -> None:
    if letters:
        now = dt.datetime.now(dt.UTC)
        await conn.execute(insert_ignore(conn.dialect.name, dead_letters), [
            {"topic": d.topic, "partition": d.partition, "offset": d.offset, "error": d.error[:2000],
             "value": d.value, "received_at": now} for d in letters
        ])


async def positions(conn: AsyncConnection, consumer: str, topic: str, partitions: Iterable[int]) -> dict[int, int]:
    rows = await conn.execute(
        select(consumer_positions.c.partition, consumer_positions.c.next_offset).where(
            consumer_positions.c.consumer == consumer,
            consumer_positions.c.topic == topic,
            consumer_positions.c.partition.in_(list(partitions)),
        )
    )
    return {r.partition: r.next_offset for r in rows}


async def save_positions(conn: AsyncConnection, consumer: str, next_offsets: dict[tuple[str, int], int]) -> None:
    now = dt.datetime.now(dt.UTC)
    for (topic, partition), offset in next_offsets.items():
        values = {"consumer": consumer, "topic": topic, "partition": partition, "next_offset": offset, "updated_at": now}
        await conn.execute(upsert(conn.dialect.name, consumer_positions, values,
                                  ["consumer", "topic", "partition"], ["next_offset", "updated_at"]))


async def points_known(conn: AsyncConnection, cadre_id: str, known_at: dt.datetime) -> list[tuple[dt.date, Decimal]]:
    """(effective date, points) of each of the cadre's entries as the record stood at ``known_at``:
    recorded by then, not revoked by then, and as last amended by then."""
    revoked_by_then = exists().where(
        and_(revocations.c.entry_id == entries.c.entry_id, revocations.c.recorded_at <= known_at)
    )
    rows = await conn.execute(
        select(entries.c.entry_id, entries.c.effective_date, entries.c.points_cents).where(
            entries.c.cadre_id == cadre_id, entries.c.recorded_at <= known_at, ~revoked_by_then)
    )
    current = {r.entry_id: (r.effective_date, r.points_cents) for r in rows}
    amendments = await conn.execute(
        select(entry_amendments.c.entry_id, entry_amendments.c.effective_date, entry_amendments.c.points_cents)
        .where(entry_amendments.c.cadre_id == cadre_id, entry_amendments.c.recorded_at <= known_at)
        .order_by(entry_amendments.c.recorded_at)
    )
    for a in amendments:
        if a.entry_id in current:
            current[a.entry_id] = (a.effective_date, a.points_cents)
    return [(day, Decimal(c) / 100) for day, c in current.values()]
