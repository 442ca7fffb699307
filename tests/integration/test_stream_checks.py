"""The consumer applies an event only if it follows its stream (services/scoring/stream_check.py), on SQLite and
PostgreSQL: a skipped version or a broken chain link is a dead letter (kept, announced on the dead-letter topic
through the outbox, counted), changes nothing, and leaves the stream ready for its genuine next event; a
redelivery stays a silent no-op."""

from __future__ import annotations

import base64
import datetime as dt
import json
import uuid

from sqlalchemy import func, select

from services.scoring import positions
from services.scoring.consumer import ScoringConsumer
from services.scoring.tables import dead_letters, entries, outbox
from shared.bus import DeliveredMessage
from shared.db import make_engine
from shared.envelope import Envelope
from tests.support.chained import ChainedStream

TOPIC = "events"
DEAD_LETTERS = "events.dead-letters"


class Feed:
    def __init__(self) -> None:
        self.offset = 0

    def __call__(self, envelope: Envelope | bytes) -> DeliveredMessage:
        value = envelope if isinstance(envelope, bytes) else envelope.to_bytes()
        self.offset += 1
        return DeliveredMessage(TOPIC, 0, self.offset - 1, b"k", value, [])


def entry(n: int) -> tuple[str, dict]:
    return "entry_recorded", {"entry_id": f"e-{n}-{uuid.uuid4().hex[:6]}", "kind": "positive", "category": "honour",
                              "title": "先进", "points": 5, "effective_date": dt.date.today().isoformat(),
                              "basis": {"reason": "r", "document": "d"}}


async def test_an_event_that_does_not_follow_its_stream_is_a_dead_letter_and_changes_nothing(
        database_url_factory) -> None:
    engine = make_engine(await database_url_factory("scoring"))
    cadre = ChainedStream(str(uuid.uuid4()))
    feed = Feed()
    try:
        consumer = ScoringConsumer(engine, subscribe=None, dead_letters_topic=DEAD_LETTERS)  # type: ignore[arg-type]
        genuine = [feed(cadre.envelope("cadre_registered", {"cadre_id": cadre.stream_id, "name": "张三",
                                                                   "unit_id": "u1"})),
                   feed(cadre.envelope(*entry(1)))]
        await consumer.apply_batch(genuine)

        async def state() -> tuple[int, int, int]:
            async with engine.connect() as conn:
                return (await positions.applied(conn, cadre.stream_id),
                        await conn.scalar(select(func.count()).select_from(entries)),
                        await conn.scalar(select(func.count()).select_from(dead_letters)))
        assert await state() == (2, 1, 0)

        skipped = cadre.envelope(*entry(2), version=4, advance=False)  # version 3 never came
        broken = cadre.envelope(*entry(3), previous="sm3:" + "0" * 64, advance=False)  # claims version 3
        no_hash = Envelope.model_validate({**cadre.envelope(*entry(4), advance=False).model_dump(), "chainhash": None})
        altered = cadre.envelope(*entry(5), advance=False)
        altered = Envelope.model_validate({**altered.model_dump(), "data": {**altered.data, "points": 50}})
        await consumer.apply_batch([feed(skipped), feed(broken), feed(no_hash), feed(altered)])
        assert await state() == (2, 1, 4)
        assert (consumer.dead_lettered, consumer.unlinked, consumer.applied) == (4, 4, 2)

        async with engine.connect() as conn:
            announced = [json.loads(r.value) for r in await conn.execute(
                select(outbox).where(outbox.c.topic == DEAD_LETTERS).order_by(outbox.c.position))]
        assert [(a["data"]["reason"], a["data"]["stream_version"], a["subject"]) for a in announced] == [
            ("unlinked", 4, cadre.stream_id), ("unlinked", 3, cadre.stream_id), ("unlinked", 3, cadre.stream_id),
            ("unlinked", 3, cadre.stream_id)]
        assert "version 3 is missing" in announced[0]["data"]["error"]
        assert "does not link" in announced[1]["data"]["error"]
        assert base64.b64decode(announced[0]["data"]["value_base64"]) == skipped.to_bytes()
        assert announced[0]["type"] == "cn.shiji.scoring.dead_letter_recorded.v1"

        # The genuine next event is taken; redelivering the genuine ones is a no-op, not a dead letter.
        await consumer.apply_batch([feed(cadre.envelope(*entry(6))), *[feed(m.value) for m in genuine]])
        assert await state() == (3, 2, 4)
        assert (consumer.dead_lettered, consumer.unlinked) == (4, 4)
    finally:
        await engine.dispose()


async def test_an_unknown_event_type_that_follows_its_stream_moves_it_on(database_url_factory) -> None:
    """Unreadable is not unlinked: a type scoring does not know is the stream's, and the next event follows it."""
    engine = make_engine(await database_url_factory("scoring"))
    cadre = ChainedStream(str(uuid.uuid4()))
    feed = Feed()
    try:
        consumer = ScoringConsumer(engine, subscribe=None)  # type: ignore[arg-type]
        await consumer.apply_batch([feed(cadre.envelope("cadre_registered", {"cadre_id": cadre.stream_id, "name": "李四",
                                                                   "unit_id": "u1"})),
                                    feed(cadre.envelope("some_future_event", {"x": 1})),
                                    feed(b"{not json"),
                                    feed(cadre.envelope(*entry(1)))])
        assert (consumer.applied, consumer.dead_lettered, consumer.unlinked) == (2, 2, 0)
        async with engine.connect() as conn:
            assert await positions.applied(conn, cadre.stream_id) == 3
            assert await conn.scalar(select(func.count()).select_from(outbox)) == 0  # no topic given: table only
    finally:
        await engine.dispose()
