"""All queries on the scoring database: applying a batch of events, positions, and reading points."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import and_, exists, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.scoring.tables import cadres, consumer_positions, dead_letters, entries, revocations
from shared.db import insert_ignore, upsert
from shared.envelope import Envelope
from shared.events import CadreRegistered, DomainEvent, EntryRecorded, EntryRevoked


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


def rows_for(batch: Iterable[Applicable]) -> dict[str, list[dict]]:
    rows: dict[str, list[dict]] = {"cadres": [], "entries": [], "revocations": []}
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
            case EntryRevoked():
                rows["revocations"].append({"entry_id": event.entry_id, "event_id": env.id,
                                            "cadre_id": env.subject, "recorded_at": env.time})
    return rows


_TABLES = {"cadres": cadres, "entries": entries, "revocations": revocations}


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


async def reset(conn: AsyncConnection) -> None:
    """Empty the projections, the dead letters and the positions: the consumer then re-reads the topic
    from offset zero and builds everything again (``shiji rebuild scoring``)."""
    for table in (cadres, entries, revocations, dead_letters, consumer_positions):
        await conn.execute(table.delete())


def _canonical(value: object) -> object:
    if isinstance(value, dt.datetime):  # SQLite keeps no zone: we only ever write UTC
        return (value if value.tzinfo else value.replace(tzinfo=dt.UTC)).astimezone(dt.UTC).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


async def checksum(conn: AsyncConnection) -> str:
    """A digest of the projections, row by row in key order. Equal digests mean equal projections,
    whatever topic, offsets, order or redeliveries they were built from (positions and dead letters,
    which depend on those, are left out)."""
    digest = hashlib.sha256()
    for table, key in ((cadres, cadres.c.cadre_id), (entries, entries.c.entry_id),
                       (revocations, revocations.c.entry_id)):
        digest.update(table.name.encode())
        async for row in await conn.stream(select(table).order_by(key)):
            digest.update(json.dumps([_canonical(v) for v in row], ensure_ascii=False).encode() + b"\n")
    return digest.hexdigest()


async def points_known(conn: AsyncConnection, cadre_id: str, start: dt.date, end: dt.date,
                       known_at: dt.datetime) -> list[tuple[dt.date, Decimal]]:
    """(effective date, points) of the cadre's entries in [start, end] as the record stood at ``known_at``:
    recorded by then, and not revoked by then."""
    revoked_by_then = exists().where(
        and_(revocations.c.entry_id == entries.c.entry_id, revocations.c.recorded_at <= known_at)
    )
    rows = await conn.execute(
        select(entries.c.effective_date, entries.c.points_cents).where(
            entries.c.cadre_id == cadre_id,
            entries.c.effective_date.between(start, end),
            entries.c.recorded_at <= known_at,
            ~revoked_by_then,
        )
    )
    return [(r.effective_date, Decimal(r.points_cents) / 100) for r in rows]
