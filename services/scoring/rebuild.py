"""Rebuilding scoring into a fresh database while the live one goes on serving (blue/green).

``rebuild_into`` reads the dossier topic from offset 0 with a consumer group of its own into an
empty, migrated database, until it has every event the topic held when it started (or, given the
dossier's database, builds the same facts from the event store in one set-based pass: ``from_store``,
for a city, and for a topic trimmed by retention); then it copies
what the live service has announced (warnings, published totals), so that the rebuilt database
re-announces nothing. The operator starts scoring on it (with the printed consumer group), moves the
gateway to it, and stops the old instances: no moment without a scoring service. The facts'
checksums of both databases are printed; with no writes in between they are equal.
"""

from __future__ import annotations

import time
import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from services.scoring import from_store, projection
from services.scoring.consumer import CONSUMER_NAME, ScoringConsumer
from services.scoring.settings import ScoringSettings
from services.scoring.tables import consumer_positions, published_totals, warnings
from shared.db import make_engine, upgrade_to_head
from shared.kafka_bus import KafkaAdmin, KafkaSubscription
from shared.settings import KafkaSettings


class RebuildRefused(Exception):
    pass


async def _replay(target: AsyncEngine, k: KafkaSettings, group: str, ends: dict[int, int]) -> None:
    """Apply the topic from offset 0 up to ``ends`` into ``target``, as the consumer would."""
    consumer = ScoringConsumer(target, lambda start: KafkaSubscription(k.bootstrap, k.topic, group, start))
    subscription = consumer._subscribe(consumer.start_positions)
    try:
        while True:
            await subscription.committed(await consumer.apply_batch(await subscription.poll(5000, 1.0)))
            async with target.connect() as conn:
                at = await projection.positions(conn, CONSUMER_NAME, k.topic, list(ends))
            if all(at.get(p, 0) >= end for p, end in ends.items()):
                return
    finally:
        await subscription.close()


async def rebuild_into(settings: ScoringSettings, target_url: str, store_url: str | None = None,
                       checksums: bool = True) -> str:
    """Rebuild into the empty database at ``target_url``: from the topic, or with ``store_url`` (the dossier's
    database) from the event store in one set-based pass (``from_store``), the consumer going on from the
    topic's end offsets. ``checksums`` reads both databases row by row at the end (minutes for a city)."""
    k = settings.kafka
    await upgrade_to_head("scoring", target_url)
    target, live = make_engine(target_url), make_engine(settings.database_url)
    admin = KafkaAdmin(k.bootstrap)
    group = f"{settings.consumer_group}-rebuilt-{uuid.uuid4().hex[:8]}"
    try:
        async with target.connect() as conn:
            if (await conn.execute(select(consumer_positions).limit(1))).first():
                raise RebuildRefused(f"{target_url} already holds consumer positions: rebuild into an empty database")
        ends = await admin.end_offsets(k.topic, await admin.partitions(k.topic))
        started = time.perf_counter()
        if store_url is None:
            await _replay(target, k, group, ends)
            built = f"rebuilt {sum(ends.values())} messages"
        else:
            store = make_engine(store_url, pool_size=1)
            try:
                async with target.begin() as conn:
                    made = await from_store.build(store, conn, {(k.topic, p): end for p, end in ends.items()},
                                                  CONSUMER_NAME)
            finally:
                await store.dispose()
            built = f"rebuilt {made.events} events from the event store ({made})"
        built += f" into {target_url} in {time.perf_counter() - started:.1f} s"
        # What the live service has announced, so the rebuilt one announces only what changes from now on.
        async with live.connect() as source, target.begin() as sink:
            for table in (warnings, published_totals):
                rows = [dict(r._mapping) for r in await source.execute(select(table))]
                await sink.execute(table.delete())
                if rows:
                    await sink.execute(table.insert(), rows)
        compared = ""
        if checksums:
            async with target.connect() as conn:
                rebuilt = await projection.checksum(conn)
            async with live.connect() as conn:
                current = await projection.checksum(conn)
            verdict = "equal" if rebuilt == current else "different (the live one has moved on, or differs)"
            compared = f"checksum rebuilt {rebuilt}\nchecksum live    {current}  ({verdict})\n"
    finally:
        await admin.close()
        await target.dispose()
        await live.dispose()
    return (f"{built}\n{compared}"
            f"switch over: start scoring with SHIJI_SCORING_DATABASE_URL={target_url} "
            f"SHIJI_SCORING_CONSUMER_GROUP={group}, point the gateway at it, stop the old instances")
