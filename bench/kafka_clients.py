"""Kafka client rates on one broker, in one run: kafka-python through Shiji's adapter
(``shared/kafka_bus.py``: ``KafkaPublisher``, ``KafkaSubscription``), aiokafka, and confluent-kafka.

Every client produces the same ``--messages`` messages (``--size`` bytes, keyed over 1,000 cadres like the
events topic) to a fresh 3-partition topic with the adapter's guarantees (acks=all, idempotent producer),
in batches of 2,000 as the relay sends them, then consumes them all from the beginning in a consumer
group. Figures are messages per second, the median of ``--runs`` runs.
Run: ``bench/run kafka_clients`` (or ``.venv/bin/python -m bench.kafka_clients`` with Kafka up). aiokafka and
confluent-kafka are given the bootstrap only: run it on an unsecured broker (``SHIJI_KAFKA_SECURE=0``).
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid

from bench.machine import machine, median
from shared.bus import OutgoingMessage
from shared.kafka_bus import KafkaPublisher, KafkaSubscription, ensure_topic
from tests.support.connections import KafkaServer

KAFKA = KafkaServer.from_env()
BATCH = 2000  # the relay's batch size


def messages(count: int, size: int) -> list[tuple[bytes, bytes]]:
    value = b"x" * size
    return [(f"cadre-{n % 1000}".encode(), value) for n in range(count)]


def fresh_topic() -> str:
    topic = f"bench.{uuid.uuid4().hex[:10]}"
    ensure_topic(KAFKA.connection(), topic, partitions=3)
    return topic


async def kafka_python(batch: list[tuple[bytes, bytes]]) -> tuple[float, float]:
    topic = fresh_topic()
    publisher = KafkaPublisher(KAFKA.connection(), client_id="bench")
    outgoing = [OutgoingMessage(k.decode(), v) for k, v in batch]
    started = time.perf_counter()
    for i in range(0, len(outgoing), BATCH):
        await publisher.publish(topic, outgoing[i:i + BATCH])
    produced = len(batch) / (time.perf_counter() - started)
    await publisher.close()

    async def from_the_beginning(_topic: str, _partitions: list[int]) -> dict[int, int]:
        return {}

    subscription = KafkaSubscription(KAFKA.connection(), topic, f"bench-{uuid.uuid4().hex[:6]}", from_the_beginning,
                                     client_id="bench")
    received, started = 0, None
    while received < len(batch):
        got = await subscription.poll(BATCH, 1.0)
        if got and started is None:
            started = time.perf_counter()
        received += len(got)
    consumed = len(batch) / (time.perf_counter() - started)
    await subscription.close()
    return produced, consumed


def kafka_python_raw(batch: list[tuple[bytes, bytes]]) -> tuple[float, float]:
    """kafka-python without the adapter, with the adapter's settings: is the library or the adapter slow?"""
    from kafka import KafkaConsumer, KafkaProducer

    topic = fresh_topic()
    producer = KafkaProducer(**KAFKA.connection().client_options(), acks="all", enable_idempotence=True, linger_ms=2,
                             batch_size=256 * 1024, max_in_flight_requests_per_connection=5)
    started = time.perf_counter()
    for i in range(0, len(batch), BATCH):
        for k, v in batch[i:i + BATCH]:
            producer.send(topic, key=k, value=v)
        producer.flush()
    produced = len(batch) / (time.perf_counter() - started)
    producer.close()
    consumer = KafkaConsumer(topic, **KAFKA.connection().client_options(), group_id=f"bench-{uuid.uuid4().hex[:6]}",
                             auto_offset_reset="earliest", enable_auto_commit=False, max_poll_records=BATCH,
                             fetch_max_wait_ms=100)
    received, started = 0, None
    while received < len(batch):
        n = sum(len(r) for r in consumer.poll(timeout_ms=1000, max_records=BATCH).values())
        if n and started is None:
            started = time.perf_counter()
        received += n
    consumed = len(batch) / (time.perf_counter() - started)
    consumer.close()
    return produced, consumed


