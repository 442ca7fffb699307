"""The relay: publishes the event store to the bus in commit order, at least once.

Each round, in one database transaction: take the relay lock (PostgreSQL advisory lock, so
only one dossier instance publishes at a time), read the checkpoint, read the next committed
events, publish them and wait for the bus to acknowledge all of them, then move the checkpoint.
A crash after the acknowledgement and before the checkpoint republishes that batch on restart;
consumers de-duplicate by event id, so nothing is doubled and nothing is lost.

The checkpoint is kept per topic: a relay pointed at a new, empty topic (after the broker's data
was lost, or to rebuild projections elsewhere) publishes the whole event store to it from the start.
"""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from services.dossier import store
from services.dossier.store import StoredEvent
from shared.bus import OutgoingMessage, Publisher
from shared.envelope import Envelope, type_name
from shared.faults import crash_point

log = logging.getLogger(__name__)

SOURCE = "/shiji/dossier"
RELAY_LOCK_KEY = 0x5348494A49  # "SHIJI"


def envelope_of(event: StoredEvent) -> Envelope:
    return Envelope(
        id=event.event_id,
        source=SOURCE,
        type=type_name(event.event_type, event.schema_version),
        subject=event.stream_id,
        time=event.recorded_at,
        data=event.data,
        streamversion=event.stream_version,
        position=event.position,
        effectivedate=event.effective_date,
        actor=event.actor,
        actorrole=event.actor_role,
    )


def checkpoint_name(topic: str) -> str:
    return f"relay:{topic}"[:100]


def message_of(event: StoredEvent) -> OutgoingMessage:
    return OutgoingMessage(key=event.stream_id, value=envelope_of(event).to_bytes())


class Relay:
    def __init__(self, engine: AsyncEngine, publisher: Publisher, topic: str, *, batch_size: int = 2000,
                 idle_s: float = 0.1) -> None:
        self._engine = engine
        self._publisher = publisher
        self._topic = topic
        self._name = checkpoint_name(topic)
        self._batch_size = batch_size
        self._idle_s = idle_s
        self._wakeup = asyncio.Event()
        self.published = 0

    def wake(self) -> None:
        """Called after a commit: publish now instead of at the next idle tick."""
        self._wakeup.set()

    async def run_once(self) -> int:
        """Publish one batch; the number of events published (0 when idle or another relay holds the lock)."""
        async with self._engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                locked = await conn.scalar(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": RELAY_LOCK_KEY})
                if not locked:
                    return 0
            checkpoint = await store.load_checkpoint(conn, self._name)
            batch = await store.read_committed(conn, checkpoint, self._batch_size)
            if not batch:
                return 0
            await self._publisher.publish(self._topic, [message_of(e) for e in batch])
            crash_point("relay.after_publish")
            await store.save_checkpoint(conn, self._name, batch[-1].cursor)
        self.published += len(batch)
        return len(batch)

    async def run(self) -> None:
        """Publish until cancelled; a failing bus or database is retried with a growing pause."""
        backoff = 0.5
        while True:
            self._wakeup.clear()
            try:
                published = await self.run_once()
                backoff = 0.5
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("relay round failed; retrying in %.1fs", backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 10.0)
                continue
            if published < self._batch_size:
                try:
                    await asyncio.wait_for(self._wakeup.wait(), self._idle_s)
                except TimeoutError:
                    pass
