"""Rebuilding scoring: in place, or into a fresh database while the live one goes on serving (blue/green).

``rebuild_into`` reads the dossier topic from offset 0 with a consumer group of its own into an
empty, migrated database, until it has every event the topic held when it started (or, given the
dossier's database, builds the same facts from the event store in one set-based pass: ``from_store``,
for a city, and for a topic trimmed by retention); then it copies
what the live service has announced (warnings, published totals), so that the rebuilt database
re-announces nothing. The operator starts scoring on it (with the printed consumer group), moves the
gateway to it, and stops the old instances: no moment without a scoring service. The facts'
checksums of both databases are printed; with no writes in between they are equal.

``reset_in_place`` empties the live database instead (every instance stopped), and ``checksum_of`` prints
a database's digest. The transactions are opened by the consumer and ``service.py``; this module wires
the databases and Kafka for them.
"""

from __future__ import annotations

import time
import uuid

from sqlalchemy.ext.asyncio import AsyncEngine

from services.scoring import service
from services.scoring.consumer import CONSUMER_NAME, ScoringConsumer
from services.scoring.service import RebuildRefused
from services.scoring.settings import ScoringSettings
from shared.db import make_engine, upgrade_to_head
from shared.kafka_bus import KafkaAdmin, KafkaSubscription
from shared.settings import KafkaSettings

__all__ = ["RebuildRefused", "checksum_of", "rebuild_into", "reset_in_place"]


async def _replay(target: AsyncEngine, k: KafkaSettings, group: str, ends: dict[int, int]) -> None:
    """Apply the topic from offset 0 up to ``ends`` into ``target``, as the consumer would."""
    consumer = ScoringConsumer(target, lambda start: KafkaSubscription(k.connection(), k.topic, group, start))
    subscription = consumer._subscribe(consumer.start_positions)
    try:
        while True:
            await subscription.committed(await consumer.apply_batch(await subscription.poll(5000, 1.0)))
            at = await consumer.start_positions(k.topic, list(ends))
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
    admin = KafkaAdmin(k.connection())
    group = f"{settings.consumer_group}-rebuilt-{uuid.uuid4().hex[:8]}"
    try:
        await service.refuse_unless_empty(target, target_url)
        ends = await admin.end_offsets(k.topic, await admin.partitions(k.topic))
        started = time.perf_counter()
        if store_url is None:
            await _replay(target, k, group, ends)
            built = f"rebuilt {sum(ends.values())} messages"
        else:
            store = make_engine(store_url, pool_size=1)
            try:
                made = await service.build_from_store(store, target, {(k.topic, p): end for p, end in ends.items()},
                                                      CONSUMER_NAME)
            finally:
                await store.dispose()
            built = f"rebuilt {made.events} events from the event store ({made})"
        built += f" into {target_url} in {time.perf_counter() - started:.1f} s"
        await service.take_over_announcements(live, target)
        compared = ""
        if checksums:
            rebuilt, current = await service.checksum(target), await service.checksum(live)
            verdict = "equal" if rebuilt == current else "different (the live one has moved on, or differs)"
            compared = f"checksum rebuilt {rebuilt}\nchecksum live    {current}  ({verdict})\n"
    finally:
        await admin.close()
        await target.dispose()
        await live.dispose()
    return (f"{built}\n{compared}"
            f"switch over: start scoring with SHIJI_SCORING_DATABASE_URL={target_url} "
            f"SHIJI_SCORING_CONSUMER_GROUP={group}, point the gateway at it, stop the old instances")


async def _on(url: str, step):
    engine = make_engine(url, pool_size=1)
    try:
        return await step(engine)
    finally:
        await engine.dispose()


async def reset_in_place(url: str) -> None:
    """Empty the facts, dead letters and positions of the database at ``url``: scoring, started again,
    rebuilds them from the topic's offset 0 (every scoring instance stopped first)."""
    await _on(url, service.reset)


async def checksum_of(url: str) -> str:
    """The digest of the facts of the scoring database at ``url`` (equal digests, equal projections)."""
    return await _on(url, service.checksum)