async def aiokafka_client(batch: list[tuple[bytes, bytes]]) -> tuple[float, float]:
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

    topic = fresh_topic()
    producer = AIOKafkaProducer(bootstrap_servers=KAFKA.bootstrap, acks="all", enable_idempotence=True, linger_ms=2,
                                max_batch_size=256 * 1024)
    await producer.start()
    started = time.perf_counter()
    for i in range(0, len(batch), BATCH):
        futures = [await producer.send(topic, key=k, value=v) for k, v in batch[i:i + BATCH]]
        await asyncio.gather(*futures)
    produced = len(batch) / (time.perf_counter() - started)
    await producer.stop()
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=KAFKA.bootstrap, group_id=f"bench-{uuid.uuid4().hex[:6]}",
                                auto_offset_reset="earliest", enable_auto_commit=False, max_poll_records=BATCH)
    await consumer.start()
    received, started = 0, None
    while received < len(batch):
        got = await consumer.getmany(timeout_ms=1000, max_records=BATCH)
        n = sum(len(records) for records in got.values())
        if n and started is None:
            started = time.perf_counter()
        received += n
    consumed = len(batch) / (time.perf_counter() - started)
    await consumer.stop()
    return produced, consumed


def confluent(batch: list[tuple[bytes, bytes]]) -> tuple[float, float]:
    from confluent_kafka import Consumer, Producer

    topic = fresh_topic()
    producer = Producer({"bootstrap.servers": KAFKA.bootstrap, "acks": "all", "enable.idempotence": True, "linger.ms": 2})
    started = time.perf_counter()
    for i in range(0, len(batch), BATCH):
        for k, v in batch[i:i + BATCH]:
            producer.produce(topic, key=k, value=v)
            producer.poll(0)
        producer.flush()  # as the relay: each batch acknowledged before the next
    produced = len(batch) / (time.perf_counter() - started)
    consumer = Consumer({"bootstrap.servers": KAFKA.bootstrap, "group.id": f"bench-{uuid.uuid4().hex[:6]}",
                         "auto.offset.reset": "earliest", "enable.auto.commit": False})
    consumer.subscribe([topic])
    received, started = 0, None
    while received < len(batch):
        got = [m for m in consumer.consume(num_messages=BATCH, timeout=1.0) if m.error() is None]
        if got and started is None:
            started = time.perf_counter()
        received += len(got)
    consumed = len(batch) / (time.perf_counter() - started)
    consumer.close()
    return produced, consumed


async def main(runs: int, count: int, size: int) -> None:
    print(f"machine: {machine()}")
    batch = messages(count, size)
    results: dict[str, list[tuple[float, float]]] = {"kafka-python (Shiji's adapter)": [], "kafka-python (bare)": [],
                                                     "aiokafka": [], "confluent-kafka": []}
    for run in range(1, runs + 1):
        results["kafka-python (Shiji's adapter)"].append(await kafka_python(batch))
        results["kafka-python (bare)"].append(await asyncio.to_thread(kafka_python_raw, batch))
        results["aiokafka"].append(await aiokafka_client(batch))
        results["confluent-kafka"].append(await asyncio.to_thread(confluent, batch))
        print(f"run {run}: " + ", ".join(f"{k} {v[-1][0]:,.0f}/{v[-1][1]:,.0f}" for k, v in results.items()), flush=True)
    print(f"\n{count:,} messages of {size} bytes, keyed over 1,000 keys, 3 partitions, acks=all + idempotence, "
          f"batches of {BATCH}; median of {runs} runs (messages per second; consume timed from the first record)\n")
    print("| client | produce/s (median) | consume/s (median) |")
    print("|---|---|---|")
    for k, v in results.items():
        print(f"| {k} | {median([p for p, _ in v]):,.0f} | {median([c for _, c in v]):,.0f} |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--messages", type=int, default=50_000)
    parser.add_argument("--size", type=int, default=700, help="bytes per message (an event's envelope is ~600-800)")
    args = parser.parse_args()
    asyncio.run(main(args.runs, args.messages, args.size))
