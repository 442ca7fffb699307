"""The relay: publishes the event store to the bus in commit order, at least once.

Each round, in one database transaction: take the relay lock (PostgreSQL advisory lock, so
only one dossier instance publishes at a time), read the checkpoint, read the next committed
events, publish them and wait for the bus to acknowledge all of them, then move the checkpoint.
A crash after the acknowledgement and before the checkpoint republishes that batch on restart;
consumers de-duplicate by event id, so nothing is doubled and nothing is lost.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from services.dossier import store
from services.dossier.store import StoredEvent
from shared import tracing
from shared.bus import OutgoingMessage, Publisher
from shared.envelope import Envelope, type_name
from shared.faults import crash_point
from shared.rounds import RoundWorker

log = logging.getLogger(__name__)

SOURCE = "/shiji/dossier"
RELAY_LOCK_KEY = 0x5348494A49  # "SHIJI"


def checkpoint_name(topic: str) -> str:
    """The relay's checkpoint is kept per topic: a relay pointed at a new, empty topic (after the
    broker's data was lost, or to rebuild projections elsewhere) publishes the whole store to it."""
    return f"relay:{topic}"[:100]


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
        chainhash=event.hash,
    )


def message_of(event: StoredEvent, context: dict[str, str] | None = None) -> OutgoingMessage:
    """The event as a message; its headers carry ``context`` (default: the one stored with the event)."""
    headers = tracing.headers_of(event.context if context is None else context)
    return OutgoingMessage(key=event.stream_id, value=envelope_of(event).to_bytes(), headers=headers)


class Relay(RoundWorker):
    """``wake`` it after a commit: it publishes at once instead of at the next idle tick."""

    def __init__(self, engine: AsyncEngine, publisher: Publisher, topic: str, *,
                 batch_size: int = 2000, idle_s: float = 0.1, tracer: trace.Tracer | None = None) -> None:
        super().__init__(batch_size=batch_size, idle_s=idle_s)
        self._engine = engine
        self._publisher = publisher
        self._topic = topic
        self.checkpoint = checkpoint_name(topic)
        self._tracer = tracer or trace.NoOpTracer()
        self.published = 0

    async def _publish(self, batch: Sequence[StoredEvent]) -> None:
        # One PRODUCER span per event, a child of the request that wrote it; the span's own
        # context goes into the message headers, so the consumer's span is a child of the publish.
        spans, messages = [], []
        for event in batch:
            span = self._tracer.start_span(f"publish {self._topic}", kind=SpanKind.PRODUCER,
                                           context=tracing.extract(event.context or {}),
                                           attributes={"messaging.system": "kafka",
                                                       "messaging.destination.name": self._topic,
                                                       "messaging.message.id": event.event_id})
            context = dict(event.context or {})  # kept as stored where spans are switched off
            if span.get_span_context().is_valid:
                tracing.inject(context, trace.set_span_in_context(span))
            spans.append(span)
            messages.append(message_of(event, context))
        try:
            await self._publisher.publish(self._topic, messages)
        except BaseException as exc:
            for span in spans:
                span.record_exception(exc)
                span.set_status(Status(StatusCode.ERROR, type(exc).__name__))
            raise
        finally:
            for span in spans:
                span.end()

    async def run_once(self) -> int:
        """Publish one batch; the number of events published (0 when idle or another relay holds the lock)."""
        async with self._engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                locked = await conn.scalar(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": RELAY_LOCK_KEY})
                if not locked:
                    return 0
            checkpoint = await store.load_checkpoint(conn, self.checkpoint)
            batch = await store.read_committed(conn, checkpoint, self._batch_size)
            if not batch:
                return 0
            await self._publish(batch)
            crash_point("relay.after_publish")
            await store.save_checkpoint(conn, self.checkpoint, batch[-1].cursor)
        self.published += len(batch)
        return len(batch)
