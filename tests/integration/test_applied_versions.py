"""How far scoring is current, per stream (services/scoring/positions.py), on SQLite and PostgreSQL: the
consumer records each stream's newest version in its batch's transaction; it never goes back; dead letters
count as done; a reset forgets it."""

from __future__ import annotations

import uuid

from services.scoring import positions, projection
from services.scoring.consumer import ScoringConsumer
from services.scoring.tables import consumer_positions
from shared.bus import DeliveredMessage
from shared.db import make_engine
from tests.support.chained import ChainedStream

TOPIC = "events"


def message(offset: int, stream: ChainedStream, version: int, event_type: str = "entry_revoked") -> DeliveredMessage:
    envelope = stream.envelope(event_type, {"entry_id": str(uuid.uuid4()), "reason": "r"})
    assert envelope.streamversion == version
    return DeliveredMessage(TOPIC, 0, offset, stream.stream_id.encode(), envelope.to_bytes(), [])


async def test_the_consumer_records_each_streams_newest_version_and_never_goes_back(database_url_factory) -> None:
    engine = make_engine(await database_url_factory("scoring"))
    a, b = ChainedStream(str(uuid.uuid4())), ChainedStream("unit-u1")
    try:
        consumer = ScoringConsumer(engine, subscribe=None)  # type: ignore[arg-type]
        batch = [message(0, a, 1), message(1, b, 1), message(2, a, 2), message(3, a, 3)]
        await consumer.apply_batch(batch)

        async def applied(stream: str) -> int:
            async with engine.connect() as conn:
                return await positions.applied(conn, stream)
        assert (await applied(a.stream_id), await applied(b.stream_id), await applied("catalogue")) == (3, 1, 0)

        # Delivered again with the offsets lost (so nothing filters it out): the versions stay where they are.
        async with engine.begin() as conn:
            await conn.execute(consumer_positions.delete())
        await consumer.apply_batch(batch[:2])
        assert await applied(a.stream_id) == 3 and consumer.dead_lettered == 0

        # An event scoring cannot apply (a type it does not know) is done with all the same.
        await consumer.apply_batch([message(4, a, 4, event_type="no_such_event")])
        assert consumer.dead_lettered == 1 and await applied(a.stream_id) == 4

        async with engine.begin() as conn:
            await projection.reset(conn)
        assert await applied(a.stream_id) == 0
    finally:
        await engine.dispose()
