"""Relay and consumer on both wirings: SQLite + file log, PostgreSQL + the real Kafka broker.

What the dossier commits is published in order and applied to the scoring projection exactly
once, through redeliveries, duplicate publishes, poison messages and restarts.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select, tuple_

from services.dossier import store
from services.dossier.catalogue import DEFAULT_CATEGORIES
from services.dossier.relay import Relay, message_of
from services.dossier.service import DossierService
from services.dossier.store import Actor
from services.dossier.tables import events as events_table
from services.scoring.consumer import ScoringConsumer
from services.scoring.facts import load_entries
from services.scoring.tables import consumer_positions, dead_letters, entries, revocations
from shared.bus import DeliveredMessage, OutgoingMessage, StartPositions, Subscription
from shared.commands import RecordEntry, RegisterCadre, RegisterUnit, RevokeEntry
from shared.db import make_engine, sqlite_url, upgrade_to_head
from shared.log_bus import LogBus

ACTOR = Actor("tester", "clerk")
SETUP = len(DEFAULT_CATEGORIES) + 2  # the catalogue and two units, published before each test
TODAY = dt.date(2026, 11, 21)


async def publish_all(relay: Relay) -> None:
    """Run the relay until every committed event is published. A round may publish nothing while
    another transaction on the cluster holds the commit horizon back: that is a wait, not the end."""
    while True:
        await relay.run_once()
        async with relay._engine.connect() as conn:
            checkpoint = await store.load_checkpoint(conn, relay.checkpoint)
            left = await conn.scalar(select(func.count()).select_from(events_table).where(
                tuple_(events_table.c.tx_id, events_table.c.position) > tuple_(checkpoint.tx_id, checkpoint.position)))
        if not left:
            return
        await asyncio.sleep(0.01)


@dataclass
class Pipeline:
    dossier: DossierService
    relay: Relay
    scoring_engine: object
    publisher: object
    subscribe: object  # StartPositions -> Subscription
    topic: str
    another_scoring: Callable  # () -> (url of a fresh scoring database, subscribe from offset zero)
    subscriptions: list = field(default_factory=list)

    def consumer(self) -> tuple[ScoringConsumer, Subscription]:
        consumer = ScoringConsumer(self.scoring_engine, self.subscribe, max_batch=50)
        sub = self.subscribe(consumer.start_positions)
        self.subscriptions.append(sub)
        return consumer, sub

    async def publish_all(self) -> None:
        await publish_all(self.relay)

    async def count(self, table) -> int:
        async with self.scoring_engine.connect() as conn:
            return await conn.scalar(select(func.count()).select_from(table))

    async def total(self, cadre_id: str) -> Decimal:
        async with self.scoring_engine.connect() as conn:
            found = await load_entries(conn, [cadre_id], dt.datetime.now(dt.UTC))
        return sum((e.points for e in found.get(cadre_id, [])), Decimal(0))


async def consume_until(consumer: ScoringConsumer, sub: Subscription, applied: int, timeout_s: float = 30) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    # what the consumer has done with each message: applied, dead-lettered, or skipped as applied already
    while consumer.applied + consumer.dead_lettered + consumer.redelivered < applied:
        assert asyncio.get_running_loop().time() < deadline, f"applied {consumer.applied}/{applied} in {timeout_s}s"
        batch = await sub.poll(50, 0.5)
        await sub.committed(await consumer.apply_batch(batch))


async def consume_for(consumer: ScoringConsumer, sub: Subscription, seconds: float) -> list[DeliveredMessage]:
    got: list[DeliveredMessage] = []
    deadline = asyncio.get_running_loop().time() + seconds
    while asyncio.get_running_loop().time() < deadline:
        batch = await sub.poll(50, 0.3)
        got.extend(batch)
        await consumer.apply_batch(batch)
    return got


@pytest.fixture(params=["sqlite+log", "postgresql+kafka"])
async def pipeline(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Pipeline]:
    if request.param == "sqlite+log":
        dossier_url, scoring_url = sqlite_url(tmp_path / "dossier.db"), sqlite_url(tmp_path / "scoring.db")
        await upgrade_to_head("dossier", dossier_url)
        await upgrade_to_head("scoring", scoring_url)
        bus = LogBus(tmp_path / "bus.db")
        topic = "events"
        publisher = bus

        def subscribe(start: StartPositions) -> Subscription:
            return bus.subscribe(topic, start)

        async def another_scoring() -> tuple[str, Callable[[StartPositions], Subscription]]:
            url = sqlite_url(tmp_path / f"scoring-{uuid.uuid4().hex[:6]}.db")
            await upgrade_to_head("scoring", url)
            return url, subscribe  # positions live in the scoring database: a new one starts at zero
        cleanup = []
    else:
        from shared.kafka_bus import KafkaPublisher, KafkaSubscription, ensure_topic
        from tests.conftest import PG, PgDatabases, require_server

        kafka = request.getfixturevalue("kafka_bootstrap")
        require_server("PostgreSQL", PG.hostport)
        dbs = PgDatabases(PG)
        dossier_url, scoring_url = await dbs.create("dossier"), await dbs.create("scoring")
        topic = f"test.{uuid.uuid4().hex[:12]}"
        ensure_topic(kafka, topic, partitions=3)
        publisher = KafkaPublisher(kafka)
        group = f"g-{uuid.uuid4().hex[:8]}"

        def subscribe(start: StartPositions) -> Subscription:
            return KafkaSubscription(kafka, topic, group, start)

        async def another_scoring() -> tuple[str, Callable[[StartPositions], Subscription]]:
            other_group = f"g-{uuid.uuid4().hex[:8]}"
            return await dbs.create("scoring"), lambda start: KafkaSubscription(kafka, topic, other_group, start)
        cleanup = [dbs.drop_all]

    dossier_engine, scoring_engine = make_engine(dossier_url), make_engine(scoring_url)
    relay = Relay(dossier_engine, publisher, topic, batch_size=40)
    service = DossierService(dossier_engine, today=lambda: TODAY)
    await service.seed_catalogue()
    for unit in ({"unit_id": "city", "name": "市", "level": "city", "unit_class": "city"},
                 {"unit_id": "u-1", "name": "局", "parent_id": "city", "level": "unit", "unit_class": "economic"}):
        await service.execute("register_unit", RegisterUnit(**unit), {}, ACTOR)
    await publish_all(relay)  # the catalogue and the units: every test below counts only its own events
    p = Pipeline(service, relay, scoring_engine, publisher, subscribe, topic, another_scoring)
    yield p
    for sub in p.subscriptions:
        await sub.close()
    await publisher.close()
    await dossier_engine.dispose()
    await scoring_engine.dispose()
    for step in cleanup:
        await step()


async def write_city(p: Pipeline, cadres: int, entries_each: int) -> dict[str, Decimal]:
    """Register cadres and record entries; returns the expected total per cadre."""
    expected: dict[str, Decimal] = {}
    for c in range(cadres):
        registered = await p.dossier.execute("register_cadre", RegisterCadre(name=f"干部{c}", unit_id="u-1"), {}, ACTOR)
        cadre_id = registered.body["id"]
        expected[cadre_id] = Decimal(0)
        for e in range(entries_each):
            points = Decimal(e + 1) if e % 3 else Decimal(-(e + 1)) / 2
            kind, category = ("positive", "honour") if points > 0 else ("negative", "work_style")
            cmd = RecordEntry(kind=kind, category=category, title=f"t{e}", points=points,
                              effective_date=TODAY - dt.timedelta(days=30 * e), basis={"reason": "r", "document": "d"})
            await p.dossier.execute("record_entry", cmd, {"cadre_id": cadre_id}, ACTOR)
            expected[cadre_id] += points
    return expected


async def test_every_committed_event_is_applied_once(pipeline: Pipeline) -> None:
    expected = await write_city(pipeline, cadres=5, entries_each=6)
    await pipeline.publish_all()
    consumer, sub = pipeline.consumer()
    await consume_until(consumer, sub, applied=SETUP + 5 * 7)
    assert await pipeline.count(entries) == 30
    for cadre_id, total in expected.items():
        assert await pipeline.total(cadre_id) == total


async def test_revocation_stops_an_entry_counting(pipeline: Pipeline) -> None:
    cadre_id = next(iter(await write_city(pipeline, cadres=1, entries_each=2)))
    history = await pipeline.dossier.history(cadre_id)
    entry_id = history[1].data["entry_id"]
    points = Decimal(str(history[1].data["points"]))
    before_total = sum((Decimal(str(e.data["points"])) for e in history[1:]), Decimal(0))
    await pipeline.dossier.execute("revoke_entry", RevokeEntry(reason="申诉成立"),
                                   {"cadre_id": cadre_id, "entry_id": entry_id}, ACTOR)
    await pipeline.publish_all()
    consumer, sub = pipeline.consumer()
    await consume_until(consumer, sub, applied=SETUP + 4)
    assert await pipeline.count(revocations) == 1
    assert await pipeline.total(cadre_id) == before_total - points


async def deliver(consumer: ScoringConsumer, sub: Subscription, count: int,
                  timeout_s: float = 60) -> list[DeliveredMessage]:
    """Poll and apply until ``count`` messages are delivered: a failure, not a hang, when they never come."""
    delivered: list[DeliveredMessage] = []
    deadline = asyncio.get_running_loop().time() + timeout_s
    while len(delivered) < count:
        assert asyncio.get_running_loop().time() < deadline, f"{len(delivered)} of {count} messages delivered"
        batch = await sub.poll(50, 0.5)
        delivered.extend(batch)
        await consumer.apply_batch(batch)
    return delivered


async def test_a_redelivered_batch_changes_nothing(pipeline: Pipeline) -> None:
    expected = await write_city(pipeline, cadres=2, entries_each=5)
    await pipeline.publish_all()
    consumer, sub = pipeline.consumer()
    delivered = await deliver(consumer, sub, SETUP + 12)
    # The same messages again, as after a crash between the database commit and the Kafka commit ...
    await consumer.apply_batch(delivered)
    # ... and once more with the stored positions lost, so only the event-id de-duplication stands.
    async with pipeline.scoring_engine.begin() as conn:
        await conn.execute(consumer_positions.delete())
    await consumer.apply_batch(delivered)
    assert await pipeline.count(entries) == 10
    for cadre_id, total in expected.items():
        assert await pipeline.total(cadre_id) == total


async def test_a_batch_published_twice_is_applied_once(pipeline: Pipeline) -> None:
    """The relay crashed after the bus acknowledged a batch and before its checkpoint: it publishes again."""
    expected = await write_city(pipeline, cadres=2, entries_each=3)
    events: list = []
    while len(events) < SETUP + 2 * 4:  # wait out any other transaction holding the commit horizon
        async with pipeline.relay._engine.connect() as conn:
            events = await store.read_committed(conn, store.Cursor(), 1000)
    await pipeline.publisher.publish(pipeline.topic, [message_of(e) for e in events])  # the lost round
    await pipeline.publish_all()  # the round after restart, from the old checkpoint
    consumer, sub = pipeline.consumer()
    await consume_until(consumer, sub, applied=2 * (SETUP + 8))
    assert await pipeline.count(entries) == 6
    for cadre_id, total in expected.items():
        assert await pipeline.total(cadre_id) == total


async def test_a_poison_message_is_dead_lettered_and_consumption_goes_on(pipeline: Pipeline) -> None:
    expected = await write_city(pipeline, cadres=1, entries_each=2)
    cadre_id = next(iter(expected))
    await pipeline.publisher.publish(pipeline.topic, [OutgoingMessage(cadre_id, b"{not json"),
                                                      OutgoingMessage(cadre_id, b'{"specversion": "1.0"}')])
    await pipeline.publish_all()
    consumer, sub = pipeline.consumer()
    await consume_until(consumer, sub, applied=SETUP + 3 + 2)
    assert consumer.dead_lettered == 2
    assert await pipeline.count(dead_letters) == 2
    assert await pipeline.total(cadre_id) == expected[cadre_id]


async def test_a_restarted_consumer_resumes_where_it_stopped(pipeline: Pipeline) -> None:
    await write_city(pipeline, cadres=2, entries_each=4)
    await pipeline.publish_all()
    first, sub = pipeline.consumer()
    await consume_until(first, sub, applied=SETUP + 10)
    await sub.close()
    pipeline.subscriptions.remove(sub)
    async with pipeline.scoring_engine.connect() as conn:
        stopped_at = {(r.topic, r.partition): r.next_offset
                      for r in await conn.execute(select(consumer_positions))}

    more = await write_city(pipeline, cadres=1, entries_each=2)
    await pipeline.publish_all()
    second, sub = pipeline.consumer()
    await consume_until(second, sub, applied=3)
    redelivered = [m for m in await consume_for(second, sub, 1.0)]
    assert second.applied == 3 and not redelivered
    assert await pipeline.count(entries) == 10
    assert await pipeline.total(next(iter(more))) == sum(more.values(), Decimal(0))
    async with pipeline.scoring_engine.connect() as conn:
        now_at = {(r.topic, r.partition): r.next_offset for r in await conn.execute(select(consumer_positions))}
    assert all(now_at[k] >= v for k, v in stopped_at.items())
    assert sum(now_at.values()) - sum(stopped_at.get(k, 0) for k in now_at) == 3


async def test_the_request_context_travels_with_the_event_to_the_consumer(pipeline: Pipeline) -> None:
    """Stored context -> message headers -> consumer span: one trace from the write to the projection."""
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    from opentelemetry.trace import SpanKind

    from shared import tracing

    exporter = InMemorySpanExporter()
    tracer = tracing.tracer_of(tracing.tracer_provider("test", exporter, batch=False))
    trace_id = uuid.uuid4().hex
    context = {"traceparent": f"00-{trace_id}-{uuid.uuid4().hex[:16]}-01", "request_id": "req-7"}
    cadre = await pipeline.dossier.execute("register_cadre", RegisterCadre(name="张伟", unit_id="u-1"), {}, ACTOR,
                                           context=context)
    await pipeline.dossier.execute("register_cadre", RegisterCadre(name="李娜", unit_id="u-1"), {}, ACTOR)  # none
    relay = Relay(pipeline.relay._engine, pipeline.publisher, pipeline.topic, tracer=tracer)
    await publish_all(relay)
    consumer = ScoringConsumer(pipeline.scoring_engine, pipeline.subscribe, tracer=tracer)
    sub = pipeline.subscribe(consumer.start_positions)
    pipeline.subscriptions.append(sub)
    delivered = await deliver(consumer, sub, SETUP + 2)

    (traced,) = [m for m in delivered if m.key == cadre.body["id"]]
    assert traced.header("request_id") == "req-7"
    assert traced.header("traceparent").split("-")[1] == trace_id
    spans = exporter.get_finished_spans()
    (publish,) = [s for s in spans if s.kind is SpanKind.PRODUCER and f"{s.context.trace_id:032x}" == trace_id]
    (process,) = [s for s in spans if s.kind is SpanKind.CONSUMER and f"{s.context.trace_id:032x}" == trace_id]
    assert process.parent.span_id == publish.context.span_id
    # The events without a context start traces of their own at the relay: never the other one's.
    assert len([s for s in spans if s.kind is SpanKind.CONSUMER]) == SETUP + 2


async def test_readiness_fails_fast_and_counts_it_when_kafka_does_not_answer(tmp_path: Path) -> None:
    import httpx

    from services.dossier.bootstrap import build_app
    from services.dossier.settings import DossierSettings
    from shared.service_identity import CallSigner, public_pem
    from shared.settings import KafkaSettings
    from tests.support.production import free_port

    nowhere = f"127.0.0.1:{free_port()}"  # nothing listens there
    url = sqlite_url(tmp_path / "dossier.db")
    await upgrade_to_head("dossier", url)
    keys = tmp_path / "gateway.pub.pem"
    keys.write_bytes(public_pem(CallSigner.generated().public_key))
    app = build_app(DossierSettings(database_url=url, kafka=KafkaSettings(bootstrap=nowhere), gateway_keys_file=keys),
                    create_topic=False)
    bus = app.state.bus
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://dossier") as client:
            started = asyncio.get_running_loop().time()
            r = await client.get("/readyz")
            assert asyncio.get_running_loop().time() - started < 10
            metrics = (await client.get("/metrics")).text
    finally:
        await bus.close()
    assert r.status_code == 503
    assert r.json()["checks"]["database"] == "ok" and r.json()["checks"]["bus"].startswith("failed")
    assert 'shiji_kafka_errors_total{client="admin",error="KafkaTimeoutError"} 1.0' in metrics
