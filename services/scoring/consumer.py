"""The scoring consumer: applies dossier events to the projections, each exactly once.

One database transaction per polled batch holds the projection rows *and* the next offset of
every partition in the batch. On (re)assignment the bus starts each partition at the offset the
database holds, so a crash anywhere, before or after the transaction, resumes exactly where the
projections stand. A redelivered event finds its row already there and inserts nothing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence

from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from services.scoring import projection
from services.scoring.projection import Applicable, DeadLetter
from shared.bus import DeliveredMessage, StartPositions, Subscription
from shared.db import database_unavailable
from shared.envelope import Envelope, InvalidEnvelope
from shared.events import UnknownEventType, from_data
from shared.faults import crash_point

log = logging.getLogger(__name__)


def dead_letter(message: DeliveredMessage, exc: BaseException) -> DeadLetter:
    return DeadLetter(message.topic, message.partition, message.offset, f"{type(exc).__name__}: {exc}", message.value)


def classify(messages: Sequence[DeliveredMessage]) -> tuple[list[Applicable], list[DeadLetter]]:
    """Split a batch into events to apply and messages that can never be applied."""
    good, dead = [], []
    for m in messages:
        try:
            envelope = Envelope.from_bytes(m.value)
            event = from_data(envelope.event_type, envelope.schema_version, envelope.data)
            good.append(Applicable(envelope, event))
        except (InvalidEnvelope, UnknownEventType, ValidationError) as exc:
            dead.append(dead_letter(m, exc))
    return good, dead


class ScoringConsumer:
    def __init__(self, engine: AsyncEngine, subscribe: Callable[[StartPositions], Subscription], *,
                 name: str = "scoring", max_batch: int = 2000, poll_timeout_s: float = 0.5) -> None:
        self._engine = engine
        self._subscribe = subscribe
        self._name = name
        self._max_batch = max_batch
        self._poll_timeout_s = poll_timeout_s
        self.applied = 0
        self.dead_lettered = 0  # the alert's counter; each one is also logged at ERROR

    async def start_positions(self, topic: str, partitions: list[int]) -> dict[int, int]:
        async with self._engine.connect() as conn:
            return await projection.positions(conn, self._name, topic, partitions)

    async def apply_batch(self, messages: Sequence[DeliveredMessage]) -> dict[tuple[str, int], int]:
        """Apply ``messages``; the next offsets stored, per (topic, partition).

        One transaction for the batch. A message that is a valid event but that the database refuses
        (an id longer than its column, a NUL byte) fails that transaction; it used to fail it again
        on every retry, and its partition stopped for good (tests/faults/test_kafka_input.py). So a
        refused batch is applied again one message per transaction, and a message the database
        refuses on its own becomes a dead letter. A database that is down is no such refusal: that
        error is raised, and the batch retried whole.
        """
        if not messages:
            return {}
        try:
            return await self._apply(messages)
        except DBAPIError as exc:
            if database_unavailable(exc):
                raise
            log.warning("the database refused a batch of %d (%s); applying it one message at a time",
                        len(messages), type(exc).__name__)
        next_offsets: dict[tuple[str, int], int] = {}
        for m in messages:
            try:
                next_offsets.update(await self._apply([m]))
            except DBAPIError as exc:
                if database_unavailable(exc):
                    raise
                next_offsets.update(await self._apply([m], refused=exc))
        return next_offsets

    async def _apply(self, messages: Sequence[DeliveredMessage], refused: BaseException | None = None
                     ) -> dict[tuple[str, int], int]:
        """One transaction: the projection rows, dead letters and positions of ``messages`` (all of
        them dead letters when the database ``refused`` them)."""
        async with self._engine.begin() as conn:
            by_partition: dict[str, set[int]] = {}
            for m in messages:
                by_partition.setdefault(m.topic, set()).add(m.partition)
            stored = {(t, p): o for t, ps in by_partition.items()
                      for p, o in (await projection.positions(conn, self._name, t, ps)).items()}
            # A message below the stored offset was applied by an earlier transaction.
            fresh = [m for m in messages if m.offset >= stored.get((m.topic, m.partition), 0)]
            if refused is None:
                good, dead = classify(fresh)
            else:
                good, dead = [], [dead_letter(m, refused) for m in fresh]
            await projection.apply(conn, good)
            await projection.record_dead_letters(conn, dead)
            next_offsets: dict[tuple[str, int], int] = {}
            for m in messages:
                key = (m.topic, m.partition)
                next_offsets[key] = max(next_offsets.get(key, 0), m.offset + 1, stored.get(key, 0))
            await projection.save_positions(conn, self._name, next_offsets)
            crash_point("consumer.before_commit")
        crash_point("consumer.after_commit")
        # The alert, once per dead letter now that it is recorded: an ERROR line and a counter.
        for d in dead:
            log.error("dead letter %s[%d]@%d: %s", d.topic, d.partition, d.offset, d.error[:500])
        self.applied += len(good)
        self.dead_lettered += len(dead)
        return next_offsets

    async def run(self) -> None:
        """Consume until cancelled; database or bus failures are retried with a growing pause."""
        backoff = 0.5
        while True:
            subscription = self._subscribe(self.start_positions)
            try:
                while True:
                    batch = await subscription.poll(self._max_batch, self._poll_timeout_s)
                    offsets = await self.apply_batch(batch)
                    await subscription.committed(offsets)
                    backoff = 0.5
            except asyncio.CancelledError:
                raise
            except Exception:
                # Start over from the database's positions: nothing half-applied survives the rollback.
                log.exception("consumer failed; resubscribing in %.1fs", backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 10.0)
            finally:
                await asyncio.shield(subscription.close())
