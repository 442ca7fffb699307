"""The dossier topic seen from outside, the way another system sees it: read it all, write to it."""

from __future__ import annotations

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord


def read_topic(bootstrap: str, topic: str, timeout_s: float = 30) -> list[ConsumerRecord]:
    """Every message on ``topic`` now, partition by partition in offset order (no consumer group)."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False)
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


def produce(bootstrap: str, topic: str, messages: list[tuple[bytes | None, bytes]]) -> None:
    """Publish (key, value) pairs as another system would, and wait for the broker's acknowledgement."""
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all")
    try:
        for key, value in messages:
            producer.send(topic, key=key, value=value)
        producer.flush(timeout=30)
    finally:
        producer.close(timeout=10)

