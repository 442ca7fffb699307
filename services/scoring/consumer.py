"""The scoring consumer: applies dossier events to the projections, each exactly once, each only if it follows
the last one applied in its stream (stream_check.py).

One database transaction per polled batch holds the projection rows *and* the next offset of
every partition in the batch. On (re)assignment the bus starts each partition at the offset the
database holds, so a crash anywhere, before or after the transaction, resumes exactly where the
projections stand. A redelivered event finds its row already there and inserts nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode
from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from services.scoring import positions, projection, repository
from services.scoring.assessment_acting import ConsequenceActing
from services.scoring.day_sheet import keep as sheet_keep
from services.scoring.evaluation import Evaluator
from services.scoring.projection import UNIT_STREAM_PREFIX, Applicable, DeadLetter, is_cadre_stream
from services.scoring.stream_check import REDELIVERED, Heads, Unlinked
from shared import tracing
from shared.bus import DeliveredMessage, StartPositions, Subscription
from shared.db import database_unavailable
from shared.dead_letters import Reason
from shared.envelope import Envelope, InvalidEnvelope
from shared.events import UnknownEventType, from_data
from shared.faults import crash_point

log = logging.getLogger(__name__)


def dead_letter(message: DeliveredMessage, exc: BaseException, reason: Reason = "unreadable",
                envelope: Envelope | None = None) -> DeadLetter:
    return DeadLetter(message.topic, message.partition, message.offset, f"{type(exc).__name__}: {exc}", message.value,
                      reason, envelope)


@dataclass
class Classified:
    good: list[Applicable] = field(default_factory=list)
    dead: list[DeadLetter] = field(default_factory=list)  # unreadable, refused or unlinked
    redelivered: int = 0

    @property
    def unlinked(self) -> list[DeadLetter]:
        return [d for d in self.dead if d.reason == "unlinked"]


def classify(messages: Sequence[DeliveredMessage], heads: Heads, refused: BaseException | None = None) -> Classified:
    """Split a batch into events to apply and messages that never will be; redeliveries are left out.

    Each event must follow the last one applied in its stream (stream_check.py), before its type and data are
    looked at: an event of a type scoring does not know still moves its stream on (it is the stream's), one that
    does not follow is ``unlinked``. With ``refused`` (the database refused the message on its own) an event
    that follows is a dead letter that moves its stream on."""
    out = Classified()
    for m in messages:
        try:
            envelope = Envelope.from_bytes(m.value)
        except InvalidEnvelope as exc:
            out.dead.append(dead_letter(m, exc))
            continue
        try:
            if heads.admit(envelope) == REDELIVERED:
                out.redelivered += 1
                continue
        except Unlinked as exc:
            out.dead.append(dead_letter(m, exc, "unlinked", envelope))
            continue
        if refused is not None:
            out.dead.append(dead_letter(m, refused, "refused", envelope))
            continue
        try:
            out.good.append(Applicable(envelope, from_data(envelope.event_type, envelope.schema_version, envelope.data)))
        except (UnknownEventType, ValidationError) as exc:
            out.dead.append(dead_letter(m, exc, "unreadable", envelope))
    return out


def streams_of(messages: Sequence[DeliveredMessage]) -> set[str]:
    """The streams the batch's readable envelopes belong to (the heads to load)."""
    found = set()
    for m in messages:
        with contextlib.suppress(InvalidEnvelope):
            found.add(Envelope.from_bytes(m.value).subject)
    return found


CONSUMER_NAME = "scoring"  # the consumer's positions are kept under this name in the scoring database


class ScoringConsumer:
    def __init__(self, engine: AsyncEngine, subscribe: Callable[[StartPositions], Subscription], *,
                 name: str = CONSUMER_NAME, max_batch: int = 2000, poll_timeout_s: float = 0.5,
                 tracer: trace.Tracer | None = None, evaluator: Evaluator | None = None,
                 today: Callable[[], dt.date] = dt.date.today, acting: ConsequenceActing | None = None,
                 dead_letters_topic: str | None = None) -> None:
        self._engine = engine
        self._dead_letters_topic = dead_letters_topic  # None: dead letters are kept in the table only
        self._evaluator = evaluator
        self._acting = acting
        self._today = today
        self._subscribe = subscribe
        self._name = name
        self._max_batch = max_batch
        self._poll_timeout_s = poll_timeout_s
        self._tracer = tracer or trace.NoOpTracer()
        self._stopping = False
        self.subscription: Subscription | None = None  # the current one, for lag and assignment metrics
        # What operators watch (see services/scoring/metrics.py): counts and the newest recorded time applied.
        self.applied = 0
        self.dead_lettered = 0
        self.unlinked = 0
        self.redelivered = 0  # events at or below their stream's applied version: skipped, as applied already
        self.newest_applied: dt.datetime | None = None

    @property
    def name(self) -> str:
        return self._name

    def stop(self) -> None:
        """Finish the batch under way (applied and its positions committed), then let ``run`` return."""
        self._stopping = True

    @contextlib.contextmanager
    def _spans(self, messages: Sequence[DeliveredMessage]) -> Iterator[None]:
        """One CONSUMER span per message, a child of the span that published it, around the batch's transaction."""
        spans = [self._tracer.start_span(f"process {m.topic}", kind=SpanKind.CONSUMER,
                                         context=tracing.extract(tracing.carrier_of(m.headers)),
                                         attributes={"messaging.system": "kafka",
                                                     "messaging.destination.name": m.topic,
                                                     "messaging.destination.partition.id": str(m.partition),
                                                     "messaging.kafka.offset": m.offset})
                 for m in messages]
        try:
            yield
        except BaseException as exc:
            for span in spans:
                span.set_status(Status(StatusCode.ERROR, type(exc).__name__))
            raise
        finally:
            for span in spans:
                span.end()

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
        with self._spans(messages):
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
        """One transaction: the projection rows, warnings, dead letters and positions of ``messages``
        (all of them dead letters when the database ``refused`` them)."""
        async with self._engine.begin() as conn:
            by_partition: dict[str, set[int]] = {}
            for m in messages:
                by_partition.setdefault(m.topic, set()).add(m.partition)
            stored = {(t, p): o for t, ps in by_partition.items()
                      for p, o in (await projection.positions(conn, self._name, t, ps)).items()}
            # A message below the stored offset was applied by an earlier transaction.
            fresh = [m for m in messages if m.offset >= stored.get((m.topic, m.partition), 0)]
            heads = await Heads.load(conn, streams_of(fresh))
            batch = classify(fresh, heads, refused)
            good, dead = batch.good, batch.dead
            await projection.apply(conn, good)
            await projection.record_dead_letters(conn, dead)
            if self._dead_letters_topic is not None:
                await repository.announce_dead_letters(conn, self._dead_letters_topic, dead)
            # How far each stream is applied (read your own writes) and its last link: one upsert for the batch.
            await positions.record(conn, {s: h.version for s, h in heads.moved.items()},
                                   {s: h.hash for s, h in heads.moved.items()})
            if self._evaluator is not None:
                # Warnings and published totals follow in the same transaction: applied once, announced once.
                # each touched cadre's newest applied stream version: what its totals messages' ids rest on
                versions = {s: v for s, v in positions.newest(a.envelope for a in good).items() if is_cadre_stream(s)}
                await self._evaluator.refresh(conn, sorted(versions), self._today(), dt.datetime.now(dt.UTC),
                                              versions=versions)
                # and the kept day sheet's rows of the cadres touched (a unit's event touches its cadres)
                units = {a.envelope.subject.removeprefix(UNIT_STREAM_PREFIX) for a in good
                         if a.envelope.subject.startswith(UNIT_STREAM_PREFIX)}
                await sheet_keep.keep_touched(conn, self._evaluator, versions, units, self._today())
            if self._acting is not None:  # the assessment's decided grades acted on (issue 16), in the same way
                await self._acting.act(conn, good, dt.datetime.now(dt.UTC))
            next_offsets: dict[tuple[str, int], int] = {}
            for m in messages:
                key = (m.topic, m.partition)
                next_offsets[key] = max(next_offsets.get(key, 0), m.offset + 1, stored.get(key, 0))
            await projection.save_positions(conn, self._name, next_offsets)
            crash_point("consumer.before_commit")
        crash_point("consumer.after_commit")
        # The alert, once per dead letter now that it is recorded: an ERROR line and a counter (and for an event
        # that does not follow its stream, a counter of its own: someone wrote to the topic who should not have).
        for d in dead:
            log.error("dead letter (%s) %s[%d]@%d: %s", d.reason, d.topic, d.partition, d.offset, d.error[:500])
        self.applied += len(good)
        self.dead_lettered += len(dead)
        self.unlinked += len(batch.unlinked)
        self.redelivered += batch.redelivered
        if good:
            newest = max(item.envelope.time for item in good)
            self.newest_applied = max(newest, self.newest_applied) if self.newest_applied else newest
        return next_offsets

    async def run(self) -> None:
        """Consume until stopped (or cancelled); database or bus failures are retried with a growing pause.

        ``stop`` is looked at between batches only: a batch is applied and its positions committed
        whole, then the subscription is closed (leaving the group, so its partitions move at once).
        A cancellation instead rolls the batch's transaction back; its messages are read again by
        whoever holds the partition next. Either way nothing is lost and nothing applied twice.
        """
        backoff = 0.5
        while not self._stopping:
            subscription = self.subscription = self._subscribe(self.start_positions)
            try:
                while not self._stopping:
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
                self.subscription = None
                await asyncio.shield(subscription.close())
        log.info("consumer stopped: %d applied, %d dead-lettered by this process", self.applied, self.dead_lettered)
