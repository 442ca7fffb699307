"""The dossier topic seen from outside, the way another system sees it: read it all, write to it."""

from __future__ import annotations

import asyncio

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord
from sqlalchemy import select

from services.scoring.consumer import CONSUMER_NAME
from services.scoring.tables import consumer_positions
from shared.db import make_engine
from shared.kafka_connection import KafkaConnection


def read_topic(kafka: KafkaConnection, topic: str, timeout_s: float = 30) -> list[ConsumerRecord]:
    """Every message on ``topic`` now, partition by partition in offset order (no consumer group)."""
    consumer = KafkaConsumer(**kafka.client_options(), group_id=None, enable_auto_commit=False)
    try:
        partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        end = consumer.end_offsets(partitions)
        records: list[ConsumerRecord] = []
        for _ in range(int(timeout_s * 10)):
            if all(consumer.position(tp) >= end[tp] for tp in partitions):
                break
            for batch in consumer.poll(timeout_ms=100).values():
                records.extend(r for r in batch if r.offset < end[TopicPartition(r.topic, r.partition)])
        else:
            raise TimeoutError(f"could not read {topic} to its end in {timeout_s}s")
        return sorted(records, key=lambda r: (r.partition, r.offset))
    finally:
        consumer.close()


def produce(kafka: KafkaConnection, topic: str, messages: list[tuple[bytes | None, bytes]]) -> None:
    """Publish (key, value) pairs as another system would, and wait for the broker's acknowledgement."""
    producer = KafkaProducer(**kafka.client_options(), acks="all")
    try:
        for key, value in messages:
            producer.send(topic, key=key, value=value)
        producer.flush(timeout=30)
    finally:
        producer.close(timeout=10)



def end_offsets(kafka: KafkaConnection, topic: str) -> dict[int, int]:
    """Each partition's next offset: where a consumer that has read everything now stands."""
    consumer = KafkaConsumer(**kafka.client_options(), group_id=None, enable_auto_commit=False)
    try:
        partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
        return {tp.partition: offset for tp, offset in consumer.end_offsets(partitions).items()}
    finally:
        consumer.close()


async def wait_consumed(scoring_url: str, kafka: KafkaConnection, topic: str, timeout_s: float = 30) -> dict[int, int]:
    """Wait until the scoring consumer's positions (kept in its own database) reach the topic's end offsets
    as they are now: everything published so far is applied. The positions, once there."""
    end = await asyncio.to_thread(end_offsets, kafka, topic)
    assert end, f"topic {topic} has no partitions"
    engine = make_engine(scoring_url)
    deadline = asyncio.get_running_loop().time() + timeout_s
    try:
        while True:
            async with engine.connect() as conn:
                rows = await conn.execute(select(consumer_positions).where(
                    consumer_positions.c.consumer == CONSUMER_NAME, consumer_positions.c.topic == topic))
                at = {r.partition: r.next_offset for r in rows}
            if all(at.get(p, 0) >= offset for p, offset in end.items()):
                return at
            assert asyncio.get_running_loop().time() < deadline, f"consumer at {at}, topic ends at {end}"
            await asyncio.sleep(0.1)
    finally:
        await engine.dispose()
