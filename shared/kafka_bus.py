"""Kafka adapters of the bus port, on kafka-python.

kafka-python is a blocking client, so each producer, consumer and admin client lives on its own
single worker thread and every call to it is handed to that thread: the event loop never blocks
on Kafka, and the client is only ever touched from one thread.

Every client counts its errors in an ``errors`` counter (by client and error type) that the
process's clients share and ``/metrics`` exposes as ``shiji_kafka_errors_total``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from kafka import ConsumerRebalanceListener, KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.admin import OffsetSpec
from kafka.errors import KafkaError, TopicAlreadyExistsError
from kafka.structs import OffsetAndMetadata, TopicPartition

from shared.bus import DeliveredMessage, OutgoingMessage, StartPositions
from shared.envelope import CONTENT_TYPE
from shared.kafka_connection import KafkaConnection

log = logging.getLogger(__name__)

SEND_TIMEOUT_S = 30.0
# Readiness and lag are asked every few seconds: they answer quickly or say "not ready".
ADMIN_TIMEOUT_S = 5.0

ErrorCounts = Counter[tuple[str, str]]


@contextlib.contextmanager
def counting(errors: ErrorCounts, client: str) -> Iterator[None]:
    """Count any exception leaving the block against ``client``, and let it go on."""
    try:
        yield
    except Exception as exc:
        errors[(client, type(exc).__name__)] += 1
        raise


def _min_insync(replication_factor: int) -> str:
    # With acks=all, a write needs two in-sync copies once there are three (one broker may be down).
    return str(max(1, min(2, replication_factor - 1)))


def events_topic_config(replication_factor: int) -> dict[str, str]:
    """How the dossier events topic is created. Kept forever: it is the record other systems and a
    rebuild read from offset zero, which a time- or size-based retention would silently cut short."""
    return {"retention.ms": "-1", "retention.bytes": "-1", "min.insync.replicas": _min_insync(replication_factor)}


def totals_topic_config(replication_factor: int) -> dict[str, str]:
    """How scoring's totals topic is created. Compacted, key = cadre id: the newest totals of every cadre
    stay readable from offset zero, however long ago they last changed, and older ones are dropped."""
    return {"cleanup.policy": "compact", "min.insync.replicas": _min_insync(replication_factor)}


# 90 days: a receiving system may be away a whole quarter (warnings are raised per quarter) and still
# read every change it missed.
WARNINGS_RETENTION_MS = 90 * 24 * 3600 * 1000


def warnings_topic_config(replication_factor: int) -> dict[str, str]:
    """How scoring's warnings topic is created: deleted after 90 days, not compacted. Its messages are
    changes (raised, cleared) of several warnings per cadre, so compacting by the key (the cadre id)
    would lose all but one of them; and it is not the record: the warnings in force are always at
    ``GET /warnings?status=active``, and scoring rebuilds them from the events topic. A system that
    subscribes late reads that list once, then follows the topic."""
    return {"cleanup.policy": "delete", "retention.ms": str(WARNINGS_RETENTION_MS),
            "min.insync.replicas": _min_insync(replication_factor)}


# 400 days: the consequences of a year's grades are acted on for the year after (a promotion barred, a
# rectification report owed), so a receiving system reads a whole assessment cycle and a little more.
CONSEQUENCES_RETENTION_MS = 400 * 24 * 3600 * 1000


def consequences_topic_config(replication_factor: int) -> dict[str, str]:
    """How scoring's assessment-consequences topic is created: deleted after 400 days, not compacted (a
    subject has several consequences a year, each raised, withdrawn or filed; compacting by the subject
    would lose them). The record is ``GET /assessments/{scheme_id}/consequences``
    (shared/assessment_topics.py)."""
    return {"cleanup.policy": "delete", "retention.ms": str(CONSEQUENCES_RETENTION_MS),
            "min.insync.replicas": _min_insync(replication_factor)}


# 180 days: the logs of a level-3 system are kept at least six months (GB/T 22239-2019); scoring's
# dead_letters table keeps every one for good.
DEAD_LETTERS_RETENTION_MS = 180 * 24 * 3600 * 1000


def dead_letters_topic_config(replication_factor: int) -> dict[str, str]:
    """How scoring's dead-letter topic (shared/dead_letters.py) is created: deleted after 180 days, not
    compacted (each message is one incident, its key the stream it claimed)."""
    return {"cleanup.policy": "delete", "retention.ms": str(DEAD_LETTERS_RETENTION_MS),
            "min.insync.replicas": _min_insync(replication_factor)}


# kafka-python backs off reconnecting up to 30 s by default: after a 20 s broker outage the consumer
# then sat idle for another ~30 s before it rejoined its group. Two seconds is plenty of backoff.
RECONNECT_BACKOFF_MAX_MS = 2000


def ensure_topic(kafka: KafkaConnection, topic: str, partitions: int, replication_factor: int = 1,
                 **config: str) -> None:
    """Create ``topic`` if it does not exist (brokers here do not auto-create topics)."""
    admin = KafkaAdminClient(**kafka.client_options(), client_id="shiji-admin")
    try:
        if topic in admin.list_topics():
            return
        spec = {"num_partitions": partitions, "replication_factor": replication_factor, "configs": config}
        admin.create_topics({topic: spec}, wait_for_metadata=True)
    except TopicAlreadyExistsError:
        pass
    finally:
        admin.close()


def group_members(kafka: KafkaConnection, group: str) -> int:
    """How many consumers are in ``group`` now."""
    admin = KafkaAdminClient(**kafka.client_options(), client_id="shiji-admin")
    try:
        return len(admin.describe_groups([group])[group]["members"])
    finally:
        admin.close()


def holds_everything(kafka: KafkaConnection, topic: str) -> bool:
    """Every partition of ``topic`` still starts at offset 0: nothing was deleted by retention, so the
    topic can rebuild a projection from scratch."""
    consumer = KafkaConsumer(**kafka.client_options(), group_id=None, client_id="shiji-admin")
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        return bool(partitions) and all(o == 0 for o in consumer.beginning_offsets(partitions).values())
    finally:
        consumer.close()


class _OneThread:
    """A dedicated thread for one blocking client."""

    def __init__(self, name: str) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)

    async def call(self, fn, *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)

    def shutdown(self) -> None:
        self._executor.shutdown(wait=True)


class KafkaAdmin:
    """The bus as operations see it (``BusAdmin``): is the topic there, where does each partition end."""

    def __init__(self, kafka: KafkaConnection, errors: ErrorCounts | None = None, client_id: str = "shiji-admin") -> None:
        self._kafka = kafka
        self._client_id = client_id
        self.errors: ErrorCounts = errors if errors is not None else Counter()
        self._thread = _OneThread("kafka-admin")
        self._admin: KafkaAdminClient | None = None
        self._lock = asyncio.Lock()
        self._stuck: asyncio.Future | None = None

    def _connect(self) -> KafkaAdminClient:
        if self._admin is None:
            timeout_ms = int(ADMIN_TIMEOUT_S * 1000)
            self._admin = KafkaAdminClient(**self._kafka.client_options(), client_id=self._client_id,
                                           request_timeout_ms=timeout_ms, bootstrap_timeout_ms=timeout_ms)
        return self._admin

    def _topic_exists(self, topic: str) -> bool:
        with counting(self.errors, "admin"):
            return topic in self._connect().list_topics()

    def _end_offsets(self, topic: str, partitions: Sequence[int]) -> dict[int, int]:
        specs = {TopicPartition(topic, p): OffsetSpec.LATEST for p in partitions}
        with counting(self.errors, "admin"):
            found = self._connect().list_partition_offsets(specs)
        return {tp.partition: o.offset for tp, o in found.items()}

    async def _call(self, fn: Callable[..., Any], *args: Any) -> Any:
        # One request at a time. A request that outlived its timeout (a dead broker) is left to
        # finish on its thread, and until it has, callers fail at once instead of queueing behind it.
        async with self._lock:
            if self._stuck is not None and not self._stuck.done():
                raise TimeoutError("the previous Kafka admin request has not answered yet")
            request = asyncio.ensure_future(self._thread.call(fn, *args))
            try:
                return await asyncio.wait_for(asyncio.shield(request), ADMIN_TIMEOUT_S + 1)
            except TimeoutError:
                self._stuck = request
                raise

    async def ready(self, topic: str) -> bool:
        return await self._call(self._topic_exists, topic)

    def _partitions(self, topic: str) -> list[int]:
        with counting(self.errors, "admin"):
            described = self._connect().describe_topics([topic])
        return sorted(p["partition_index"] for t in described if t["name"] == topic for p in t["partitions"])

    async def partitions(self, topic: str) -> list[int]:
        return await self._call(self._partitions, topic)

    async def end_offsets(self, topic: str, partitions: Sequence[int]) -> dict[int, int]:
        if not partitions:
            return {}
        return await self._call(self._end_offsets, topic, list(partitions))

    async def close(self) -> None:
        if self._stuck is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._stuck, ADMIN_TIMEOUT_S + 1)
        if self._admin is not None:
            await self._thread.call(self._admin.close)
        self._thread.shutdown()


class KafkaPublisher:
    """Idempotent producer, acks=all: ``publish`` returns once every message is on all in-sync replicas."""

    def __init__(self, kafka: KafkaConnection, client_id: str = "shiji-relay", errors: ErrorCounts | None = None) -> None:
        self._kafka = kafka
        self._client_id = client_id
        self.errors: ErrorCounts = errors if errors is not None else Counter()
        self._thread = _OneThread("kafka-producer")
        self._producer: KafkaProducer | None = None

    def _connect(self) -> KafkaProducer:
        if self._producer is None:
            self._producer = KafkaProducer(
                **self._kafka.client_options(),
                client_id=self._client_id,
                acks="all",
                enable_idempotence=True,
                linger_ms=2,
                batch_size=256 * 1024,
                max_in_flight_requests_per_connection=5,
                retries=2**31 - 1,
                delivery_timeout_ms=int(SEND_TIMEOUT_S * 1000),
                request_timeout_ms=int(SEND_TIMEOUT_S * 1000) - 1000,
                reconnect_backoff_max_ms=RECONNECT_BACKOFF_MAX_MS,
            )
        return self._producer

    def _send_all(self, topic: str, messages: Sequence[OutgoingMessage]) -> None:
        content_type = ("content-type", CONTENT_TYPE.encode())
        with counting(self.errors, "producer"):
            producer = self._connect()
            try:
                futures = [producer.send(topic, key=m.key.encode(), value=m.value,
                                         headers=[content_type, *m.headers]) for m in messages]
                producer.flush(timeout=SEND_TIMEOUT_S)
                for future in futures:
                    future.get(timeout=SEND_TIMEOUT_S)  # raises the send's KafkaError, if any
            except Exception:
                # Once batches of an idempotent producer have expired (the broker was away longer than
                # the delivery timeout), kafka-python never flushes again: every later round timed out
                # until the process was restarted (tests/faults/test_outages.py). A new producer (a new
                # producer id) does; what the old one may have written is de-duplicated downstream.
                self._producer = None
                producer.close(timeout=0)
                raise

    async def publish(self, topic: str, messages: Sequence[OutgoingMessage]) -> None:
        if messages:
            await self._thread.call(self._send_all, topic, messages)

    async def close(self) -> None:
        if self._producer is not None:
            await self._thread.call(self._producer.close, 10)
        self._thread.shutdown()


class _SeekToStoredPositions(ConsumerRebalanceListener):
    """On assignment, start each partition where the consumer's own database says it stopped."""

    def __init__(self, subscription: KafkaSubscription) -> None:
        self._sub = subscription

    def on_partitions_revoked(self, revoked) -> None:
        self._sub._positioned.difference_update(revoked)
        log.info("partitions revoked: %s", sorted(tp.partition for tp in revoked))

    def on_partitions_assigned(self, assigned) -> None:
        sub = self._sub
        by_topic: dict[str, list[int]] = {}
        for tp in assigned:
            by_topic.setdefault(tp.topic, []).append(tp.partition)
        for topic, partitions in by_topic.items():
            # We are on the consumer's thread inside poll(); the event loop is free to run this.
            future = asyncio.run_coroutine_threadsafe(sub._start_positions(topic, partitions), sub._loop)
            positions = future.result(timeout=60)
            for partition in partitions:
                tp = TopicPartition(topic, partition)
                if partition in positions:
                    sub._consumer.seek(tp, positions[partition])
                else:
                    sub._consumer.seek_to_beginning(tp)
                sub._positioned.add(tp)
        sub.assigned = sorted(tp.partition for tp in assigned)
        log.info("partitions assigned: %s", sub.assigned)


class KafkaSubscription:
    """A consumer-group member whose positions live in the consumer's database, not in Kafka."""

    def __init__(self, kafka: KafkaConnection, topic: str, group_id: str, start_positions: StartPositions,
                 client_id: str = "shiji-scoring", max_poll_records: int = 2000, errors: ErrorCounts | None = None,
                 ) -> None:
        self._kafka = kafka
        self.errors: ErrorCounts = errors if errors is not None else Counter()
        self._topic = topic
        self._group_id = group_id
        self._client_id = client_id
        self._max_poll_records = max_poll_records
        self._start_positions = start_positions
        self._thread = _OneThread("kafka-consumer")
        self._consumer: KafkaConsumer | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._positioned: set[TopicPartition] = set()  # assigned partitions we seeked to the database's position
        self.assigned: list[int] = []

    def _connect(self) -> KafkaConsumer:
        if self._consumer is None:
            self._consumer = KafkaConsumer(
                **self._kafka.client_options(),
                group_id=self._group_id,
                client_id=self._client_id,
                enable_auto_commit=False,
                auto_offset_reset="earliest",
                max_poll_records=self._max_poll_records,
                fetch_max_wait_ms=100,
                session_timeout_ms=10_000,
                heartbeat_interval_ms=3_000,
                reconnect_backoff_max_ms=RECONNECT_BACKOFF_MAX_MS,
            )
            self._consumer.subscribe([self._topic], listener=_SeekToStoredPositions(self))
        return self._consumer

    def _poll(self, max_records: int, timeout_ms: int) -> list[DeliveredMessage]:
        with counting(self.errors, "consumer"):
            consumer = self._connect()
            records = consumer.poll(timeout_ms=timeout_ms, max_records=max_records)
            if not consumer.assignment() <= self._positioned:
                # Never read from where Kafka's own committed offsets point: after ``shiji rebuild scoring``
                # they are ahead of the emptied database, and reading there would skip events. kafka-python
                # raises when our rebalance listener fails; this holds should a version swallow it instead.
                raise RuntimeError("partitions assigned without a position from the database; resubscribing")
        return [
            DeliveredMessage(r.topic, r.partition, r.offset, r.key.decode() if r.key else None, r.value,
                             tuple((k, v) for k, v in (r.headers or ()) if k != "content-type"))
            for batch in records.values()
            for r in batch
        ]

    async def poll(self, max_records: int, timeout_s: float) -> list[DeliveredMessage]:
        self._loop = asyncio.get_running_loop()
        return await self._thread.call(self._poll, max_records, int(timeout_s * 1000))

    def _commit(self, positions: dict[tuple[str, int], int]) -> None:
        offsets = {TopicPartition(t, p): OffsetAndMetadata(o, "", -1) for (t, p), o in positions.items()}
        try:
            self._connect().commit(offsets)
        except KafkaError as exc:  # a rebalance in between: the database still has the truth
            self.errors[("consumer", type(exc).__name__)] += 1
            log.warning("offset commit to Kafka failed (harmless, positions are in the database): %s", exc)

    async def committed(self, positions: dict[tuple[str, int], int]) -> None:
        if positions:
            await self._thread.call(self._commit, positions)

    async def close(self) -> None:
        if self._consumer is not None:
            await self._thread.call(self._consumer.close, False)
        self._thread.shutdown()
